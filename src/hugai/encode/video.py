"""Encode frames to H.264 MP4 in-process with PyAV, while the next frames render.

yuv420p and ``+faststart`` so it plays on phones and in browsers; written to a temporary file
beside the target and renamed into place, so a failed render never leaves half a video. The
file is tagged as AI-generated in its metadata.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import av
import cv2
import numpy as np

from hugai.errors import OutputNotWritable, RenderError

AI_METADATA = {
    "comment": "AI-generated video: synthetic motion made by HugAI from still photos",
    "description": "AI-generated (HugAI). The people did not move like this; made from photos.",
    "ai_generated": "true",
    "encoder_app": "HugAI",
}
PRESET = "superfast"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_writable(path: Path) -> None:
    """Fail before any work if ``path`` cannot be written (and say why)."""
    if path.suffix.lower() != ".mp4":
        raise OutputNotWritable(f"{path}: the output must end in .mp4")
    if path.is_dir():
        raise OutputNotWritable(f"{path}: is a folder; give a file name such as {path / 'hug.mp4'}")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".hugai-", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputNotWritable(
            f"{path}: cannot write there ({exc.strerror or exc}); choose another folder with -o"
        ) from exc


def encode_video(
    frames: Iterable[np.ndarray], path: Path, fps: int, size: tuple[int, int], crf: int = 20
) -> float:
    """Encode RGB uint8 frames of ``size`` (w, h); returns the encoder thread's busy seconds."""
    width, height = size
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".mp4", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    q: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=6)
    busy = [0.0]
    failure: list[BaseException] = []

    def worker() -> None:
        try:
            with av.open(
                str(tmp), "w", format="mp4", options={"movflags": "+faststart+use_metadata_tags"}
            ) as out:
                out.metadata.update(AI_METADATA)
                stream = out.add_stream("libx264", rate=fps)
                stream.width, stream.height = width, height
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": str(crf), "preset": PRESET}
                ctx = stream.codec_context
                ctx.thread_count = 2
                # OpenCV's RGB→I420 is BT.601 limited range: say so, so players agree.
                ctx.colorspace = 6  # AVCOL_SPC_SMPTE170M
                ctx.color_primaries = 6  # AVCOL_PRI_SMPTE170M
                ctx.color_trc = 6  # AVCOL_TRC_SMPTE170M
                ctx.color_range = 1  # AVCOL_RANGE_MPEG (limited)
                while True:
                    frame = q.get()
                    if frame is None:
                        break
                    t0 = time.perf_counter()
                    # cv2's SIMD conversion is ~10× faster than swscale's rgb24 path.
                    yuv: np.ndarray = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420)
                    vf = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
                    for packet in stream.encode(vf):
                        out.mux(packet)
                    busy[0] += time.perf_counter() - t0
                t0 = time.perf_counter()
                for packet in stream.encode(None):
                    out.mux(packet)
                busy[0] += time.perf_counter() - t0
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)
            with contextlib.suppress(queue.Empty):
                while True:
                    q.get_nowait()

    thread = threading.Thread(target=worker, name="hugai-encode", daemon=True)
    thread.start()
    try:
        for frame in frames:
            if failure:
                break
            if frame.shape != (height, width, 3) or frame.dtype != np.uint8:
                raise RenderError(
                    f"frame of shape {frame.shape} {frame.dtype}; "
                    f"expected {(height, width, 3)} uint8"
                )
            q.put(frame)
    except BaseException:
        q.put(None)
        thread.join()
        tmp.unlink(missing_ok=True)
        raise
    q.put(None)
    thread.join()
    if failure:
        tmp.unlink(missing_ok=True)
        raise RenderError(f"{path}: encoding failed ({failure[0]})") from failure[0]
    try:
        # mkstemp makes the file private (0600); a video is an ordinary file of the user's.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputNotWritable(f"{path}: cannot write there ({exc.strerror or exc})") from exc
    return busy[0]
