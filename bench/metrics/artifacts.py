"""Artifacts: pixels that show nothing — black runs that reach the frame border.

When a camera move, a warp or a background fill leaves part of the frame without picture, it
shows up as (near-)black pixels connected to the border (zero after the YUV round trip, give or
take compression noise). Dark areas that are part of the photo rarely reach ``EMPTY_LEVEL`` in
every channel over a region touching the border; a photo that really is black at its edge
(a night shot, a letterboxed scan) would count too, so compare against the input when in doubt.
"""

from __future__ import annotations

import cv2
import numpy as np

EMPTY_LEVEL = 3
"""A pixel is "empty" when all three channels are at most this level (0–255)."""


def empty_mask(frame: np.ndarray, level: int = EMPTY_LEVEL) -> np.ndarray:
    """bool (H, W): near-black pixels 8-connected to the frame border."""
    dark = cv2.inRange(frame, (0, 0, 0), (level, level, level))
    edge = np.concatenate([dark[0], dark[-1], dark[:, 0], dark[:, -1]])
    if not edge.any():
        return np.zeros(dark.shape, bool)
    _, labels = cv2.connectedComponents(dark, connectivity=8)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    touching = np.unique(border[border > 0])
    if len(touching) == 0:
        return np.zeros(dark.shape, bool)
    return np.isin(labels, touching)


def empty_share(frame: np.ndarray, level: int = EMPTY_LEVEL) -> float:
    """Share of the frame's pixels (0–1) that are empty (see ``empty_mask``)."""
    return float(empty_mask(frame, level).mean())
