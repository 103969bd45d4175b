"""2×3 affine maps in image coordinates (x right, y down; positive angles turn clockwise)."""

from __future__ import annotations

import numpy as np


def identity() -> np.ndarray:
    return np.array([[1, 0, 0], [0, 1, 0]], np.float64)


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a ∘ b: apply b, then a."""
    a3 = np.vstack([a, [0, 0, 1]])
    b3 = np.vstack([b, [0, 0, 1]])
    return (a3 @ b3)[:2]


def invert(m: np.ndarray) -> np.ndarray:
    a = np.linalg.inv(m[:, :2])
    return np.hstack([a, (-a @ m[:, 2])[:, None]])


def translate(dx: float, dy: float) -> np.ndarray:
    return np.array([[1, 0, dx], [0, 1, dy]], np.float64)


def rotate_about(angle: float, center: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    cx, cy = float(center[0]), float(center[1])
    return np.array([[c, -s, cx - c * cx + s * cy], [s, c, cy - s * cx - c * cy]], np.float64)


def scale_about(sx: float, sy: float, center: np.ndarray) -> np.ndarray:
    cx, cy = float(center[0]), float(center[1])
    return np.array([[sx, 0, cx - sx * cx], [0, sy, cy - sy * cy]], np.float64)


def apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Map points float (N, 2) (or one point (2,))."""
    p = np.asarray(pts, np.float64)
    return p @ m[:, :2].T + m[:, 2]


def rigid_segment(a0: np.ndarray, b0: np.ndarray, a1: np.ndarray, b1: np.ndarray) -> np.ndarray:
    """The rotation + translation taking a0 to a1 and the direction a0→b0 to a1→b1 (no scale)."""
    d0 = np.asarray(b0, np.float64) - a0
    d1 = np.asarray(b1, np.float64) - a1
    ang = np.arctan2(d1[1], d1[0]) - np.arctan2(d0[1], d0[0])
    m = rotate_about(ang, a0)
    m[:, 2] += np.asarray(a1, np.float64) - np.asarray(a0, np.float64)
    return m
