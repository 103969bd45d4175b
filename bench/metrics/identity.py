"""Identity: is each person still themselves, frame after frame?

Faces are compared by the Euclidean distance between 128-d dlib face descriptors (King, "Dlib-ml",
JMLR 2009; the ResNet model of ``face_recognition_models``), the distance ``face_recognition``
uses: below ``SAME_PERSON`` (0.6) is the same person; the bench's target is a worst distance
below ``TARGET_WORST`` (0.35) against the person's face in the input photo.

Which detected face belongs to whom is decided per frame by ``assign``: the nearest descriptor,
with a penalty for moving far from where the person's face was last seen.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

SAME_PERSON = 0.6
TARGET_WORST = 0.35


def descriptor_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances between descriptor rows: a (N, 128), b (M, 128) → (N, M)."""
    return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)


def assign(
    ref: np.ndarray,
    last_center: np.ndarray,
    last_width: np.ndarray,
    centers: np.ndarray,
    descs: np.ndarray,
    max_jump: np.ndarray,
    position_weight: float = 0.3,
) -> list[int | None]:
    """Which detection (index into ``centers``/``descs``) is each person's face, or None.

    ref: (P, 128) each person's reference descriptor; last_center: (P, 2) where the face was last
    seen (NaN if never); last_width: (P,) its width then; centers: (N, 2) and descs: (N, 128) of
    this frame's detections; max_jump: (P,) how far (in face widths) the face may have moved.
    A person whose ``ref`` row is NaN is matched by position alone (and only once seen).
    The assignment covers as many people as possible, then has the smallest total cost
    (descriptor distance + ``position_weight`` × jump in face widths). No detection goes to two.
    """
    p, n = len(ref), len(centers)
    if n == 0:
        return [None] * p
    cost = descriptor_distance(ref, descs)
    for i in range(p):
        if np.isnan(ref[i]).any():
            cost[i] = 0.0 if np.isfinite(last_center[i]).all() else np.inf
        if np.isfinite(last_center[i]).all():
            jump = np.linalg.norm(centers - last_center[i], axis=1) / max(last_width[i], 1.0)
            cost[i] = np.where(jump <= max_jump[i], cost[i] + position_weight * jump, np.inf)
    best: tuple[int, float, list[int | None]] = (-1, np.inf, [None] * p)
    options = [None, *range(n)]
    for combo in itertools.product(options, repeat=p):
        picked = [c for c in combo if c is not None]
        if len(set(picked)) < len(picked):
            continue
        if any(c is not None and not np.isfinite(cost[i, c]) for i, c in enumerate(combo)):
            continue
        total = float(sum(cost[i, c] for i, c in enumerate(combo) if c is not None))
        if len(picked) > best[0] or (len(picked) == best[0] and total < best[1]):
            best = (len(picked), total, list(combo))
    return best[2]


@dataclass(frozen=True)
class IdentityStats:
    """Per person (left first): mean and worst descriptor distance over the frames the face was
    found (NaN if never) and the distance on frame 0 (the photo as taken, so what the descriptor
    reads when nothing has moved: resampling to the video's size and compression alone); kept:
    share of frames where both faces were found."""

    mean: tuple[float, float]
    worst: tuple[float, float]
    kept: float
    first: tuple[float, float] = (float("nan"), float("nan"))


def identity_stats(distances: np.ndarray) -> IdentityStats:
    """From distances float (F, 2), NaN where that person's face was not found."""
    found = np.isfinite(distances)
    means, worsts = [], []
    for k in range(distances.shape[1]):
        d = distances[found[:, k], k]
        means.append(float(d.mean()) if len(d) else float("nan"))
        worsts.append(float(d.max()) if len(d) else float("nan"))
    kept = float(found.all(axis=1).mean()) if len(distances) else float("nan")
    first = distances[0] if len(distances) else np.full(2, np.nan)
    return IdentityStats(
        mean=(means[0], means[1]),
        worst=(worsts[0], worsts[1]),
        kept=kept,
        first=(float(first[0]), float(first[1])),
    )
