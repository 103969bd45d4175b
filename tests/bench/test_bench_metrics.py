"""The bench's metrics on synthetic clips whose right answers are known exactly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from bench.bodies import KeypointTracks
from bench.measure import tracked_and_seen
from bench.metrics.anatomy import bone_change, second_difference, worst_jitter
from bench.metrics.artifacts import empty_share
from bench.metrics.hug import bodies_touch, face_gaps, hug_reach
from bench.metrics.identity import assign, identity_stats
from bench.metrics.temporal import (
    background_flicker,
    camera_step,
    far_from_people,
    gray,
    similarity_scale,
    warping_error,
)
from bench.report import Target, quality_cells
from bench.synthetic import push_in, textured
from hugai.types import N_JOINTS, Joint

H, W = 120, 160


def shifted(image: np.ndarray, dx: int) -> np.ndarray:
    """The image moved right by dx pixels (content entering on the left is the wrapped edge)."""
    return np.roll(image, dx, axis=1)


def test_still_clip_has_no_warping_error_and_no_flicker() -> None:
    frame = textured(H, W)
    assert warping_error(frame, frame.copy()) == pytest.approx(0.0, abs=1e-3)
    static = np.ones((H, W), bool)
    cam = camera_step(gray(frame), gray(frame), static)
    assert cam is not None
    np.testing.assert_allclose(cam, [[1, 0, 0], [0, 1, 0]], atol=1e-9)
    assert background_flicker(frame, frame.copy(), static, cam) == 0.0


def test_camera_step_recovers_a_pan_and_flicker_is_measured_after_undoing_it() -> None:
    a = textured(H, W, seed=1)
    b = shifted(a, 3)
    static = np.zeros((H, W), bool)
    static[10:-10, 10:-10] = True  # away from the wrapped column
    cam = camera_step(gray(a), gray(b), static)
    assert cam is not None
    assert cam[0, 2] == pytest.approx(3.0, abs=0.05)
    assert cam[1, 2] == pytest.approx(0.0, abs=0.05)
    assert similarity_scale(cam) == pytest.approx(1.0, abs=1e-3)
    far = np.zeros((H, W), bool)
    far[20:-20, 20:-20] = True
    assert background_flicker(a, b, far, cam) < 0.5
    # Without undoing the pan, the same pixels change a lot: the compensation is what matters.
    assert background_flicker(a, b, far, np.array([[1.0, 0, 0], [0, 1.0, 0]])) > 5.0


def test_flicker_counts_only_pixels_far_from_people() -> None:
    a = np.minimum(textured(H, W, seed=2), 240)  # room to brighten without clipping
    b = a.copy()
    b[40:80, 60:100] = 255 - b[40:80, 60:100]  # a "person" changes completely
    people = np.zeros((H, W), bool)
    people[40:80, 60:100] = True
    far = far_from_people(people, margin=0.05)
    assert not far[40:80, 60:100].any()
    identity = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    assert background_flicker(a, b, far, identity) == 0.0
    c = b.copy()
    c[far] += 4  # the whole background brightens by 4 levels
    assert background_flicker(a, c, far, identity) == pytest.approx(4.0)


def test_warping_error_is_small_for_smooth_motion_and_large_for_a_cut() -> None:
    a = textured(H, W, seed=3)
    assert warping_error(a, shifted(a, 2)) < 3.0
    assert warping_error(a, textured(H, W, seed=4)) > 20.0


def test_black_border_share_is_exact_and_inner_black_is_not_counted() -> None:
    frame = np.full((H, W, 3), 128, np.uint8)
    frame[:, :10] = 0  # a band with no picture at the left edge
    assert empty_share(frame) == pytest.approx(10 * H / (H * W))
    inner = np.full((H, W, 3), 128, np.uint8)
    inner[50:60, 50:60] = 0  # dark, but part of the picture
    assert empty_share(inner) == 0.0
    noisy = frame.copy()
    noisy[:, :10] = 2  # compression noise around black still counts
    assert empty_share(noisy) == pytest.approx(10 * H / (H * W))


def test_hug_reach_is_the_closest_gap_relative_to_the_first() -> None:
    f = 11
    centers = np.zeros((f, 2, 2))
    centers[:, 0] = [[100 + 15 * t, 200] for t in range(f)]
    centers[:, 1] = [[500 - 15 * t, 200] for t in range(f)]
    centers[7, 1] = np.nan  # a frame where one face was lost
    reach = hug_reach(centers)
    assert reach is not None
    assert reach.peak == 10
    assert reach.ratio == pytest.approx((400 - 300) / 400)
    assert np.isnan(face_gaps(centers)[7])


def test_hug_reach_starts_at_the_first_frame_with_both_faces() -> None:
    centers = np.full((3, 2, 2), np.nan)
    centers[1] = [[0, 0], [200, 0]]
    centers[2] = [[50, 0], [150, 0]]
    reach = hug_reach(centers)
    assert reach is not None and reach.first == 1 and reach.ratio == pytest.approx(0.5)
    assert hug_reach(np.full((3, 2, 2), np.nan)) is None


def test_bodies_touch_when_one_blob_joins_both_faces() -> None:
    mask = np.zeros((100, 200), bool)
    mask[20:90, 20:80] = True
    mask[20:90, 120:180] = True
    face_a = np.array([35, 25, 65, 55], np.float32)
    face_b = np.array([135, 25, 165, 55], np.float32)
    assert not bodies_touch(mask, face_a, face_b)
    mask[60:70, 80:120] = True  # arms meet
    assert bodies_touch(mask, face_a, face_b)


def _arm(frames: int, forearm: np.ndarray, zoom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints of a person with shoulder, elbow, wrist seen; everything scaled by ``zoom``."""
    pts = np.zeros((frames, N_JOINTS, 2), np.float32)
    sc = np.zeros((frames, N_JOINTS), np.float32)
    for t in range(frames):
        sh = np.array([300.0, 200.0])
        el = sh + np.array([0.0, 100.0])
        wr = el + np.array([0.0, forearm[t]])
        pts[t, Joint.L_SHOULDER] = sh * zoom[t]
        pts[t, Joint.L_ELBOW] = el * zoom[t]
        pts[t, Joint.L_WRIST] = wr * zoom[t]
        sc[t, [Joint.L_SHOULDER, Joint.L_ELBOW, Joint.L_WRIST]] = 1.0
    return pts, sc


def test_bone_change_ignores_the_camera_zoom() -> None:
    zoom = np.linspace(1.0, 1.3, 30)
    pts, sc = _arm(30, np.full(30, 80.0), zoom)
    change = bone_change(pts, sc, zoom)
    assert change is not None and change.worst == pytest.approx(0.0, abs=1e-5)


def test_bone_change_finds_a_sustained_stretch_but_not_a_one_frame_glitch() -> None:
    zoom = np.linspace(1.0, 1.3, 40)
    forearm = np.full(40, 80.0)
    forearm[20:30] = 88.0  # 10 % longer for a third of a second
    forearm[5] = 160.0  # one frame where the detector put the wrist elsewhere
    pts, sc = _arm(40, forearm, zoom)
    change = bone_change(pts, sc, zoom)
    assert change is not None
    assert change.bone == "l_forearm"
    assert change.worst == pytest.approx(0.10, abs=1e-5)
    assert change.raw == pytest.approx(1.0, abs=1e-5)


def test_jitter_is_zero_for_steady_motion_and_twice_a_one_frame_jump() -> None:
    pts = np.zeros((10, N_JOINTS, 2), np.float32)
    sc = np.ones((10, N_JOINTS), np.float32)
    pts[:, :, 0] = np.arange(10, dtype=np.float32)[:, None] * 4  # 4 px per frame
    assert worst_jitter(pts, sc) == pytest.approx(0.0)
    pts[5, Joint.L_WRIST, 1] += 5.0
    assert worst_jitter(pts, sc) == pytest.approx(10.0)
    sc[5, Joint.L_WRIST] = 0.0  # unseen: no jitter can be claimed around it
    assert np.isnan(second_difference(pts, sc)[4:7, Joint.L_WRIST]).all()


def test_assign_matches_faces_by_descriptor_whatever_their_order() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(2, 128)) * 0.1
    centers = np.array([[300.0, 100.0], [100.0, 100.0]])  # right face listed first
    descs = np.stack([ref[1] + 0.01, ref[0] - 0.01])
    last = np.array([[110.0, 100.0], [290.0, 100.0]])
    idx = assign(ref, last, np.array([50.0, 50.0]), centers, descs, np.array([2.0, 2.0]))
    assert idx == [1, 0]


def test_assign_refuses_a_face_that_jumped_too_far() -> None:
    ref = np.zeros((2, 128))
    centers = np.array([[1000.0, 100.0]])
    last = np.array([[100.0, 100.0], [np.nan, np.nan]])
    idx = assign(ref, last, np.array([50.0, 50.0]), centers, ref[:1], np.array([2.0, 2.0]))
    assert idx == [None, 0]  # the far face can only be the person not yet seen


def test_identity_stats_mean_worst_and_faces_kept() -> None:
    d = np.array([[0.1, 0.2], [0.3, np.nan], [0.2, 0.4], [np.nan, np.nan]])
    s = identity_stats(d)
    assert s.mean == pytest.approx((0.2, 0.3))
    assert s.worst == pytest.approx((0.3, 0.4))
    assert s.kept == pytest.approx(0.5)
    assert s.first == pytest.approx((0.1, 0.2))


def test_marks_follow_the_targets() -> None:
    assert Target("<", 0.35).met(0.34) and not Target("<", 0.35).met(0.35)
    assert Target("<=", 0.55).met(None) is None
    q = {
        "identity_mean": [0.2, 0.3],
        "identity_worst": [0.3, 0.4],
        "identity_first": [0.25, None],
        "faces_kept": 1.0,
        "hug_ratio": 0.5,
        "hug_ratio_zoomfree": 0.4,
        "touch": False,
        "bone_change": 0.30,
        "tracked_bone_change": 0.02,
        "jitter_px": [1.0, None],
        "tracked_jitter_px": [0.5, 0.25],
        "warp_error": 1.0,
        "flicker": 0.5,
        "empty_worst_frame": 0.0,
    }
    cells = quality_cells(q)
    assert cells[1] == "0.400 ✗"
    assert cells[2] == "0.250"
    assert cells[4] == "0.50 ✓ / 0.40"
    assert cells[5] == "no ✗"
    assert cells[6] == "2.0 % ✓"
    assert cells[7] == "30.0 %"
    assert cells[8] == "0.5 / 1.0"


def _track(frames: list[np.ndarray], start: np.ndarray, radius: float) -> np.ndarray:
    """KeypointTracks run over ``frames`` from joints ``start`` (N, 2) seen in frame 0:
    float (F, N, 2) positions, NaN where lost."""
    tracks = KeypointTracks()
    out, g_prev = [], None
    n = len(start)
    for t, frame in enumerate(frames):
        g = gray(frame)
        points = start if t == 0 else np.zeros_like(start)
        scores = np.full(n, 1.0 if t == 0 else 0.0, np.float32)
        out.append(tracks.step(g_prev, g, points.astype(np.float32), scores, radius))
        g_prev = g
    return np.asarray(out)


def test_tracked_joints_do_not_drift_over_a_long_push_in() -> None:
    """A 1.3x push-in over 150 frames: every joint stays within half a pixel of where the
    camera took it. Chained frame-to-frame fits had drifted 2-3.5 px on the prom photo (5-17 %
    of a forearm on the calibration row)."""
    photo = textured(480, 640, seed=5)
    size, n = (320, 240), 150
    frames = push_in(photo, size, n, 1.3)
    start = np.array([[120.0, 90.0], [200.0, 150.0], [160.0, 120.0], [100.0, 160.0]])
    got = _track(frames, start, 14.0)
    # The view: the whole photo's width at frame 0, 1.3x less at the end, centred.
    for t in (0, 75, 149):
        x = t / (n - 1)
        z = 1.0 + 0.3 * x * x * (3 - 2 * x)
        truth = (start - [160.0, 120.0]) * z + [160.0, 120.0]
        assert np.isfinite(got[t]).all()
        assert np.abs(got[t] - truth).max() < 0.5, (t, got[t], truth)


def test_tracked_bone_reads_a_real_stretch() -> None:
    """The right half of a picture slides away from the left over 60 frames (its distance to
    a joint on the left grows 10 %): the tracked bone reads 10 %, the other bone 0 %."""
    left = textured(240, 320, seed=6)
    right = textured(240, 320, seed=7)
    frames = []
    for t in range(61):
        frame = left.copy()
        dx = 10.0 * t / 60
        m = np.array([[1.0, 0.0, dx], [0.0, 1.0, 0.0]])
        moved = cv2.warpAffine(right, m, (320, 240), borderMode=cv2.BORDER_REFLECT)
        frame[:, 170:] = moved[:, 170:]
        frames.append(frame)
    # Joints: two on the still left (a "shoulder" bone of 40 px), one on the right 100 px away.
    start = np.array([[100.0, 120.0], [100.0, 80.0], [200.0, 120.0]])
    got = _track(frames, start, 20.0)
    assert np.isfinite(got[-1]).all()
    still = np.linalg.norm(got[-1][1] - got[-1][0]) / 40.0 - 1.0
    stretched = np.linalg.norm(got[-1][2] - got[-1][0]) / 100.0 - 1.0
    assert abs(still) < 0.005
    assert stretched == pytest.approx(0.10, abs=0.005)


def test_a_tracked_joint_counts_only_where_the_pose_model_sees_it_there() -> None:
    """A joint covered by the partner: its track slides off with the partner's clothes while the
    pose model keeps the joint in place, or the pose model stops seeing it. Neither frame counts."""

    frames = 6
    pose = np.tile(np.array([[100.0, 100.0]]), (frames, 1, 1))  # (F, J=1, 2)
    track = pose.copy()
    track[3:, 0, 0] += [10.0, 40.0, 80.0]  # drifts away from frame 3 on
    scores = np.ones((frames, 1))
    scores[1, 0] = 0.2  # not seen in frame 1
    track[2, 0] = np.nan  # lost in frame 2
    fw = np.full(frames, 100.0)  # tolerance 0.3 × 100 = 30 px
    seen = tracked_and_seen(track, pose, scores, fw)
    assert seen[:, 0].tolist() == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    fw[0] = np.nan  # face not found: no tolerance, not counted
    assert tracked_and_seen(track, pose, scores, fw)[0, 0] == 0.0
