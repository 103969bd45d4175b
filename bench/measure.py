"""Measure one rendered video: decode it with PyAV and run every quality metric on its frames.

One pass over the frames; per frame: the two faces (tracked, described), the people mask, each
person's keypoints, the empty-pixel share; per pair of frames: warping error, camera motion from
the background, background flicker.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.bodies import (
    LK_WINDOW,
    BodyPoses,
    KeypointTracks,
    KeypointVerifier,
    PeopleSegmenter,
    inside_frame,
)
from bench.faces import Face, FaceModels, FaceTracker
from bench.metrics.anatomy import bone_change, worst_jitter
from bench.metrics.artifacts import empty_share
from bench.metrics.hug import bodies_touch, hug_reach
from bench.metrics.identity import identity_stats
from bench.metrics.temporal import (
    background_flicker,
    camera_step,
    far_from_people,
    gray,
    similarity_scale,
    warping_error,
)
from bench.timer import Stopwatch
from bench.video import decode_frames
from hugai.types import N_JOINTS

CAMERA_MARGIN = 0.02
"""Corners for the camera fit are taken this far (× frame diagonal) from any person."""
FLICKER_MARGIN = 0.05
"""Flicker is measured on pixels this far (× frame diagonal) from any person."""
EDGE_MARGIN = 0.03
"""Keypoints this close (× the short side) to the frame edge are ignored: a body cut by the
frame edge makes the pose model guess where the shoulder is."""
TRACK_RADIUS = 0.35
"""Tracked keypoints move with the corners within this many face widths of them."""
VERIFY_TOL = 0.3
"""A pose keypoint must lie within this many face widths of its optical-flow track."""
MIN_SEEN = 0.5
"""A tracked joint is measured only in frames where the pose model's (verified) score for it is
at least this, and it lies within ``VERIFY_TOL`` face widths of the pose model's keypoint."""


@dataclass
class Quality:
    """What the video's pixels say. Distances are descriptor units, shares 0–1, errors 8-bit
    levels, jitter pixels; None where a metric could not be measured (see ``notes``)."""

    frames: int
    identity_mean: list[float | None]
    identity_worst: list[float | None]
    identity_first: list[float | None]
    faces_kept: float | None
    hug_ratio: float | None
    hug_ratio_zoomfree: float | None
    hug_peak: int | None
    touch: bool | None
    bone_change: float | None
    bone_change_raw: float | None
    bone: str | None
    bone_scale: str
    jitter_px: list[float | None]
    tracked_bone_change: float | None
    tracked_bone: str | None
    tracked_jitter_px: list[float | None]
    warp_error: float | None
    warp_error_max: float | None
    flicker: float | None
    flicker_pairs: int
    empty_share: float
    empty_worst_frame: float
    zoom: float | None
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: _clean(v) for k, v in asdict(self).items()}


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list):
        return [_clean(x) for x in v]
    return v


def _opt(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


class Measurer:
    """The models the metrics need, loaded once and reused for every video."""

    def __init__(self) -> None:
        self.faces = FaceModels()
        self.segmenter = PeopleSegmenter()
        self.poses = BodyPoses()

    def measure(
        self,
        video: Path,
        photos: list[np.ndarray],
        people_boxes: list[np.ndarray] | None,
    ) -> Quality:
        """All metrics of ``video`` made from ``photos`` (RGB, as decoded by the engine's loader);
        ``people_boxes`` (photo pixels, left first) say which two people the engine animated."""
        with Stopwatch() as sw:
            q = self._measure(video, photos, people_boxes)
        q.seconds = sw.seconds
        return q

    def _measure(
        self, video: Path, photos: list[np.ndarray], people_boxes: list[np.ndarray] | None
    ) -> Quality:
        tracker = FaceTracker(self.faces, photos, people_boxes)
        verifiers = [KeypointVerifier(), KeypointVerifier()]
        trackers = [KeypointTracks(), KeypointTracks()]
        tracked: list[np.ndarray] = []
        boxes, dists = [], []
        points, scores = [], []
        head_scale = np.full(2, np.nan)
        head_scales: list[np.ndarray] = []
        masks: list[np.ndarray] = []
        empties, warps, flickers, steps = [], [], [], []
        prev: np.ndarray | None = None
        g_prev: np.ndarray | None = None
        last_face: list[Face | None] = [None, None]
        last_scale = [1.0, 1.0]
        last_t = [-1, -1]
        for t, frame in enumerate(decode_frames(video)):
            g = gray(frame)
            found = tracker.start(frame) if t == 0 else tracker.step(frame)
            boxes.append([f.box if f is not None else np.full(4, np.nan) for f in found])
            dists.append([tracker.distance(k, f) for k, f in enumerate(found)])
            pts = np.zeros((2, N_JOINTS, 2), np.float32)
            sc = np.zeros((2, N_JOINTS), np.float32)
            tr = np.full((2, N_JOINTS, 2), np.nan, np.float32)
            for k, f in enumerate(found):
                if f is not None:
                    other = found[1 - k]
                    pts[k], sc[k] = self.poses.estimate(
                        frame, f.box, other.box if other is not None else None
                    )
                sc[k] = np.where(_inside(pts[k], frame.shape, EDGE_MARGIN), sc[k], 0.0)
                head = _head_step(g_prev, g, last_face[k], last_t[k] == t - 1, f)
                tol = VERIFY_TOL * (f.width if f is not None else 0.0)
                sc[k] = verifiers[k].step(g_prev, g, pts[k], sc[k], tol, head)
                radius = TRACK_RADIUS * (f.width if f is not None else 0.0)
                tr[k] = trackers[k].step(g_prev, g, pts[k], sc[k], radius)
                # A joint counts only while all its corners can be in view: as the camera
                # pushes a joint toward the edge its corners leave, and the fit extrapolates.
                clear = EDGE_MARGIN * min(frame.shape[:2]) + radius + LK_WINDOW / 2
                tr[k][~inside_frame(tr[k], frame.shape, clear)] = np.nan
                head_scale[k] = _next_head_scale(last_scale[k], last_face[k], f, head)
                if f is not None:
                    last_scale[k], last_face[k], last_t[k] = head_scale[k], f, t
            head_scales.append(head_scale.copy())
            points.append(pts)
            scores.append(sc)
            tracked.append(tr)
            mask = self.segmenter.mask(frame)
            empties.append(empty_share(frame))
            if prev is not None and g_prev is not None:
                warps.append(warping_error(prev, frame))
                people = masks[-1] | mask
                cam = camera_step(g_prev, g, far_from_people(people, CAMERA_MARGIN))
                steps.append(cam)
                if cam is not None:
                    flickers.append(
                        background_flicker(
                            prev, frame, far_from_people(people, FLICKER_MARGIN), cam
                        )
                    )
            masks.append(mask)
            prev, g_prev = frame, g
        n = len(masks)
        notes = list(tracker.notes)
        box_arr = np.asarray(boxes, np.float64).reshape(n, 2, 4)
        centers = np.stack(
            [(box_arr[..., 0] + box_arr[..., 2]) / 2, (box_arr[..., 1] + box_arr[..., 3]) / 2], -1
        )
        ident = identity_stats(np.asarray(dists, np.float64).reshape(n, 2))
        reach = hug_reach(centers)
        touch = None
        if reach is not None:
            touch = bodies_touch(masks[reach.peak], box_arr[reach.peak, 0], box_arr[reach.peak, 1])
            if reach.first != 0:
                notes.append(f"faces first both seen at frame {reach.first}, not 0")
        zoom = None
        if steps and all(s is not None for s in steps):
            zoom = float(np.prod([similarity_scale(s) for s in steps if s is not None]))
        else:
            failed = sum(s is None for s in steps)
            notes.append(f"camera not fitted on {failed}/{len(steps)} frame pairs")
        hs = np.asarray(head_scales, np.float64).reshape(n, 2)
        scales = [hs[:, 0], hs[:, 1]]
        # The same closest approach with the camera's zoom divided out (mean of both heads' scale).
        reach_zf = hug_reach(centers / hs.mean(axis=1)[:, None, None])
        bone_scale = "head scale (tracked face texture)"
        pts_arr = np.asarray(points)
        sc_arr = np.asarray(scores)
        changes = [bone_change(pts_arr[:, k], sc_arr[:, k], scales[k]) for k in range(2)]
        worst = max((c for c in changes if c is not None), key=lambda c: c.worst, default=None)
        jitters = [_opt(worst_jitter(pts_arr[:, k], sc_arr[:, k])) for k in range(2)]
        tr_arr = np.asarray(tracked)
        tr_seen = tracked_and_seen(tr_arr, pts_arr, sc_arr, box_arr[..., 2] - box_arr[..., 0])
        tr_arr = np.nan_to_num(tr_arr)
        t_changes = [
            bone_change(tr_arr[:, k], tr_seen[:, k], scales[k], smooth=1) for k in range(2)
        ]
        t_worst = max((c for c in t_changes if c is not None), key=lambda c: c.worst, default=None)
        t_jitters = [_opt(worst_jitter(tr_arr[:, k], tr_seen[:, k])) for k in range(2)]
        warp = np.asarray(warps, np.float64)
        flick = np.asarray(flickers, np.float64)
        return Quality(
            frames=n,
            identity_mean=[_opt(v) for v in ident.mean],
            identity_worst=[_opt(v) for v in ident.worst],
            identity_first=[_opt(v) for v in ident.first],
            faces_kept=_opt(ident.kept),
            hug_ratio=reach.ratio if reach else None,
            hug_ratio_zoomfree=reach_zf.ratio if reach_zf else None,
            hug_peak=reach.peak if reach else None,
            touch=touch,
            bone_change=worst.worst if worst else None,
            bone_change_raw=worst.raw if worst else None,
            bone=f"{'LR'[changes.index(worst)]}:{worst.bone}@{worst.frame}" if worst else None,
            bone_scale=bone_scale,
            jitter_px=jitters,
            tracked_bone_change=t_worst.worst if t_worst else None,
            tracked_bone=(
                f"{'LR'[t_changes.index(t_worst)]}:{t_worst.bone}@{t_worst.frame}"
                if t_worst
                else None
            ),
            tracked_jitter_px=t_jitters,
            warp_error=_opt(float(np.nanmean(warp))) if np.isfinite(warp).any() else None,
            warp_error_max=_opt(float(np.nanmax(warp))) if np.isfinite(warp).any() else None,
            flicker=_opt(float(np.nanmean(flick))) if np.isfinite(flick).any() else None,
            flicker_pairs=int(np.isfinite(flick).sum()),
            empty_share=float(np.mean(empties)) if empties else 0.0,
            empty_worst_frame=float(np.max(empties)) if empties else 0.0,
            zoom=zoom,
            seconds=0.0,
            notes=notes,
        )


def tracked_and_seen(
    tracked: np.ndarray, points: np.ndarray, scores: np.ndarray, face_widths: np.ndarray
) -> np.ndarray:
    """float32 (..., J): 1 where a tracked joint counts. tracked, points (..., J, 2): the joint
    followed through the pixels and the pose model's (verified) keypoint, NaN where none;
    scores (..., J); face_widths (...) in pixels, NaN where the face was not found.

    It counts where the pose model sees it (score ``MIN_SEEN``) in the same place (within
    ``VERIFY_TOL`` face widths): covered by the partner, a joint's corners can slide onto the
    partner's clothes and follow them (the collage's shoulder went 110 px astray so), and two
    estimates that agree are seldom both wrong."""
    apart = np.linalg.norm(tracked - points, axis=-1)
    agree = apart <= VERIFY_TOL * face_widths[..., None]  # False where anything is NaN
    return (agree & (scores >= MIN_SEEN)).astype(np.float32)


def _head_step(
    g_prev: np.ndarray | None,
    g_next: np.ndarray,
    last_face: Face | None,
    consecutive: bool,
    now: Face | None,
) -> np.ndarray | None:
    """The head's similarity motion (2, 3) from the previous frame, fitted to corners tracked
    inside the face (the engine draws heads rigid), or None."""
    if now is None or last_face is None or not consecutive or g_prev is None:
        return None
    region = np.zeros(g_prev.shape, bool)
    x0, y0, x1, y1 = (int(round(float(v))) for v in last_face.box)
    h, w = g_prev.shape
    region[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)] = True
    return camera_step(g_prev, g_next, region, min_points=6, min_distance=3)


def _next_head_scale(
    last_scale: float, last_face: Face | None, now: Face | None, head: np.ndarray | None
) -> float:
    """A person's size relative to their first sighting, following the camera's zoom: chained
    head-motion scales, or the ratio of face box widths where the head could not be tracked.
    NaN where the face is not found."""
    if now is None:
        return float("nan")
    if last_face is None:
        return 1.0
    ratio = similarity_scale(head) if head is not None else now.width / max(last_face.width, 1.0)
    return last_scale * ratio


def _inside(points: np.ndarray, shape: tuple[int, ...], margin: float) -> np.ndarray:
    """bool (N,): points (N, 2) at least ``margin`` × the short side inside the frame."""
    return inside_frame(points, shape, margin * min(shape[:2]))
