"""A tiny stand-in for ``hugai.make_hug``, for the service's unit tests only (``HUGAI_ENGINE``).

It writes a real (tiny) MP4 and reports the real stages, in milliseconds. What it does depends on
the photo's name: "nobody…" raises the engine's ``NoPeopleFound``; "slow…" takes 3 s; "crash…"
raises a bug.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import av
import numpy as np

from hugai.config import HugConfig
from hugai.errors import NoPeopleFound
from hugai.types import HugResult, Photo

STAGES = ("perceive", "scene", "rig", "choreograph", "render")


def make_hug(
    photos: Sequence[Photo],
    output: Path,
    config: HugConfig,
    progress: Callable[[str, float], None],
) -> HugResult:
    for i, p in enumerate(photos):
        if p.name.startswith("nobody"):
            raise NoPeopleFound(f"{p.name}: found no person; use a photo of people", photo=i)
        if p.name.startswith("crash"):
            raise ZeroDivisionError("a bug")
    slow = any(p.name.startswith("slow") for p in photos)
    for stage in STAGES:
        progress(stage, 0.0)
        for k in range(10 if slow else 1):
            time.sleep(0.06 if slow else 0.0)
            progress(stage, (k + 1) / (10 if slow else 1))
    w, h = 320, 240
    with av.open(str(output), "w") as out:
        stream = out.add_stream("libx264", rate=config.fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for i in range(config.n_frames):
            img = np.full((h, w, 3), (i * 10) % 255, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return HugResult(
        video=Path(output),
        frames_count=config.n_frames,
        fps=config.fps,
        width=w,
        height=h,
        plan=("double",),
        notes=(),
        timings=(),
    )
