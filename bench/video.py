"""Reading and writing video with PyAV, and the encode floor (encoding alone, same settings)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from bench.timer import Stopwatch


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    frames: int
    codec: str
    pix_fmt: str


def probe(path: Path) -> VideoInfo:
    """Size, rate, frame count (decoded, not trusted from the header), codec and pixel format."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        pix_fmt = stream.codec_context.pix_fmt or ""
        rate = float(stream.average_rate or stream.guessed_rate or 0)
        width, height = stream.codec_context.width, stream.codec_context.height
    n = sum(1 for _ in decode_frames(path))
    return VideoInfo(width, height, rate, n, codec, pix_fmt)


def decode_frames(path: Path) -> Iterator[np.ndarray]:
    """Every frame of the first video stream as RGB uint8 (H, W, 3), in order."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            yield frame.to_ndarray(format="rgb24")


def write_video(
    frames: Iterable[np.ndarray],
    path: Path,
    fps: int,
    crf: int = 20,
    preset: str = "veryfast",
) -> None:
    """H.264 (libx264, yuv420p) MP4 from RGB uint8 frames of even width and height."""
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset}
        started = False
        for rgb in frames:
            if not started:
                stream.height, stream.width = rgb.shape[:2]
                started = True
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


@dataclass(frozen=True)
class EncodeFloor:
    """seconds: wall time to encode the already-decoded frames; how: which encoder was timed."""

    seconds: float
    how: str


def encode_floor(frames: list[np.ndarray], fps: int, crf: int, out: Path) -> EncodeFloor:
    """Time encoding ``frames`` (already in memory) exactly as the engine encodes.

    Uses the engine's own ``hugai.encode.video.encode_video`` so settings cannot drift; falls
    back to ``write_video`` (libx264, yuv420p, same crf) if the engine has no such function.
    """
    h, w = frames[0].shape[:2]
    try:
        from hugai.encode.video import encode_video
    except ImportError:
        with Stopwatch() as sw:
            write_video(frames, out, fps, crf=crf)
        return EncodeFloor(sw.seconds, "bench.video.write_video (libx264 veryfast)")
    with Stopwatch() as sw:
        encode_video(iter(frames), out, fps, (w, h), crf=crf)
    return EncodeFloor(sw.seconds, "hugai.encode.video.encode_video")
