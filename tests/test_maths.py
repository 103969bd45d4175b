"""The exact maths: skinning, IK, joint limits, easing, affine helpers, hole filling."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from hugai.choreograph import affine as af
from hugai.choreograph.easing import phase, smootherstep
from hugai.choreograph.ik import MAX_REACH, flexion, two_bone_ik
from hugai.perceive.people import _closed, fill_holes, settle_shared_limbs
from hugai.rig.skin import blend_skin
from hugai.scene.build import explained_alpha, fill_background
from hugai.scene.fill import directional_fill, push_pull
from hugai.types import Joint, Person, Pose2D


def test_skinning_two_triangle_mesh_follows_one_bone_exactly() -> None:
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], np.float32)
    weights = np.zeros((4, 2), np.float32)
    weights[:, 1] = 1.0
    bones = np.stack([af.identity(), af.rotate_about(math.pi / 2, np.array([0.0, 0.0]))])
    out = blend_skin(square, weights, bones)
    np.testing.assert_allclose(out, [[0, 0], [0, 10], [-10, 10], [-10, 0]], atol=1e-5)


def test_skinning_blends_linearly_between_bones() -> None:
    v = np.array([[4.0, 2.0]], np.float32)
    bones = np.stack([af.translate(10, 0), af.translate(0, 20)])
    out = blend_skin(v, np.array([[0.25, 0.75]], np.float32), bones)
    np.testing.assert_allclose(out, [[4 + 2.5, 2 + 15]], atol=1e-5)


@pytest.mark.parametrize("bend", [1.0, -1.0])
def test_ik_reaches_a_reachable_target_and_keeps_bone_lengths(bend: float) -> None:
    root = np.array([0.0, 0.0])
    target = np.array([12.0, 5.0])
    elbow, hand = two_bone_ik(root, target, 10.0, 8.0, bend)
    np.testing.assert_allclose(hand, target, atol=1e-9)
    assert np.linalg.norm(elbow - root) == pytest.approx(10.0)
    assert np.linalg.norm(hand - elbow) == pytest.approx(8.0)
    # The elbow is on the requested side of the root→target line (image coords, y down).
    cross = (target[0] - root[0]) * (elbow[1] - root[1]) - (target[1] - root[1]) * (
        elbow[0] - root[0]
    )
    assert np.sign(cross) == bend


def test_ik_out_of_reach_stops_short_along_the_line_without_stretching() -> None:
    root = np.array([5.0, 5.0])
    target = np.array([105.0, 5.0])
    elbow, hand = two_bone_ik(root, target, 10.0, 8.0, 1.0)
    assert np.linalg.norm(elbow - root) == pytest.approx(10.0)
    assert np.linalg.norm(hand - elbow) == pytest.approx(8.0)
    assert hand[1] == pytest.approx(5.0)
    assert np.linalg.norm(hand - root) <= MAX_REACH * 18.0 + 1e-9


def test_ik_respects_elbow_flexion_limits() -> None:
    root = np.array([0.0, 0.0])
    lo, hi = math.radians(15), math.radians(150)
    for target in ([0.5, 0.0], [17.9, 0.0], [3.0, 4.0], [-6.0, 1.0]):
        elbow, hand = two_bone_ik(root, np.array(target), 10.0, 8.0, 1.0, lo, hi)
        assert lo - 1e-6 <= flexion(root, elbow, hand) <= hi + 1e-6


def test_easing_is_monotone_with_flat_ends() -> None:
    t = np.linspace(0, 1, 1001)
    e = smootherstep(t)
    assert e[0] == 0.0 and e[-1] == 1.0
    assert np.all(np.diff(e) >= 0)
    # Zero velocity at both ends: the first and last steps are far smaller than the middle one.
    d = np.diff(e)
    assert d[0] < 1e-6 and d[-1] < 1e-6 and d[500] > 1e-3
    assert phase(0.2, 0.3, 0.6) == 0.0 and phase(0.7, 0.3, 0.6) == 1.0


def test_rigid_segment_maps_joint_and_keeps_length() -> None:
    a0, b0 = np.array([1.0, 2.0]), np.array([4.0, 6.0])
    a1, b1 = np.array([10.0, 10.0]), np.array([10.0, 30.0])
    m = af.rigid_segment(a0, b0, a1, b1)
    np.testing.assert_allclose(af.apply(m, a0), a1, atol=1e-9)
    moved = af.apply(m, b0)
    assert np.linalg.norm(moved - a1) == pytest.approx(5.0)
    np.testing.assert_allclose((moved - a1) / 5.0, [0.0, 1.0], atol=1e-9)
    assert np.linalg.det(m[:, :2]) == pytest.approx(1.0)


def test_push_pull_keeps_known_pixels_and_fills_holes_smoothly() -> None:
    img = np.full((64, 64, 3), 100, np.uint8)
    img[:, 32:] = 200
    known = np.ones((64, 64), np.float32)
    known[20:40, 24:40] = 0
    img[20:40, 24:40] = 0  # garbage under the hole
    out = push_pull(img, known)
    np.testing.assert_array_equal(out[known == 1], img[known == 1])
    hole = out[20:40, 24:40].astype(int)
    assert hole.min() >= 95 and hole.max() <= 205  # only colours from around the hole
    assert hole[:, 0].mean() < hole[:, -1].mean()  # left of the hole darker, like its surround


def test_push_pull_float_and_single_channel_keep_their_shape_and_known_pixels() -> None:
    rng = np.random.default_rng(3)
    img = rng.uniform(0, 1, (40, 50, 1)).astype(np.float32)
    known = np.ones((40, 50), np.float32)
    known[10:30, 10:30] = 0
    out = push_pull(img, known)
    assert out.shape == img.shape and out.dtype == np.float32
    np.testing.assert_allclose(out[known == 1], img[known == 1], atol=1e-4)
    assert out[10:30, 10:30].min() >= 0.0 and out[10:30, 10:30].max() <= 1.0


def _railing(vertical: bool = False) -> np.ndarray:
    """A sky-blue background crossed by dark red bars 14 px wide every 40 px (a railing)."""
    img = np.empty((200, 240, 3), np.uint8)
    img[:] = (170, 200, 220)
    for y in range(20, 200, 40):
        img[y : y + 14] = (120, 30, 25)
    return np.ascontiguousarray(img.transpose(1, 0, 2)) if vertical else img


def _person_blob(shape: tuple[int, int]) -> np.ndarray:
    """float32 alpha: a person-sized ellipse in the middle, as if a person stood there."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    return (((xx - w / 2) / (0.18 * w)) ** 2 + ((yy - h / 2) / (0.35 * h)) ** 2 <= 1.0).astype(
        np.float32
    )


@pytest.mark.parametrize("vertical", [False, True])
def test_background_fill_continues_a_railing_behind_the_people(vertical: bool) -> None:
    # Push-pull alone melts the bars and the sky between them into one pink-grey blob, which
    # shows as a pale halo where the people move away; the fill must continue the bars.
    truth = _railing(vertical)
    people = _person_blob(truth.shape[:2])
    photo = truth.copy()
    photo[people > 0] = (40, 160, 60)  # the person's green coat, which must not leak in
    hole = people > 0
    filled = fill_background(photo, people, face_width=30.0)
    err = np.abs(filled.astype(int) - truth.astype(int))[hole].mean()
    blob = push_pull(photo, (~hole).astype(np.float32))
    blob_err = np.abs(blob.astype(int) - truth.astype(int))[hole].mean()
    assert blob_err > 25  # the old fill: the bars are gone
    assert err < 12, f"mean error {err:.1f} levels inside the hole"
    assert np.abs(filled.astype(int) - (40, 160, 60)).sum(axis=2)[hole].min() > 60


def test_directional_fill_leaves_texture_to_push_pull() -> None:
    # Foliage-like noise has no direction: streaking it across the hole would look fake.
    rng = np.random.default_rng(5)
    img = cv2.GaussianBlur(rng.integers(0, 255, (160, 160, 3)).astype(np.uint8), (0, 0), 1.5)
    hole = _person_blob((160, 160)) > 0
    _, weight = directional_fill(img, hole)
    assert weight[~hole].max() == 0.0
    assert weight[hole].mean() < 0.15
    _, rails = directional_fill(_railing(), _person_blob((200, 240)) > 0)
    assert rails[_person_blob((200, 240)) > 0].mean() > 0.8


def test_an_alpha_too_low_to_explain_the_colour_is_raised_just_enough() -> None:
    # A bright orange pocket flap at alpha 0.36 over a dark grey background: no colour in range
    # mixes to it; at the raised alpha the unmixed colour is in range and gives the photo back.
    image = np.array([[[190, 75, 48], [190, 75, 48], [90, 90, 70], [190, 75, 48]]], np.float32)
    bg = np.array([[[86, 86, 69], [86, 86, 69], [86, 86, 69], [86, 86, 69]]], np.float32)
    alpha = np.array([[0.36, 0.95, 0.36, 0.05]], np.float32)
    out = explained_alpha(image, alpha, bg)
    need = (190 - 86) / (255 - 86)
    assert out[0, 0] == pytest.approx(need, abs=1e-4)
    fg = (image[0, 0] - (1 - out[0, 0]) * bg[0, 0]) / out[0, 0]
    assert fg.min() >= -1e-3 and fg.max() <= 255 + 1e-3
    assert out[0, 1] == pytest.approx(0.95)  # enough already
    assert out[0, 2] == pytest.approx(0.36)  # close to the background: explained as it is
    assert out[0, 3] == pytest.approx(0.05)  # too faint to unmix: filled, not raised


def test_closing_joins_a_mask_cut_by_a_thin_gap_but_not_a_wide_one() -> None:
    # A body cut in two by a partner's arm (a gap of 0.2 face widths) is whole again; the space
    # beside it (wider than the kernel) stays open. Big faces take the shrunk path.
    for face in (20.0, 150.0):
        s = face / 20.0
        mask = np.zeros((int(400 * s), int(300 * s)), np.float32)
        top, gap = int(100 * s), int(4 * s)
        x0, x1 = int(100 * s), int(200 * s)
        mask[int(40 * s) : top, x0:x1] = 1.0
        mask[top + gap : int(360 * s), x0:x1] = 1.0
        closed = _closed(mask, face)
        assert closed.dtype == np.float32 and closed.shape == mask.shape
        assert closed[top : top + gap, x0 + int(10 * s) : x1 - int(10 * s)].min() == 1.0
        assert closed[:, : int(80 * s)].max() == 0.0 and closed[:, int(220 * s) :].max() == 0.0
        assert closed[mask == 1].mean() > 0.99  # the shrunk path may round off corners


def test_a_body_cut_by_the_photo_edge_continues_without_stripes() -> None:
    """A button cut by the bottom edge must not run down the continuation as a stripe, the
    cloth's broad shading must, and the background beside the body must not bleed in."""
    from hugai.scene.build import _continue_down

    h, w = 300, 200
    img = np.full((h, w, 3), (230, 230, 230), np.uint8)  # a light wall
    img[:, 50:150] = (20, 20, 60)  # a dark jacket down to the edge
    img[:, 50:100] += np.array([30, 0, 0], np.uint8)  # its left half in other light
    img[h - 12 :, 92:108] = (220, 180, 40)  # a gold button cut by the edge
    alpha = np.zeros((h, w), np.float32)
    alpha[:, 50:150] = 1.0
    out = _continue_down(img, 100, alpha)
    assert out.shape == (h + 100, w, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[:h], img)
    below = out[h + 20 :].astype(int)
    assert np.abs(below[:, 98:103] - (20, 20, 60)).max() <= 25, "the button runs down"
    assert below[:, 60:70, 0].mean() > below[:, 130:140, 0].mean() + 20, "shading kept"
    assert np.abs(below[:, 52:58] - (50, 20, 60)).max() <= 40, "the wall bled into the side"
    flat = _continue_down(alpha, 50)
    assert flat.shape == (h + 50, w) and np.allclose(flat[h + 10 :, 60:140], 1.0, atol=0.01)
    assert flat[h + 10 :, :40].max() < 0.01, "the body widened"


def test_a_frame_above_a_floor_is_a_two_shot_that_ends_at_it() -> None:
    """Two photos where one is a close-up: the frame ends at the floor (below it the body is
    made up) and still puts the faces a quarter down, or, too narrow for both faces that way,
    keeps its bottom at the floor and leaves more room above them."""
    from types import SimpleNamespace

    from hugai.config import HugConfig
    from hugai.scene.build import FACE_TOP, frame_crop

    config = HugConfig(size=720, aspect="16:9")
    shape = (1000, 1778)

    def layers(x0: float, x1: float, y: float, fw: float) -> tuple:
        return tuple(
            SimpleNamespace(face=np.array([x - fw / 2, y, x + fw / 2, y + fw])) for x in (x0, x1)
        )

    free = frame_crop(shape, layers(700, 1078, 300, 130), config)
    np.testing.assert_allclose(free, [0, 0, 1778, 1000], atol=1)  # the whole canvas
    x0, y0, x1, y1 = frame_crop(shape, layers(820, 958, 300, 130), config, floor=650)
    assert y1 == pytest.approx(650) and (x1 - x0) / (y1 - y0) == pytest.approx(16 / 9)
    assert (300 - y0) / (y1 - y0) == pytest.approx(FACE_TOP)
    assert x0 < 820 - 65 and x1 > 958 + 65  # both faces inside
    x0, y0, x1, y1 = frame_crop(shape, layers(560, 1218, 300, 130), config, floor=650)
    assert y1 == pytest.approx(650) and x0 < 560 - 65 and x1 > 1218 + 65
    assert (300 - y0) / (y1 - y0) > FACE_TOP


def test_soft_edges_snap_to_the_colours_only_where_they_can_tell() -> None:
    """A coarse mask reaching 4 px into a light wall around a dark head: those pixels are wall
    (alpha to ~0), a pixel truly half head keeps ~0.5, the solid inside stays 1; beside a
    white shirt on the same wall (no contrast) and along an edge not facing the background,
    the model's alpha is kept."""
    from hugai.scene.build import snap_to_colours

    h, w = 80, 120
    wall = np.array([220.0, 215.0, 205.0], np.float32)
    image = np.empty((h, w, 3), np.float32)
    image[:] = wall
    image[:, 20:50] = (40, 30, 25)  # dark hair, columns 20..49
    image[:, 50] = 0.5 * np.array([40, 30, 25]) + 0.5 * wall  # half hair, half wall
    image[:, 80:100] = (225, 222, 215)  # a white shirt, columns 80..99
    alpha = np.zeros((h, w), np.float32)
    alpha[:, 16:55] = 1.0
    alpha[:, 16:20] = 0.6  # the model's rim over the wall, left
    alpha[:, 50:55] = 0.6  # and right (column 50 is the true soft edge)
    alpha[:, 76:104] = 0.6
    alpha[:, 80:100] = 1.0
    background = np.empty_like(image)
    background[:] = wall
    edge = np.ones((h, w), bool)
    out = snap_to_colours(image, alpha, background, edge)
    assert out.dtype == np.float32 and out.shape == alpha.shape
    assert out[:, 16:20].max() < 0.05 and out[:, 51:55].max() < 0.05
    assert abs(float(out[40, 50]) - 0.5) < 0.08
    assert out[:, 24:46].min() == 1.0
    np.testing.assert_array_equal(out[:, 60:], alpha[:, 60:])  # the shirt: no contrast
    edge[:, 45:] = False  # the right edge faces the partner
    kept = snap_to_colours(image, alpha, background, edge)
    np.testing.assert_array_equal(kept[:, 45:], alpha[:, 45:])
    assert kept[:, 16:20].max() < 0.05


def _person(x: float, joints: dict[Joint, tuple[float, float]]) -> Person:
    pts = np.zeros((len(Joint), 2), np.float32)
    scores = np.full(len(Joint), 0.9, np.float32)
    for j, p in joints.items():
        pts[j] = p
    face = np.array([x - 20, 40, x + 20, 90], np.float32)
    return Person(face, face, Pose2D(pts, scores), np.zeros((10, 10), np.float32), True, 0, 1.0)


def test_a_forearm_two_poses_share_goes_to_the_shoulder_it_hangs_from() -> None:
    # Her left arm reaches across to his lapel; his pose claims it with a stretched upper arm.
    hers = {
        Joint.L_SHOULDER: (260, 130),
        Joint.L_ELBOW: (240, 180),
        Joint.L_WRIST: (190, 140),
        Joint.R_SHOULDER: (200, 130),
        Joint.R_ELBOW: (205, 190),
        Joint.R_WRIST: (215, 240),
    }
    his = {
        Joint.L_SHOULDER: (130, 130),
        Joint.L_ELBOW: (236, 184),
        Joint.L_WRIST: (193, 137),
        Joint.R_SHOULDER: (70, 130),
        Joint.R_ELBOW: (60, 190),
        Joint.R_WRIST: (62, 240),
    }
    him, her = settle_shared_limbs(_person(100, his), _person(230, hers))
    assert (him.pose.scores[[Joint.L_ELBOW, Joint.L_WRIST, Joint.L_HAND]] < 0.5).all()
    assert (her.pose.scores >= 0.5).all() and him.pose.scores[Joint.R_WRIST] >= 0.5
    # Arms that are merely near each other are both kept.
    his[Joint.L_ELBOW], his[Joint.L_WRIST] = (150, 190), (175, 150)
    him, her = settle_shared_limbs(_person(100, his), _person(230, hers))
    assert (him.pose.scores >= 0.5).all() and (her.pose.scores >= 0.5).all()


def test_holes_the_colour_of_the_body_around_them_are_filled_and_the_wall_is_not() -> None:
    """Shadowed cloth dropped inside a body is filled; the wall seen between an arm and the
    body (another colour), a big gap and a gap open to the frame edge stay open."""
    h, w, fw = 200, 300, 40.0
    image = np.full((h, w, 3), 200, np.uint8)  # a pale wall
    alpha = np.zeros((h, w), np.float32)
    alpha[20:180, 20:280] = 1.0
    image[20:180, 20:280] = (30, 30, 60)  # dark trousers
    image[40:70, 40:60] = (45, 38, 70)  # a shadowed fold the model dropped...
    alpha[40:70, 40:60] = 0.0
    alpha[40:80, 100:120] = 0.0  # ...the wall seen between an arm and the body
    image[40:80, 100:120] = 200
    alpha[60:140, 150:250] = 0.0  # a gap of the body's colour, but 5 face widths big
    alpha[150:200, 200:220] = 0.0  # a dark gap open at the bottom edge
    out = fill_holes(alpha, image, fw)
    assert (out[40:70, 40:60] == 1.0).all()
    assert (out[41:79, 101:119] == 0.0).all()
    assert (out[61:139, 151:249] == 0.0).all()
    assert (out[151:200, 201:219] == 0.0).all()
    assert (out[alpha == 1.0] == 1.0).all()
    assert fill_holes(out, image, fw) is out  # nothing left to fill: the mask as it was
