"""People on rendered frames: a people mask (MediaPipe selfie segmentation, general model) and
each person's keypoints (the engine's own BlazePose wrapper, run on a body box grown from the face
the face tracker found, with the partner's head painted grey so the model locks on to the right
person — the same trick the engine uses on the input photo)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.metrics.temporal import track_points
from hugai.types import N_JOINTS, Joint


class PeopleSegmenter:
    def __init__(self) -> None:
        import mediapipe as mp

        self._seg: Any = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)

    def mask(self, frame: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """bool (H, W): pixels that belong to any person."""
        res = self._seg.process(np.ascontiguousarray(frame))
        if res.segmentation_mask is None:
            return np.zeros(frame.shape[:2], bool)
        return np.asarray(res.segmentation_mask) > threshold


def body_box(face: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A box for the whole person below a face box (about 7 face widths wide, 10 tall)."""
    h, w = shape
    fw = float(face[2] - face[0])
    cx = float(face[0] + face[2]) / 2
    box = np.array([cx - 3.5 * fw, face[1] - 0.8 * fw, cx + 3.5 * fw, face[1] + 9 * fw])
    return np.clip(box, 0, [w, h, w, h]).astype(np.float32)


def _grown(face: np.ndarray, by: float) -> np.ndarray:
    fw, fh = float(face[2] - face[0]), float(face[3] - face[1])
    return np.array([face[0] - by * fw, face[1] - by * fh, face[2] + by * fw, face[3] + by * fh])


class BodyPoses:
    """Keypoints of one person on a frame, located by their face."""

    def __init__(self) -> None:
        from hugai.perceive.models import MediapipePose

        self._model = MediapipePose()

    def estimate(
        self, frame: np.ndarray, face: np.ndarray, other: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """points float32 (N_JOINTS, 2) frame pixels and scores float32 (N_JOINTS,); all scores
        zero when the model found nobody, or found someone whose nose is not in ``face``."""
        image = frame
        if other is not None:
            image = frame.copy()
            hide = _grown(other, 0.3)
            keep = _grown(face, 0.1)
            h, w = frame.shape[:2]
            x0, y0, x1, y1 = (int(round(float(v))) for v in hide)
            image[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)] = 127
            x0, y0, x1, y1 = (int(round(float(v))) for v in keep)
            sl = np.s_[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)]
            image[sl] = frame[sl]
        est = self._model.estimate(image, body_box(face, frame.shape[:2]))
        none = (np.zeros((N_JOINTS, 2), np.float32), np.zeros(N_JOINTS, np.float32))
        if est is None:
            return none
        nose = est.points[Joint.NOSE]
        x0, y0, x1, y1 = _grown(face, 0.5)
        if not (x0 <= nose[0] <= x1 and y0 <= nose[1] <= y1):
            return none
        return est.points, est.scores


class KeypointVerifier:
    """Keeps one person's pose keypoints honest over time.

    A pose model on a single frame sometimes puts a wrist on the partner's hand, or a shoulder on
    a flower, with high confidence, and back again a few frames later; a bone then "changes" by
    half its length though the picture did not. So each keypoint is carried from frame to frame
    by optical flow (pyramidal Lucas–Kanade, forward-backward checked) or, where the flow fails
    (plain cloth, hidden), by the head's own motion; the model's keypoint is accepted only where
    it agrees with the carried one within ``tol`` pixels, and then re-anchors it. A rejected
    keypoint counts as not seen. Consequences: a keypoint wrong in the first frame it is seen
    stays unmeasured rather than measured wrong, and a real jump larger than ``tol`` reads as
    unseen, not as jitter (the warping error still sees it).
    """

    def __init__(self, min_score: float = 0.5) -> None:
        self.min_score = min_score
        self.anchor: np.ndarray | None = None

    def step(
        self,
        g_prev: np.ndarray | None,
        g_next: np.ndarray,
        points: np.ndarray,
        scores: np.ndarray,
        tol: float,
        head: np.ndarray | None = None,
    ) -> np.ndarray:
        """The scores with rejected keypoints set to 0 (points as given, frame pixels).

        head: the person's head motion from the previous frame (2, 3), or None if unknown.
        """
        seen = scores >= self.min_score
        carried = np.full(points.shape, np.nan, np.float32)
        if self.anchor is not None and g_prev is not None:
            ok = np.isfinite(self.anchor).all(axis=1)
            if ok.any():
                src = self.anchor[ok].reshape(-1, 1, 2).astype(np.float32)
                fwd, good = track_points(g_prev, g_next, src, max_back=1.0)
                moved = (
                    src[:, 0] @ head[:, :2].T + head[:, 2]
                    if head is not None
                    else src[:, 0] * np.nan
                )
                carried[ok] = np.where(good[:, None], fwd[:, 0], moved)
        have = np.isfinite(carried).all(axis=1)
        agree = seen & have & (np.linalg.norm(points - np.nan_to_num(carried), axis=1) <= tol)
        fresh = seen & ~have
        accept = agree | fresh
        self.anchor = np.where(accept[:, None], points, carried).astype(np.float32)
        return np.where(accept, scores, 0.0).astype(np.float32)


class KeypointTracks:
    """Keypoints followed through the rendered pixels themselves.

    Each joint starts where the pose model first sees it and is then moved, frame to frame, by
    the local similarity motion of the corners around it (Shi–Tomasi corners within ``radius``
    px, tracked by pyramidal Lucas–Kanade with a forward-backward check, fitted by least median
    of squares) and by nothing else. Corners, not the
    joint's own pixel, so that a joint on a sleeve edge does not slide along the edge (the
    aperture problem). A joint is dropped for good once fewer than ``MIN_CORNERS`` corners track
    (hidden, or plain cloth). Distances between tracked joints measure how the renderer stretched
    the picture, free of the pose model's frame-to-frame noise.
    """

    MIN_CORNERS = 3

    def __init__(self, min_score: float = 0.5) -> None:
        self.min_score = min_score
        self.points: np.ndarray | None = None
        self.dropped: np.ndarray | None = None

    def step(
        self,
        g_prev: np.ndarray | None,
        g_next: np.ndarray,
        points: np.ndarray,
        scores: np.ndarray,
        radius: float,
    ) -> np.ndarray:
        """float32 (N_JOINTS, 2) tracked positions in this frame, NaN where not tracked."""
        if self.points is None or self.dropped is None:
            self.points = np.full(points.shape, np.nan, np.float32)
            self.dropped = np.zeros(len(points), bool)
        live = np.flatnonzero(np.isfinite(self.points).all(axis=1))
        if len(live) and g_prev is not None:
            moved = _move_by_corners(g_prev, g_next, self.points[live], max(radius, 6.0))
            ok = np.isfinite(moved).all(axis=1)
            self.points[live] = moved
            self.dropped[live[~ok]] = True
        start = (scores >= self.min_score) & ~np.isfinite(self.points).all(axis=1) & ~self.dropped
        self.points[start] = points[start]
        return self.points.copy()


MIN_EIGEN = 1e-3
"""Corners whose Lucas–Kanade window has a smaller minimum eigenvalue are too flat to track."""


def _move_by_corners(
    g_prev: np.ndarray, g_next: np.ndarray, joints: np.ndarray, radius: float
) -> np.ndarray:
    """Each joint (N, 2) moved by the similarity fitted to the corners within ``radius``;
    NaN where fewer than ``KeypointTracks.MIN_CORNERS`` corners survive."""
    import cv2

    h, w = g_prev.shape
    r = int(round(radius))
    corners, owner = [], []
    for j, (x, y) in enumerate(joints):
        x0, y0 = max(0, int(x) - r), max(0, int(y) - r)
        x1, y1 = min(w, int(x) + r + 1), min(h, int(y) + r + 1)
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        found = cv2.goodFeaturesToTrack(
            np.ascontiguousarray(g_prev[y0:y1, x0:x1]),
            maxCorners=12,
            qualityLevel=0.02,
            minDistance=3,
        )
        if found is None:
            continue
        c = found[:, 0] + [x0, y0]
        keep = np.linalg.norm(c - [x, y], axis=1) <= radius
        corners.append(c[keep])
        owner += [j] * int(keep.sum())
    out = np.full(joints.shape, np.nan, np.float32)
    if not owner:
        return out
    src = np.concatenate(corners).reshape(-1, 1, 2).astype(np.float32)
    fwd, good = track_points(g_prev, g_next, src, win=15, min_eig=MIN_EIGEN)
    owners = np.asarray(owner)
    for j in range(len(joints)):
        sel = good & (owners == j)
        if sel.sum() < KeypointTracks.MIN_CORNERS:
            continue
        m, _ = cv2.estimateAffinePartial2D(src[sel], fwd[sel], method=cv2.LMEDS)
        if m is not None:
            out[j] = m[:, :2] @ joints[j] + m[:, 2]
    return out
