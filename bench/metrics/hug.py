"""Did the hug happen: the two faces come together, and the two bodies touch at the peak.

``centers`` arrays are float (F, 2, 2): per frame, per person (left first), the face centre
(x, y) in video pixels, NaN where that face was not found in that frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def face_gaps(centers: np.ndarray) -> np.ndarray:
    """float (F,): distance in pixels between the two face centres, NaN where either is missing."""
    return np.linalg.norm(centers[:, 0] - centers[:, 1], axis=1)


@dataclass(frozen=True)
class HugReach:
    """peak: the frame where the faces are closest; ratio: that gap ÷ the first gap.

    first: the frame the ratio is relative to (0 unless a face was missing there).
    """

    peak: int
    ratio: float
    first: int


def hug_reach(centers: np.ndarray) -> HugReach | None:
    """The closest approach of the two faces relative to the start; None if never both seen."""
    gaps = face_gaps(centers)
    seen = np.flatnonzero(np.isfinite(gaps))
    if len(seen) == 0 or gaps[seen[0]] <= 0:
        return None
    first = int(seen[0])
    peak = int(seen[np.argmin(gaps[seen])])
    return HugReach(peak=peak, ratio=float(gaps[peak] / gaps[first]), first=first)


def _core(box: np.ndarray, shape: tuple[int, int]) -> tuple[slice, slice]:
    """The central half of a face box, clipped to the frame: rows, cols."""
    x0, y0, x1, y1 = (float(v) for v in box)
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 4, (y1 - y0) / 4
    h, w = shape
    r0, r1 = int(np.clip(cy - hh, 0, h - 1)), int(np.clip(cy + hh, 0, h - 1)) + 1
    c0, c1 = int(np.clip(cx - hw, 0, w - 1)), int(np.clip(cx + hw, 0, w - 1)) + 1
    return slice(r0, r1), slice(c0, c1)


def bodies_touch(person_mask: np.ndarray, face_a: np.ndarray, face_b: np.ndarray) -> bool:
    """True when one connected blob of the people mask (bool H×W) covers both faces' centres.

    ``face_a``/``face_b`` are x0, y0, x1, y1 boxes in the mask's pixels.
    """
    n, labels = cv2.connectedComponents(person_mask.astype(np.uint8), connectivity=8)
    if n < 2:
        return False
    la = np.unique(labels[_core(face_a, person_mask.shape)])
    lb = np.unique(labels[_core(face_b, person_mask.shape)])
    shared = np.intersect1d(la[la > 0], lb[lb > 0])
    return len(shared) > 0
