"""HugAI's benchmark: render every test photo, measure the videos themselves, time every stage.

Run it from the repository root with ``python -m bench`` (see ``bench/README.md``). Quality is
measured from the decoded video pixels (faces, bodies, optical flow), never from the engine's own
bookkeeping; speed comes from ``HugResult.timings`` of a render run in its own process.
"""
