"""Clips whose right answers are known: a camera-only push-in on a photo (the calibration row:
nothing moves but the camera, so bone change, jitter and identity loss are the metrics' own noise
floor) and plain synthetic frames for the unit tests."""

from __future__ import annotations

import cv2
import numpy as np


def smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def push_in(
    photo: np.ndarray,
    size: tuple[int, int],
    n_frames: int,
    zoom: float = 1.3,
    target: tuple[float, float] | None = None,
) -> list[np.ndarray]:
    """Frames (RGB uint8, ``size`` = (width, height)) of a camera pushing in on ``photo`` by
    ``zoom`` toward ``target`` (photo pixels; default the centre), eased, never leaving it."""
    ph, pw = photo.shape[:2]
    w, h = size
    # The largest view of the frame's aspect that fits in the photo, centred.
    vw = min(pw, ph * w / h)
    vh = vw * h / w
    cx0, cy0 = pw / 2, ph / 2
    tx, ty = target if target is not None else (cx0, cy0)
    frames = []
    for i in range(n_frames):
        p = smoothstep(i / max(1, n_frames - 1))
        z = 1.0 + (zoom - 1.0) * p
        cw, ch = vw / z, vh / z
        cx = np.clip(cx0 + (tx - cx0) * p, cw / 2, pw - cw / 2)
        cy = np.clip(cy0 + (ty - cy0) * p, ch / 2, ph - ch / 2)
        s = w / cw
        m = np.array([[s, 0, w / 2 - s * cx], [0, s, h / 2 - s * cy]], np.float64)
        frames.append(
            cv2.warpAffine(photo, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        )
    return frames


def textured(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth random RGB texture (optical flow and corner tracking lock on to it)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h // 8 + 2, w // 8 + 2, 3), dtype=np.uint8)
    big = cv2.resize(small, (w + 16, h + 16), interpolation=cv2.INTER_CUBIC)
    return np.ascontiguousarray(big[8 : 8 + h, 8 : 8 + w])
