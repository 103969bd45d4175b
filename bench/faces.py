"""Find, describe and follow the two input faces through a rendered video.

Detection is MediaPipe's BlazeFace (full range on the whole frame, plus both models on an
upscaled window around where each face was last seen, which finds faces down to ~15 px); the
descriptor is dlib's 128-d face ResNet on a chip aligned by its 5-point landmarks (the models of
``face_recognition_models``). The input photo's face of each person is the reference; frame 0 is
located by matching SIFT features between photo and frame (Lowe 2004), so the tracker starts on
the right faces even when the background has other people in it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.metrics.identity import SAME_PERSON, assign

WINDOW = 4.0
"""The search window around a face's last position, in face widths (square side)."""
WINDOW_PX = 256
"""The search window is resized to this side before detection."""
MAX_CANDIDATES = 4


def dlib_model_dir() -> Path | None:
    """Where ``face_recognition_models`` keeps its dlib files, without importing it (its
    ``__init__`` imports ``pkg_resources``, deprecated and absent in new setuptools)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "models"
    return path if path.is_dir() else None


def dlib_available() -> bool:
    try:
        import dlib  # noqa: F401
    except ImportError:
        return False
    return dlib_model_dir() is not None


@dataclass(frozen=True)
class Face:
    """One detected face. box: float32 (4,) x0, y0, x1, y1 pixels; desc: float64 (128,);
    eyes: float64 (2, 2), the two eye centres from dlib's 5 landmarks."""

    box: np.ndarray
    score: float
    desc: np.ndarray
    eyes: np.ndarray

    @property
    def center(self) -> np.ndarray:
        return np.array([(self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2])

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def inter_ocular(self) -> float:
        return float(np.linalg.norm(self.eyes[0] - self.eyes[1]))


class FaceModels:
    """MediaPipe face detectors and the dlib landmark + descriptor models, loaded once."""

    def __init__(self) -> None:
        import dlib
        import mediapipe as mp

        models = dlib_model_dir()
        if models is None:
            raise ImportError("face_recognition_models is not installed (pip install '.[bench]')")
        fd = mp.solutions.face_detection.FaceDetection
        self._full = fd(model_selection=1, min_detection_confidence=0.5)
        self._near = (
            fd(model_selection=0, min_detection_confidence=0.5),
            fd(model_selection=1, min_detection_confidence=0.5),
        )
        self._dlib = dlib
        self._shape = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
        self._rec = dlib.face_recognition_model_v1(
            str(models / "dlib_face_recognition_resnet_model_v1.dat")
        )

    @staticmethod
    def _run(det: Any, image: np.ndarray) -> list[tuple[np.ndarray, float]]:
        h, w = image.shape[:2]
        res = det.process(np.ascontiguousarray(image))
        out = []
        for d in res.detections or []:
            kp = d.location_data.relative_keypoints
            eyes = np.array([[kp[0].x * w, kp[0].y * h], [kp[1].x * w, kp[1].y * h]])
            mouth = np.array([kp[3].x * w, kp[3].y * h])
            out.append((canonical_box(eyes, mouth), float(d.score[0])))
        return out

    def detect(self, image: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """Faces on the whole image (full-range model): (box, score) pairs."""
        return self._run(self._full, image)

    def detect_in(self, image: np.ndarray, region: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """Faces inside a square region (x0, y0, x1, y1; may stick out of the image), found on
        the region resized to ``WINDOW_PX`` with both models; boxes in image pixels."""
        x0, y0, x1, y1 = (round(float(v)) for v in region)
        side = max(8, x1 - x0, y1 - y0)
        h, w = image.shape[:2]
        pad = np.zeros((side, side, 3), np.uint8)
        sx0, sy0 = max(0, x0), max(0, y0)
        sx1, sy1 = min(w, x0 + side), min(h, y0 + side)
        if sx1 <= sx0 or sy1 <= sy0:
            return []
        pad[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
        scale = WINDOW_PX / side
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        small = cv2.resize(pad, (WINDOW_PX, WINDOW_PX), interpolation=interp)
        out = []
        for det in self._near:
            for box, score in self._run(det, small):
                out.append((box / scale + np.array([x0, y0, x0, y0], np.float32), score))
        return out

    def describe(self, image: np.ndarray, box: np.ndarray, score: float) -> Face:
        """The descriptor and eye centres of the face in ``box``.

        dlib's 5-point landmarks are trained on dlib's own detector boxes; on a BlazeFace box
        that sits a little low they can land on the wrong features (a 0.7 "identity" distance on
        the very input photo). So the landmarks are found on five variants of the box (as is,
        10 % up, 10 % down, 10 % larger, 10 % smaller) and the median of each point is used.
        """
        img = np.ascontiguousarray(image)
        x0, y0, x1, y1 = (float(v) for v in box)
        w, h = x1 - x0, y1 - y0
        variants = [
            (x0, y0, x1, y1),
            (x0, y0 - 0.1 * h, x1, y1 - 0.1 * h),
            (x0, y0 + 0.1 * h, x1, y1 + 0.1 * h),
            (x0 - 0.05 * w, y0 - 0.05 * h, x1 + 0.05 * w, y1 + 0.05 * h),
            (x0 + 0.05 * w, y0 + 0.05 * h, x1 - 0.05 * w, y1 - 0.05 * h),
        ]
        fits = []
        for v in variants:
            shape = self._shape(img, self._dlib.rectangle(*(round(c) for c in v)))
            fits.append([[shape.part(i).x, shape.part(i).y] for i in range(5)])
        pts = np.median(np.asarray(fits, np.float64), axis=0)
        rect = self._dlib.rectangle(*(round(c) for c in variants[0]))
        parts = [self._dlib.point(round(x), round(y)) for x, y in pts]
        shape = self._dlib.full_object_detection(rect, parts)
        desc = np.array(self._rec.compute_face_descriptor(img, shape))
        eyes = np.stack([pts[0:2].mean(axis=0), pts[2:4].mean(axis=0)])
        return Face(box=np.asarray(box, np.float32), score=score, desc=desc, eyes=eyes)


def canonical_box(eyes: np.ndarray, mouth: np.ndarray) -> np.ndarray:
    """A square face box (x0, y0, x1, y1, float32) placed from the eyes (2, 2) and mouth (2,).

    BlazeFace's own box edges move by 10–20 % between its two models and crops, and dlib's
    5-point landmarks follow the box; the eye and mouth keypoints are far steadier, so the box
    is rebuilt from them, shaped like dlib's detector boxes (brows to chin).
    """
    mid = eyes.mean(axis=0)
    down = mouth - mid
    side = max(2.2 * float(np.linalg.norm(eyes[1] - eyes[0])), 2.4 * float(np.linalg.norm(down)))
    c = mid + 0.35 * down
    return np.array(
        [c[0] - side / 2, c[1] - side / 2, c[0] + side / 2, c[1] + side / 2], np.float32
    )


def nms(dets: list[tuple[np.ndarray, float]], iou: float = 0.4) -> list[tuple[np.ndarray, float]]:
    """Greedy non-maximum suppression, best score first."""
    kept: list[tuple[np.ndarray, float]] = []
    for box, score in sorted(dets, key=lambda d: -d[1]):
        if all(_iou(box, k) < iou for k, _ in kept):
            kept.append((box, score))
    return kept


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, float(min(a[2], b[2]) - max(a[0], b[0])))
    iy = max(0.0, float(min(a[3], b[3]) - max(a[1], b[1])))
    inter = ix * iy
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0


def window(center: np.ndarray, width: float, factor: float = WINDOW) -> np.ndarray:
    half = factor * max(width, 8.0) / 2
    return np.array([center[0] - half, center[1] - half, center[0] + half, center[1] + half])


def head_region(person_box: np.ndarray) -> np.ndarray:
    """Where a person's face should be: the top square of their box (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = (float(v) for v in person_box)
    side = min(x1 - x0, y1 - y0)
    cx = (x0 + x1) / 2
    return np.array([cx - side / 2, y0, cx + side / 2, y0 + side])


def reference_faces(
    models: FaceModels,
    photos: list[np.ndarray],
    people_boxes: list[np.ndarray] | None,
) -> list[Face | None]:
    """Each person's face in the input (left first).

    One photo: the engine's two chosen people (``people_boxes``, photo pixels) pick the faces; a
    face must lie in the top square of its person's box. Without boxes, the two largest faces.
    Two photos: person k is in photo k (its box, or else the photo's largest face).
    """
    refs: list[Face | None] = []
    for k in range(2):
        image = photos[k] if len(photos) == 2 else photos[0]
        if people_boxes is not None:
            region = head_region(people_boxes[k])
            dets = models.detect(image) + models.detect_in(image, region)
            inside = [
                (b, s)
                for b, s in nms(dets)
                if region[0] <= (b[0] + b[2]) / 2 <= region[2]
                and region[1] <= (b[1] + b[3]) / 2 <= region[3]
            ]
            best = max(inside, key=lambda d: d[1], default=None)
        else:
            dets = sorted(models.detect(image), key=lambda d: -(d[0][2] - d[0][0]))
            if len(photos) == 2:
                best = dets[0] if dets else None
            else:
                pair = sorted(dets[:2], key=lambda d: float(d[0][0]))
                best = pair[k] if len(pair) == 2 else None
        refs.append(models.describe(image, best[0], best[1]) if best is not None else None)
    return refs


def photo_to_frame(photo: np.ndarray, frame: np.ndarray) -> np.ndarray | None:
    """The similarity transform (2, 3) that maps photo pixels to ``frame`` pixels (SIFT matches,
    Lowe's ratio test, RANSAC), or None when too little of the photo is recognisable."""
    sift = cv2.SIFT.create(nfeatures=3000)
    ga = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    gb = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    ka, da = sift.detectAndCompute(ga, None)
    kb, db = sift.detectAndCompute(gb, None)
    if da is None or db is None or len(ka) < 8 or len(kb) < 8:
        return None
    matches = cv2.BFMatcher(cv2.NORM_L2).knnMatch(da, db, k=2)
    good = [m[0] for m in matches if len(m) == 2 and m[0].distance < 0.75 * m[1].distance]
    if len(good) < 12:
        return None
    src = np.array([ka[m.queryIdx].pt for m in good], np.float32)
    dst = np.array([kb[m.trainIdx].pt for m in good], np.float32)
    m, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0)
    if m is None or inliers is None or int(inliers.sum()) < 12:
        return None
    return np.asarray(m, np.float64)


def _map_box(m: np.ndarray, box: np.ndarray) -> np.ndarray:
    pts = np.array([[box[0], box[1]], [box[2], box[3]]], np.float64)
    out = pts @ m[:, :2].T + m[:, 2]
    return np.array([*out.min(axis=0), *out.max(axis=0)])


@dataclass
class FaceTrack:
    """Per frame and person (left first). boxes: float (F, 2, 4), NaN where not found;
    distance: float (F, 2), descriptor distance to the input face (NaN where not found or where
    the input face was not found); inter_ocular: float (F, 2) pixels."""

    boxes: np.ndarray
    distance: np.ndarray
    inter_ocular: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def centers(self) -> np.ndarray:
        b = self.boxes
        return np.stack([(b[..., 0] + b[..., 2]) / 2, (b[..., 1] + b[..., 3]) / 2], axis=-1)


class FaceTracker:
    """Follows the two people's faces frame by frame; call ``start`` on frame 0, then ``step``."""

    def __init__(
        self,
        models: FaceModels,
        photos: list[np.ndarray],
        people_boxes: list[np.ndarray] | None,
    ) -> None:
        self.models = models
        self.photos = photos
        self.people_boxes = people_boxes
        self.refs = reference_faces(models, photos, people_boxes)
        self.notes: list[str] = []
        for k, ref in enumerate(self.refs):
            if ref is None:
                self.notes.append(f"person {k + 1}: no face found in the input; identity n/a")
        self.track_desc: list[np.ndarray | None] = [r.desc if r else None for r in self.refs]
        self.last_center = np.full((2, 2), np.nan)
        self.last_width = np.ones(2)
        self.since_seen = np.zeros(2)

    def start(self, frame: np.ndarray) -> list[Face | None]:
        """Find both people in frame 0 from where the input photo(s) put them."""
        guesses: list[np.ndarray | None] = []
        for k in range(2):
            photo = self.photos[k] if len(self.photos) == 2 else self.photos[0]
            m = photo_to_frame(photo, frame)
            ref = self.refs[k]
            if m is None:
                guesses.append(None)
            elif ref is not None:
                guesses.append(_map_box(m, ref.box))
            elif self.people_boxes is not None:
                guesses.append(_map_box(m, head_region(self.people_boxes[k])))
            else:
                guesses.append(None)
            if m is None:
                self.notes.append(f"person {k + 1}: input photo not matched to frame 0")
        dets = self.models.detect(frame)
        for g in guesses:
            if g is not None:
                side = max(g[2] - g[0], g[3] - g[1])
                dets += self.models.detect_in(frame, window((g[:2] + g[2:]) / 2, side, 2.0))
        dets = nms(dets)[: 2 * MAX_CANDIDATES]
        faces = [self.models.describe(frame, b, s) for b, s in dets]
        chosen: list[Face | None] = [None, None]
        for k, g in enumerate(guesses):
            pool = [f for f in faces if all(f is not c for c in chosen)]
            if g is not None:
                # Nearest detection to the photo's face mapped into frame 0.
                gc = (g[:2] + g[2:]) / 2
                gw = max(g[2] - g[0], 8.0)
                near = [f for f in pool if np.linalg.norm(f.center - gc) <= 0.75 * gw]
                chosen[k] = min(near, key=lambda f: np.linalg.norm(f.center - gc), default=None)
            elif self.track_desc[k] is not None:
                desc = self.track_desc[k]
                close = [f for f in pool if np.linalg.norm(f.desc - desc) < SAME_PERSON]
                chosen[k] = min(close, key=lambda f: np.linalg.norm(f.desc - desc), default=None)
        for k, face in enumerate(chosen):
            if face is not None and self.track_desc[k] is None:
                self.track_desc[k] = face.desc  # tracking only; identity stays n/a
        self._update(chosen)
        return chosen

    def step(self, frame: np.ndarray) -> list[Face | None]:
        """This frame's face of each person (None where not found)."""
        dets = self.models.detect(frame)
        for k in range(2):
            if np.isfinite(self.last_center[k]).all():
                dets += self.models.detect_in(
                    frame, window(self.last_center[k], self.last_width[k])
                )
        max_jump = np.minimum(1.0 + 0.5 * self.since_seen, 6.0)
        kept = []
        for box, score in nms(dets):
            c = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])
            for k in range(2):
                known = np.isfinite(self.last_center[k]).all()
                if not known or np.linalg.norm(c - self.last_center[k]) <= (
                    max_jump[k] * self.last_width[k]
                ):
                    kept.append((box, score))
                    break
        faces = [self.models.describe(frame, b, s) for b, s in kept[:MAX_CANDIDATES]]
        idx = self._assign(faces, max_jump) if faces else [None, None]
        chosen = [faces[i] if i is not None else None for i in idx]
        self._update(chosen)
        return chosen

    def _assign(self, faces: list[Face], max_jump: np.ndarray) -> list[int | None]:
        ref = np.stack([d if d is not None else np.full(128, np.nan) for d in self.track_desc])
        idx = assign(
            ref,
            self.last_center,
            self.last_width,
            np.stack([f.center for f in faces]),
            np.stack([f.desc for f in faces]),
            max_jump,
        )
        # A face nobody has seen yet must at least look like the person.
        for k, i in enumerate(idx):
            unknown = not np.isfinite(self.last_center[k]).all()
            if i is not None and unknown and np.linalg.norm(faces[i].desc - ref[k]) >= SAME_PERSON:
                idx[k] = None
        return idx

    def _update(self, chosen: list[Face | None]) -> None:
        for k, face in enumerate(chosen):
            if face is None:
                self.since_seen[k] += 1
            else:
                self.last_center[k] = face.center
                self.last_width[k] = face.width
                self.since_seen[k] = 0

    def distance(self, k: int, face: Face | None) -> float:
        ref = self.refs[k]
        if face is None or ref is None:
            return float("nan")
        return float(np.linalg.norm(face.desc - ref.desc))
