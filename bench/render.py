"""One render per process, so each one's peak memory and start-up are its own.

The parent calls ``render_in_subprocess``; the child (``python -m bench.render``) calls
``hugai.make_hug`` once and prints one JSON line (after ``MARKER``) with the stage timings, the
video's size, the people the engine chose, its peak RSS (``getrusage``) and any error code.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.timer import Stopwatch

MARKER = "BENCH-RENDER-RESULT "
REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RenderSpec:
    size: int
    duration: float
    fps: int
    backend: str = "auto"


@dataclass
class RenderRun:
    """What one render did. error: the ``HugError.code`` (or "crash") when it failed."""

    photos: list[str]
    video: str
    spec: RenderSpec
    error: str | None = None
    message: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0
    call_wall_s: float = 0.0
    process_wall_s: float = 0.0
    peak_rss_bytes: int = 0
    frames: int = 0
    width: int = 0
    height: int = 0
    fps: int = 0
    renderer: str = ""
    people_boxes: list[list[float]] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def duration(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


def render_in_subprocess(
    photos: list[Path], video: Path, spec: RenderSpec, timeout_s: float = 900
) -> RenderRun:
    """Render in a fresh Python process and collect what it reports."""
    cmd = [
        sys.executable,
        "-m",
        "bench.render",
        "--out",
        str(video),
        "--size",
        str(spec.size),
        "--duration",
        str(spec.duration),
        "--fps",
        str(spec.fps),
        "--backend",
        spec.backend,
        *[str(p) for p in photos],
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    run = RenderRun(photos=[str(p) for p in photos], video=str(video), spec=spec)
    with Stopwatch() as sw:
        try:
            proc = subprocess.run(
                cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout_s
            )
        except subprocess.TimeoutExpired:
            run.error, run.message = "timeout", f"no result after {timeout_s:.0f} s"
            return run
    run.process_wall_s = sw.seconds
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARKER)]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        run.error, run.message = "crash", f"exit {proc.returncode}: {tail[0]}"
        return run
    data: dict[str, Any] = json.loads(lines[-1][len(MARKER) :])
    for key, value in data.items():
        if hasattr(run, key) and key not in ("photos", "video", "spec"):
            setattr(run, key, value)
    return run


def _child(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.render")
    parser.add_argument("photos", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--fps", type=int, required=True)
    parser.add_argument("--backend", default="auto")
    args = parser.parse_args(argv)

    import hugai
    import hugai.render
    from hugai.errors import HugError

    # Which renderer "auto" picked (HugResult does not say).
    used: list[str] = []
    make = hugai.render.make_renderer

    def spy(*a: Any, **k: Any) -> Any:
        r = make(*a, **k)
        used.append(getattr(r, "name", type(r).__name__))
        return r

    hugai.render.make_renderer = spy
    out: dict[str, Any] = {}
    with Stopwatch() as sw:
        try:
            config = hugai.HugConfig(size=args.size, duration=args.duration, fps=args.fps)
            r = hugai.make_hug(args.photos, args.out, config, backend=args.backend)
        except HugError as exc:
            out = {"error": exc.code, "message": str(exc)}
        except Exception as exc:  # a bug in the engine: report it as a row, keep benching
            out = {"error": "crash", "message": f"{type(exc).__name__}: {exc}"}
        else:
            out = {
                "timings": {t.stage: t.seconds for t in r.timings},
                "total_s": r.total_seconds,
                "frames": r.frames_count,
                "width": r.width,
                "height": r.height,
                "fps": r.fps,
                "people_boxes": [list(b) for b in r.people_boxes],
                "plan": list(r.plan),
                "notes": list(r.notes),
                "renderer": used[-1] if used else "",
            }
    out["call_wall_s"] = sw.seconds
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(MARKER + json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
