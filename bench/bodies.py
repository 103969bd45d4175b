"""People on rendered frames: a people mask (MediaPipe selfie segmentation, general model) and
each person's keypoints (the engine's own BlazePose wrapper, run on a body box grown from the face
the face tracker found, with the partner's head painted grey so the model locks on to the right
person — the same trick the engine uses on the input photo)."""

from __future__ import annotations

import math
from dataclasses import dataclass
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

    Each joint starts where the pose model first sees it and is then moved by the similarity
    motion of the corners around it (Shi–Tomasi corners within ``radius`` px, pyramidal
    Lucas–Kanade with a forward-backward check, fitted by least median of squares) and by
    nothing else. Corners, not the joint's own pixel, so that a joint on a sleeve edge does not
    slide along the edge (the aperture problem).

    The corners are followed from a key frame, not from frame to frame: each step predicts
    them from the previous frame, then tracks them again from the key frame into this one
    starting at the prediction, and the joint is the key position moved by the similarity of
    key → now. Chained frame-to-frame fits add up their sub-pixel errors: over a 5 s push-in
    they had drifted 2–3 px, ~5 % of a forearm, on a clip where nothing stretched. A joint is
    re-keyed on the current frame once its corners have turned or scaled by more than
    ``REKEY`` (Lucas–Kanade's window no longer matches) or too few of them track from the key;
    it is dropped for good once fewer than ``MIN_CORNERS`` corners track at all (hidden, or
    plain cloth). Distances between tracked joints measure how the renderer stretched the
    picture, free of the pose model's frame-to-frame noise.
    """

    MIN_CORNERS = 3
    REKEY = 0.1

    def __init__(self, min_score: float = 0.5) -> None:
        self.min_score = min_score
        self.points: np.ndarray | None = None
        self.dropped: np.ndarray | None = None
        self._keys: list[_Key | None] = []

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
            self._keys = [None] * len(points)
        r = max(radius, 6.0)
        live = [j for j, k in enumerate(self._keys) if k is not None]
        if live and g_prev is not None:
            self._follow(g_prev, g_next, live, r)
        start = (scores >= self.min_score) & ~np.isfinite(self.points).all(axis=1) & ~self.dropped
        for j in np.flatnonzero(start):
            self._rekey(int(j), g_next, points[j].astype(np.float64), r)
        return self.points.copy()

    def _rekey(self, j: int, g: np.ndarray, joint: np.ndarray, radius: float) -> None:
        assert self.points is not None and self.dropped is not None
        corners = _corners_near(g, joint, radius)
        if len(corners) < self.MIN_CORNERS:
            self._drop(j)
            return
        self._keys[j] = _Key(g, joint, corners, corners.copy())
        self.points[j] = joint

    def _drop(self, j: int) -> None:
        """Joint ``j`` is lost for good."""
        assert self.points is not None and self.dropped is not None
        self._keys[j] = None
        self.points[j] = np.nan
        self.dropped[j] = True

    def _follow(self, g_prev: np.ndarray, g_next: np.ndarray, live: list[int], r: float) -> None:
        """Move every live joint into ``g_next`` (see the class)."""
        import cv2

        assert self.points is not None and self.dropped is not None
        keys = [k for k in self._keys if k is not None]
        # 1. Predict each joint's corners in this frame from the previous one (one batch).
        src = np.concatenate([k.now for k in keys]).reshape(-1, 1, 2).astype(np.float32)
        pred, ok_pred = track_points(g_prev, g_next, src, win=LK_WINDOW, min_eig=MIN_EIGEN)
        bounds = np.cumsum([0] + [len(k.now) for k in keys])
        # 2. From each key frame into this one, starting at the prediction (one batch per key).
        found = np.full_like(pred, np.nan)
        ok_key = np.zeros(len(src), bool)
        for image in {id(k.image): k.image for k in keys}.values():
            members = [i for i, k in enumerate(keys) if k.image is image]
            idx = np.concatenate([np.arange(bounds[i], bounds[i + 1]) for i in members])
            start = np.concatenate([keys[i].corners for i in members]).reshape(-1, 1, 2)
            found[idx], ok_key[idx] = track_points(
                image, g_next, start, win=LK_WINDOW, min_eig=MIN_EIGEN, guess=pred[idx]
            )
        # 3. Each joint: the key position moved by the key → now similarity of its corners.
        for i, (j, k) in enumerate(zip(live, keys, strict=True)):
            sl = slice(bounds[i], bounds[i + 1])
            good = ok_key[sl] & ok_pred[sl] & _clear_of_edges(found[sl, 0], g_next.shape)
            m = None
            if good.sum() >= self.MIN_CORNERS:
                m, _ = cv2.estimateAffinePartial2D(
                    k.corners[good], found[sl][good, 0], method=cv2.LMEDS
                )
            if m is not None:
                joint = m[:, :2] @ k.joint + m[:, 2]
                k.now = np.where(good[:, None], found[sl, 0], pred[sl, 0]).astype(np.float32)
                self.points[j] = joint
                scale = math.hypot(m[0, 0], m[1, 0])
                turn = max(abs(math.log(max(scale, 1e-6))), abs(math.atan2(m[1, 0], m[0, 0])))
                if turn > self.REKEY or good.sum() < 2 * self.MIN_CORNERS:
                    self._rekey(j, g_next, joint, r)
                continue
            # Lost from the key: carried from the previous frame, and keyed here.
            sel = ok_pred[sl]
            if sel.sum() >= self.MIN_CORNERS:
                m2, _ = cv2.estimateAffinePartial2D(
                    src[sl][sel, 0], pred[sl][sel, 0], method=cv2.LMEDS
                )
                if m2 is not None:
                    here = m2[:, :2] @ self.points[j].astype(np.float64) + m2[:, 2]
                    self._rekey(j, g_next, here, r)
                    continue
            self._drop(j)


@dataclass
class _Key:
    """A tracked joint's key frame: the grey image, the joint and its corners there, and
    where the corners are now."""

    image: np.ndarray
    joint: np.ndarray
    corners: np.ndarray
    now: np.ndarray


LK_WINDOW = 15
"""Lucas–Kanade's window (px) for the corners around a joint."""


def inside_frame(points: np.ndarray, shape: tuple[int, ...], margin: float) -> np.ndarray:
    """bool (N,): points (N, 2) at least ``margin`` pixels inside a frame of ``shape`` (False
    for NaN points)."""
    h, w = shape[:2]
    x, y = points[:, 0], points[:, 1]
    return (x >= margin) & (x <= w - 1 - margin) & (y >= margin) & (y <= h - 1 - margin)


def _clear_of_edges(points: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """bool (K,): points (K, 2) whose Lucas–Kanade window lies inside the frame (a window cut
    by the edge is pulled inward: joints pushed toward the edge by the camera drifted 5–8 px)."""
    return inside_frame(points, shape, LK_WINDOW / 2 + 1)


def _corners_near(g: np.ndarray, joint: np.ndarray, radius: float) -> np.ndarray:
    """float32 (K, 2): up to 12 Shi–Tomasi corners of ``g`` within ``radius`` of ``joint``."""
    import cv2

    h, w = g.shape
    x, y = float(joint[0]), float(joint[1])
    r = int(round(radius))
    x0, y0 = max(0, int(x) - r), max(0, int(y) - r)
    x1, y1 = min(w, int(x) + r + 1), min(h, int(y) + r + 1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return np.zeros((0, 2), np.float32)
    found = cv2.goodFeaturesToTrack(
        np.ascontiguousarray(g[y0:y1, x0:x1]), maxCorners=12, qualityLevel=0.02, minDistance=3
    )
    if found is None:
        return np.zeros((0, 2), np.float32)
    c = found[:, 0] + [x0, y0]
    keep = (np.linalg.norm(c - [x, y], axis=1) <= radius) & _clear_of_edges(c, g.shape)
    return c[keep].astype(np.float32)


MIN_EIGEN = 1e-3
"""Corners whose Lucas–Kanade window has a smaller minimum eigenvalue are too flat to track."""
