"""MoveNet MultiPose wrapper: input geometry, decoding, the shipped ONNX model on real photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from realphotos import photo

from hugai.perceive.movenet import (
    COCO_KEYPOINTS,
    DEFAULT_MODEL_PATH,
    MoveNetMultiPose,
    MultiPoseDetection,
    decode,
    keypoint_distance,
    letterbox,
    plan_input,
    same_person,
    suppress,
    zoom_window,
)


def _rgb_photo(name: str) -> np.ndarray:
    """A real test photo as RGB (skips when the photos are absent)."""
    bgr = cv2.imread(str(photo(name)))
    assert bgr is not None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _synthetic_photo(h: int = 300, w: int = 400) -> np.ndarray:
    """A deterministic RGB uint8 scene: gradient background, a bright stick figure."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx * 255 // w, yy * 255 // h, np.full_like(xx, 90)], -1).astype(np.uint8)
    cx = w // 2
    cv2.circle(img, (cx, h // 5), h // 12, (230, 200, 180), -1)
    cv2.line(img, (cx, h // 4), (cx, h * 3 // 5), (40, 40, 200), h // 15)
    for dx in (-1, 1):
        cv2.line(img, (cx, h // 3), (cx + dx * w // 8, h // 2), (40, 40, 200), h // 30)
        cv2.line(img, (cx, h * 3 // 5), (cx + dx * w // 12, h * 9 // 10), (20, 20, 20), h // 25)
    return img


def _check_well_formed(det: MultiPoseDetection, h: int, w: int) -> None:
    assert det.keypoints.shape == (17, 2) and det.keypoints.dtype == np.float32
    assert det.scores.shape == (17,) and det.scores.dtype == np.float32
    assert det.box.shape == (4,) and det.box.dtype == np.float32
    assert isinstance(det.score, float) and 0.0 <= det.score <= 1.0
    assert np.all((det.scores >= 0) & (det.scores <= 1))
    x0, y0, x1, y1 = det.box
    assert 0 <= x0 <= x1 <= w and 0 <= y0 <= y1 <= h
    assert np.all((det.keypoints >= 0) & (det.keypoints <= [w, h]))


def test_keypoint_names() -> None:
    assert len(COCO_KEYPOINTS) == 17
    assert COCO_KEYPOINTS[0] == "nose" and COCO_KEYPOINTS[-1] == "right_ankle"
    assert COCO_KEYPOINTS[5:7] == ("left_shoulder", "right_shoulder")


@pytest.mark.parametrize(
    ("h", "w", "long_side", "expect"),
    [
        (480, 640, 256, (192, 256)),  # 4:3: no padding
        (1080, 1920, 256, (160, 256)),  # 144 px of content padded to 160
        (1920, 1297, 256, (256, 192)),  # portrait: 173 px padded to 192
        (536, 640, 320, (288, 320)),
        (100, 100, 256, (256, 256)),  # small photos are scaled up
        (10, 1000, 256, (32, 256)),  # extreme aspect: at least one stride
    ],
)
def test_plan_input_sides(h: int, w: int, long_side: int, expect: tuple[int, int]) -> None:
    g = plan_input(h, w, long_side)
    assert (g.input_height, g.input_width) == expect
    assert g.input_height % 32 == 0 and g.input_width % 32 == 0
    assert max(g.content_height, g.content_width) == long_side
    assert g.content_height <= g.input_height < g.content_height + 32
    assert g.content_width <= g.input_width < g.content_width + 32
    scale = long_side / max(h, w)  # aspect kept: both sides scaled alike, to the pixel
    assert abs(g.content_height - h * scale) <= 0.5 and abs(g.content_width - w * scale) <= 0.5


def test_plan_input_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError):
        plan_input(100, 100, 250)
    with pytest.raises(ValueError):
        plan_input(0, 100)


def test_geometry_round_trip_and_letterbox() -> None:
    img = _synthetic_photo(300, 400)
    g = plan_input(300, 400, 256)
    assert (g.input_height, g.input_width) == (192, 256)  # 192 px of content: no padding
    g = plan_input(270, 400, 256)  # 172.8 px of content, padded to 192
    pts = np.array([[0.0, 0.0], [400.0, 270.0], [123.4, 56.7], [399.0, 1.0]], np.float32)
    norm = g.to_input(pts)
    assert np.all(norm >= 0) and np.all(norm <= 1)
    assert norm[1, 1] < 1.0  # the photo's bottom edge is above the padding
    np.testing.assert_allclose(g.to_image(norm), pts, atol=1e-3)

    img = _synthetic_photo(270, 400)
    boxed = letterbox(img, g)
    assert boxed.shape == (g.input_height, g.input_width, 3) and boxed.dtype == np.uint8
    assert not boxed[g.content_height :].any()  # padding is black
    # A photo pixel lands where to_input says (content is the photo, resized, at top-left).
    x, y = 300, 200
    nx, ny = g.to_input(np.array([x, y], np.float32))
    iy, ix = int(ny * g.input_height), int(nx * g.input_width)
    np.testing.assert_allclose(boxed[iy, ix].astype(int), img[y, x].astype(int), atol=40)


def test_decode_maps_model_output_to_photo_pixels() -> None:
    g = plan_input(270, 400, 256)  # input 192 x 256, content 173 x 256
    photo_pts = np.linspace([10, 20], [390, 250], 17).astype(np.float32)
    norm = g.to_input(photo_pts)
    row = np.zeros(56, np.float32)
    row[:51].reshape(17, 3)[:, 0] = norm[:, 1]  # y
    row[:51].reshape(17, 3)[:, 1] = norm[:, 0]  # x
    row[:51].reshape(17, 3)[:, 2] = 0.9
    (bx0, by0), (bx1, by1) = g.to_input(np.array([[5, 15], [395, 260]], np.float32))
    row[51:55] = [by0, bx0, by1, bx1]
    row[55] = 0.7
    weak = row.copy()
    weak[55] = 0.1
    out = np.stack([weak, row, np.zeros(56, np.float32)])[None]

    dets = decode(out, g, min_score=0.2)
    assert len(dets) == 1
    det = dets[0]
    _check_well_formed(det, 270, 400)
    np.testing.assert_allclose(det.keypoints, photo_pts, atol=0.05)
    np.testing.assert_allclose(det.box, [5, 15, 395, 260], atol=0.05)
    assert det.score == pytest.approx(0.7)
    assert [d.score for d in decode(out, g, 0.05)] == pytest.approx([0.7, 0.1])


def _det(box: list[float], score: float, keypoints: np.ndarray) -> MultiPoseDetection:
    return MultiPoseDetection(
        keypoints.astype(np.float32),
        np.full(17, 0.9, np.float32),
        np.array(box, np.float32),
        score,
    )


def test_suppress_merges_the_same_person_not_a_hugging_couple() -> None:
    rng = np.random.default_rng(1)
    body = rng.uniform([0, 0], [100, 200], (17, 2))
    other = rng.uniform([40, 0], [140, 200], (17, 2))  # a second person, overlapping
    a = _det([0, 0, 100, 200], 0.4, body)
    a_again = _det([2, 1, 103, 204], 0.5, body + 2.0)  # same person, another run
    b = _det([40, 0, 140, 200], 0.3, other)  # box IoU with a: 0.43 .. 0.6
    assert same_person(a, a_again) and not same_person(a, b)
    assert keypoint_distance(a, a_again) < 0.05 < 0.15 < keypoint_distance(a, b)
    kept = suppress([a, a_again, b])
    assert [d.score for d in kept] == [0.5, 0.3]
    # With too few sure keypoints, boxes decide.
    unsure = MultiPoseDetection(body.astype(np.float32), np.zeros(17, np.float32), a.box, 0.2)
    assert same_person(unsure, a_again) and not same_person(unsure, b)


def test_zoom_window() -> None:
    x0, y0, x1, y1 = zoom_window([np.array([100, 100, 200, 300])], 1000, 1000)
    assert x1 - x0 == y1 - y0 == 300 and x0 <= 100 and x1 >= 200 and y0 <= 100 and y1 >= 300
    x0, y0, x1, y1 = zoom_window([np.array([0, 0, 50, 900])], 1000, 600)  # clipped, inside
    assert (x0, y0, x1, y1) == (0, 0, 600, 1000)


def test_detect_on_synthetic_image_returns_well_formed_detections() -> None:
    assert DEFAULT_MODEL_PATH.is_file(), "the ONNX model ships in src/hugai/models"
    img = _synthetic_photo(300, 400)
    everything = MoveNetMultiPose(long_side=(256, 352), min_score=0.0, zoom_seed=0.0)
    for net in (MoveNetMultiPose(), MoveNetMultiPose(zoom=False), everything):
        dets = net.detect(img)
        assert isinstance(dets, list)
        assert [d.score for d in dets] == sorted((d.score for d in dets), reverse=True)
        for d in dets:
            _check_well_formed(d, 300, 400)
            assert d.score > net.min_score
        raw, g = net.run_raw(img)
        assert raw.shape == (1, 6, 56) and raw.dtype == np.float32
        assert (g.input_height, g.input_width) == (192, 256)
    assert everything.detect(img), "at score > 0 the model always proposes someone"


def test_detect_rejects_non_rgb_uint8() -> None:
    net = MoveNetMultiPose()
    with pytest.raises(ValueError):
        net.detect(np.zeros((64, 64), np.uint8))
    with pytest.raises(ValueError):
        net.detect(np.zeros((64, 64, 3), np.float32))


def test_missing_model_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        MoveNetMultiPose(tmp_path / "nope.onnx")


@pytest.mark.integration
def test_two_people_in_prom_couple() -> None:
    img = _rgb_photo("A_prom_couple.jpg")
    h, w = img.shape[:2]
    dets = [d for d in MoveNetMultiPose().detect(img) if d.score > 0.3]
    assert len(dets) == 2
    for d in dets:
        _check_well_formed(d, h, w)
        x0, y0, x1, y1 = d.box
        assert x1 - x0 > 0.15 * w and y1 - y0 > 0.4 * h  # upper bodies, not specks
        nx, ny = d.keypoints[COCO_KEYPOINTS.index("nose")]
        assert d.scores[0] > 0.3
        assert x0 <= nx <= x1 and y0 <= ny <= y0 + 0.5 * (y1 - y0)  # nose in the box's top half
    # Two different people side by side: boxes' centres well apart, one left, one right.
    cx = sorted(float(d.box[0] + d.box[2]) / 2 for d in dets)
    assert cx[1] - cx[0] > 0.15 * w


@pytest.mark.integration
def test_zoom_splits_the_embracing_ballroom_couple() -> None:
    img = _rgb_photo("A_ballroom_couple.jpg")

    def dancers(net: MoveNetMultiPose) -> int:  # the couple stands in x 600..1050 of 1920
        return sum(
            600 <= (d.box[0] + d.box[2]) / 2 <= 1050 for d in net.detect(img) if d.score > 0.3
        )

    assert dancers(MoveNetMultiPose(zoom=False)) < 2  # one run sees one merged person
    assert dancers(MoveNetMultiPose()) == 2


def test_mediapipe_is_imported_without_matplotlib_and_its_drawing_helpers_still_work() -> None:
    """``_mp`` defers MediaPipe's drawing modules (they import matplotlib.pyplot, ~0.35 s)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from hugai.perceive.models import _mp\n"
        "mp = _mp()\n"
        "assert mp.solutions.pose.Pose and mp.solutions.face_detection.FaceDetection\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib was imported'\n"
        "assert mp.solutions.drawing_utils.DrawingSpec(thickness=2).thickness == 2\n"
        "from mediapipe.python.solutions import drawing_styles\n"
        "assert drawing_styles.get_default_pose_landmarks_style()\n"
        "assert 'matplotlib.pyplot' in sys.modules\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
