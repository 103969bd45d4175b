"""Anatomy: do bones keep their length, and do keypoints move smoothly?

Input is what a pose model saw on the rendered frames: ``points`` float (F, J, 2) in video
pixels and ``scores`` float (F, J) in [0, 1] for one person (J in ``hugai.types.Joint`` order).

Bone length change is measured against the first frame the bone is seen, after dividing by a
per-frame ``scale`` that follows the camera (the person's inter-ocular distance), so a push-in
does not count as growth. Pose models are noisy by a few per cent per frame, so the series is
median-filtered over ``SMOOTH`` frames before taking the worst value; the raw worst is kept too.

Jitter is the second difference |p[t+1] − 2·p[t] + p[t−1]| of each keypoint in pixels: zero for
motion at constant velocity, large for a keypoint that jumps for one frame and comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hugai.types import Joint

MIN_SCORE = 0.5
SMOOTH = 5

_MID_SHOULDER = (Joint.L_SHOULDER, Joint.R_SHOULDER)
_MID_HIP = (Joint.L_HIP, Joint.R_HIP)

BONES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "l_upper_arm": ((Joint.L_SHOULDER,), (Joint.L_ELBOW,)),
    "r_upper_arm": ((Joint.R_SHOULDER,), (Joint.R_ELBOW,)),
    "l_forearm": ((Joint.L_ELBOW,), (Joint.L_WRIST,)),
    "r_forearm": ((Joint.R_ELBOW,), (Joint.R_WRIST,)),
    "shoulders": ((Joint.L_SHOULDER,), (Joint.R_SHOULDER,)),
    "torso": (_MID_SHOULDER, _MID_HIP),
}
"""Each bone runs between the means of two joint groups."""

JITTER_JOINTS = (
    Joint.NOSE,
    Joint.L_SHOULDER,
    Joint.R_SHOULDER,
    Joint.L_ELBOW,
    Joint.R_ELBOW,
    Joint.L_WRIST,
    Joint.R_WRIST,
    Joint.L_HIP,
    Joint.R_HIP,
)


def bone_lengths(
    points: np.ndarray, scores: np.ndarray, min_score: float = MIN_SCORE
) -> dict[str, np.ndarray]:
    """Per bone a float (F,) length in pixels, NaN where any of its joints is not seen."""
    out: dict[str, np.ndarray] = {}
    for name, (head, tail) in BONES.items():
        joints = list(head) + list(tail)
        seen = (scores[:, joints] >= min_score).all(axis=1)
        a = points[:, list(head)].mean(axis=1)
        b = points[:, list(tail)].mean(axis=1)
        length = np.linalg.norm(b - a, axis=1).astype(np.float64)
        out[name] = np.where(seen, length, np.nan)
    return out


def _nan_median_filter(x: np.ndarray, size: int) -> np.ndarray:
    """A running median over ``size`` frames that ignores NaNs (NaN where the frame is NaN)."""
    if size <= 1:
        return x.copy()
    half = size // 2
    out = np.full_like(x, np.nan)
    for t in np.flatnonzero(np.isfinite(x)):
        win = x[max(0, t - half) : t + half + 1]
        out[t] = np.nanmedian(win)
    return out


@dataclass(frozen=True)
class BoneChange:
    """worst: largest |relative change| after smoothing; raw: the same without smoothing;
    bone and frame: where ``worst`` happened. Relative: 0.05 = 5 %."""

    worst: float
    raw: float
    bone: str
    frame: int


def bone_change(
    points: np.ndarray,
    scores: np.ndarray,
    scale: np.ndarray,
    smooth: int = SMOOTH,
    min_score: float = MIN_SCORE,
) -> BoneChange | None:
    """The worst bone length change relative to the bone's first sighting, in units of
    ``scale`` (float (F,), NaN where unknown: those frames are skipped). None if no bone is seen
    in two frames."""
    best: BoneChange | None = None
    for name, length in bone_lengths(points, scores, min_score).items():
        norm = length / scale
        seen = np.flatnonzero(np.isfinite(norm) & (norm > 0))
        if len(seen) < 2:
            continue
        rel = norm / norm[seen[0]] - 1.0
        smoothed = _nan_median_filter(rel, smooth)
        t = int(np.nanargmax(np.abs(smoothed)))
        cand = BoneChange(
            worst=float(abs(smoothed[t])), raw=float(np.nanmax(np.abs(rel))), bone=name, frame=t
        )
        if best is None or cand.worst > best.worst:
            best = cand
    return best


def second_difference(
    points: np.ndarray, scores: np.ndarray, min_score: float = MIN_SCORE
) -> np.ndarray:
    """float (F, J): |p[t+1] − 2 p[t] + p[t−1]| in pixels for ``JITTER_JOINTS``, NaN where the
    joint is not seen in all three frames (and at the first and last frame)."""
    f, j = scores.shape
    out = np.full((f, j), np.nan)
    if f < 3:
        return out
    idx = list(JITTER_JOINTS)
    seen = scores[:, idx] >= min_score
    both = seen[:-2] & seen[1:-1] & seen[2:]
    acc = points[2:, idx] - 2 * points[1:-1, idx] + points[:-2, idx]
    mag = np.linalg.norm(acc, axis=2)
    out[1:-1, idx] = np.where(both, mag, np.nan)
    return out


def worst_jitter(points: np.ndarray, scores: np.ndarray, min_score: float = MIN_SCORE) -> float:
    """The largest second difference of any tracked keypoint, in pixels (NaN if none)."""
    d = second_difference(points, scores, min_score)
    return float(np.nanmax(d)) if np.isfinite(d).any() else float("nan")
