"""Temporal coherence: optical-flow warping error and background flicker between frames.

Warping error (as in video-consistency work, e.g. Lai et al., "Learning Blind Video Temporal
Consistency", ECCV 2018): estimate the flow from frame t+1 back to frame t (Farnebäck 2003), warp
frame t onto t+1 with it and take the mean absolute difference. Smooth, coherent motion warps
well; popping, tearing and texture boiling do not.

Background flicker: the mean absolute change of pixels far from both people, after undoing the
camera's motion between the two frames (a similarity transform fitted to tracked background
corners), so that a push-in by itself does not count as flicker.

Frames are RGB ``uint8`` (H, W, 3); errors are in 8-bit levels (0–255), averaged over channels.
"""

from __future__ import annotations

import cv2
import numpy as np

FLOW_MAX_SIDE = 640
"""Flow is computed with the long side at most this many pixels (speed; errors stay in levels)."""


def _shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return image
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def flow_backward(prev: np.ndarray, nxt: np.ndarray) -> np.ndarray:
    """Dense Farnebäck flow from ``nxt`` to ``prev``: float32 (H, W, 2), where each pixel of
    ``nxt`` came from in ``prev`` (x, y offsets in pixels)."""
    g_prev = cv2.cvtColor(prev, cv2.COLOR_RGB2GRAY)
    g_next = cv2.cvtColor(nxt, cv2.COLOR_RGB2GRAY)
    flow = np.zeros((*g_next.shape, 2), np.float32)
    return cv2.calcOpticalFlowFarneback(g_next, g_prev, flow, 0.5, 4, 15, 3, 5, 1.2, 0)


def warping_error(prev: np.ndarray, nxt: np.ndarray, max_side: int = FLOW_MAX_SIDE) -> float:
    """Mean |warp(prev → nxt) − nxt| in levels, over pixels whose source lies inside ``prev``.

    Both frames are first shrunk so the long side is at most ``max_side``.
    """
    if np.array_equal(prev, nxt):
        return 0.0  # the identity warp is exact; Farnebäck would add ~0.01 levels of its own noise
    a = _shrink(prev, max_side)
    b = _shrink(nxt, max_side)
    flow = flow_backward(a, b)
    h, w = b.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx = gx + flow[..., 0]
    my = gy + flow[..., 1]
    warped = cv2.remap(a.astype(np.float32), mx, my, cv2.INTER_LINEAR)
    valid = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    if not valid.any():
        return float("nan")
    diff = np.abs(warped - b.astype(np.float32)).mean(axis=2)
    return float(diff[valid].mean())


def far_from_people(person_mask: np.ndarray, margin: float = 0.05) -> np.ndarray:
    """bool (H, W): pixels farther than ``margin`` × the frame diagonal from any person pixel."""
    h, w = person_mask.shape
    if not person_mask.any():
        return np.ones((h, w), bool)
    outside = np.where(person_mask, 0, 255).astype(np.uint8)
    dist = cv2.distanceTransform(outside, cv2.DIST_L2, 5)
    return dist > margin * float(np.hypot(h, w))


def gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def track_points(
    g_prev: np.ndarray,
    g_next: np.ndarray,
    pts: np.ndarray,
    win: int = 21,
    max_back: float = 0.5,
    min_eig: float | None = None,
    guess: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points float32 (N, 1, 2) tracked prev → next by pyramidal Lucas–Kanade (``win`` px
    window, 3 levels), checked by tracking them back: (where they went, bool (N,) good). Good:
    found both ways, back within ``max_back`` px of the start and, with ``min_eig``, a window
    whose smallest gradient eigenvalue is at least that (flat windows slide). ``guess``
    (N, 1, 2): where to start looking in ``g_next`` (default: where the points were)."""
    flags = cv2.OPTFLOW_LK_GET_MIN_EIGENVALS if min_eig is not None else 0
    start = pts.copy() if guess is None else guess.astype(np.float32).copy()
    if guess is not None:
        flags |= cv2.OPTFLOW_USE_INITIAL_FLOW
    size = (win, win)
    fwd, st1, err = cv2.calcOpticalFlowPyrLK(
        g_prev, g_next, pts, start, winSize=size, maxLevel=3, flags=flags
    )
    # With a guess, the way back starts where the points came from (it may be far).
    back_flags = cv2.OPTFLOW_USE_INITIAL_FLOW if guess is not None else 0
    back_start = pts.copy() if guess is not None else fwd.copy()
    back, st2, _ = cv2.calcOpticalFlowPyrLK(
        g_next, g_prev, fwd, back_start, winSize=size, maxLevel=3, flags=back_flags
    )
    good = (st1[:, 0] == 1) & (st2[:, 0] == 1)
    good &= np.linalg.norm(back - pts, axis=2)[:, 0] < max_back
    if min_eig is not None:
        good &= err[:, 0] >= min_eig
    return fwd, good


def camera_step(
    g_prev: np.ndarray,
    g_next: np.ndarray,
    region: np.ndarray,
    min_points: int = 12,
    min_distance: int = 7,
) -> np.ndarray | None:
    """The similarity transform prev → next, float64 (2, 3), of the content inside ``region``
    (bool H×W of ``g_prev``), fitted to corners tracked with pyramidal Lucas–Kanade
    (forward-backward checked) between the grey frames; None when too few corners survive.

    On the background far from the people this is the camera's move; on a face it is the head's.
    """
    pts = cv2.goodFeaturesToTrack(
        g_prev,
        maxCorners=400,
        qualityLevel=0.01,
        minDistance=min_distance,
        mask=region.astype(np.uint8),
    )
    if pts is None or len(pts) < min_points:
        return None
    fwd, ok = track_points(g_prev, g_next, pts)
    if ok.sum() < min_points:
        return None
    src, dst = pts[ok], fwd[ok]
    if np.abs(dst - src).max() == 0:
        return np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    m, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.0)
    if m is None or inliers is None or int(inliers.sum()) < min_points:
        return None
    return np.asarray(m, np.float64)


def similarity_scale(m: np.ndarray) -> float:
    """The zoom factor of a similarity transform (2, 3)."""
    return float(np.sqrt(abs(np.linalg.det(m[:, :2]))))


def background_flicker(
    prev: np.ndarray, nxt: np.ndarray, far: np.ndarray, camera: np.ndarray
) -> float:
    """Mean |camera(prev) − nxt| in levels over ``far`` pixels (bool H×W, in ``nxt``'s frame)
    that the moved ``prev`` covers. ``camera`` (2, 3) maps prev's pixels to nxt's."""
    h, w = nxt.shape[:2]
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    if np.abs(camera - identity).max() < 1e-6:
        moved: np.ndarray = prev.astype(np.float32)
        covered = np.ones((h, w), bool)
    else:
        moved = cv2.warpAffine(prev.astype(np.float32), camera, (w, h), flags=cv2.INTER_LINEAR)
        ones = np.ones(prev.shape[:2], np.float32)
        covered = cv2.warpAffine(ones, camera, (w, h), flags=cv2.INTER_LINEAR) > 0.999
    sel = far & covered
    if not sel.any():
        return float("nan")
    diff = np.abs(moved - nxt.astype(np.float32)).mean(axis=2)
    return float(diff[sel].mean())
