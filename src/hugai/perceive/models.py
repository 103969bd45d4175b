"""The models behind perception, each behind a small Protocol so tests can use fakes.

Real ones: MediaPipe 0.10.21's face detector (full range) and BlazePose (full, one person per call,
with its person mask), run on a crop around each person a finder proposed; MoveNet MultiPose
(ONNX, shipped in ``hugai/models``) finds people whose faces the face detector misses.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hugai.types import N_JOINTS, Joint


@dataclass(frozen=True)
class Candidate:
    """A proposed person (photo pixels, x0, y0, x1, y1 float32 (4,) boxes).

    box: the whole person; face: a detected face or None; head: where the head is (a face box
    grown to take in hair, or from body keypoints), or None.
    """

    box: np.ndarray
    face: np.ndarray | None
    score: float
    source: str
    head: np.ndarray | None = None


@dataclass(frozen=True)
class CropPose:
    """A pose model's answer on one crop, mapped back to the photo.

    points: float32 (N_JOINTS, 2) photo pixels; scores: float32 (N_JOINTS,);
    mask: float32 (H, W) in [0, 1] over the whole photo (zero outside the crop).
    """

    points: np.ndarray
    scores: np.ndarray
    mask: np.ndarray


class PersonFinder(Protocol):
    def find(self, image: np.ndarray) -> list[Candidate]: ...


class FaceFinder(Protocol):
    def faces(self, image: np.ndarray) -> list[tuple[np.ndarray, float]]: ...


class PoseEstimator(Protocol):
    def estimate(self, image: np.ndarray, box: np.ndarray) -> CropPose | None: ...


# BlazePose's 33 landmarks → our joints (COCO 17 + hand centres).
_BLAZE_TO_JOINT = {
    Joint.NOSE: 0,
    Joint.L_EYE: 2,
    Joint.R_EYE: 5,
    Joint.L_EAR: 7,
    Joint.R_EAR: 8,
    Joint.L_SHOULDER: 11,
    Joint.R_SHOULDER: 12,
    Joint.L_ELBOW: 13,
    Joint.R_ELBOW: 14,
    Joint.L_WRIST: 15,
    Joint.R_WRIST: 16,
    Joint.L_HIP: 23,
    Joint.R_HIP: 24,
    Joint.L_KNEE: 25,
    Joint.R_KNEE: 26,
    Joint.L_ANKLE: 27,
    Joint.R_ANKLE: 28,
}
_BLAZE_HAND = {Joint.L_HAND: (15, 17, 19, 21), Joint.R_HAND: (16, 18, 20, 22)}

_local = threading.local()


_DRAWING_MODULES = ("drawing_utils", "drawing_styles")
"""MediaPipe's plotting helpers (``mediapipe.python.solutions``), deferred by ``_mp``."""


def _mp() -> Any:
    """MediaPipe, imported without loading its drawing helpers.

    ``mediapipe.python.solutions`` imports ``drawing_utils``, which imports ``matplotlib.pyplot``
    at its top: ~0.35 s of every cold start, for plotting we never do. The two drawing modules
    are registered first as deferred modules: their code runs, matplotlib and all, on the first
    use of anything in them. (``importlib.util.LazyLoader`` would not do: Python 3.11's import
    statement reads ``__spec__``, which makes a lazy module load.)
    """
    if "mediapipe" not in sys.modules:
        spec = importlib.util.find_spec("mediapipe")  # finds the package without running it
        if spec is not None and spec.origin is not None:
            solutions = Path(spec.origin).parent / "python" / "solutions"
            for name in _DRAWING_MODULES:
                _defer(f"mediapipe.python.solutions.{name}", solutions / f"{name}.py")
    import mediapipe as mp

    for name in _DRAWING_MODULES:  # bound on the package, as a normal import binds them
        module = sys.modules.get(f"mediapipe.python.solutions.{name}")
        if module is not None and name not in vars(mp.solutions):
            setattr(mp.solutions, name, module)
    return mp


class _Deferred(types.ModuleType):
    """A module whose code runs on the first lookup of a name it does not have yet."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        spec = self.__spec__
        self.__class__ = types.ModuleType  # type: ignore[assignment]
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(self)
        return getattr(self, attr)


def _defer(name: str, path: Path) -> None:
    if name in sys.modules or not path.is_file():
        return
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _Deferred
    sys.modules[name] = module


class MediapipeFaces:
    """Full-range BlazeFace; one detector per thread (MediaPipe graphs are not thread-safe)."""

    def __init__(self, min_confidence: float = 0.5) -> None:
        self.min_confidence = min_confidence

    def _detector(self) -> Any:
        det = getattr(_local, "faces", None)
        if det is None:
            det = _mp().solutions.face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=0.3
            )
            _local.faces = det
        return det

    def faces(self, image: np.ndarray) -> list[tuple[np.ndarray, float]]:
        h, w = image.shape[:2]
        res = self._detector().process(np.ascontiguousarray(image))
        out: list[tuple[np.ndarray, float]] = []
        for d in res.detections or []:
            score = float(d.score[0])
            if score < self.min_confidence:
                continue
            bb = d.location_data.relative_bounding_box
            box = np.array(
                [bb.xmin * w, bb.ymin * h, (bb.xmin + bb.width) * w, (bb.ymin + bb.height) * h],
                np.float32,
            )
            out.append((box, score))
        return out


class MediapipePose:
    """BlazePose full (model_complexity=1) with its segmentation mask, on a crop per person."""

    def _pose(self) -> Any:
        pose = getattr(_local, "pose", None)
        if pose is None:
            pose = _mp().solutions.pose.Pose(
                static_image_mode=True,
                model_complexity=1,
                enable_segmentation=True,
                min_detection_confidence=0.3,
            )
            _local.pose = pose
        return pose

    def estimate(self, image: np.ndarray, box: np.ndarray) -> CropPose | None:
        h, w = image.shape[:2]
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        res = self._pose().process(crop)
        if res.pose_landmarks is None:
            return None
        cw, ch = x1 - x0, y1 - y0
        lm = res.pose_landmarks.landmark
        raw = np.array([[p.x * cw + x0, p.y * ch + y0] for p in lm], np.float32)
        vis = np.array([p.visibility for p in lm], np.float32)
        # A landmark outside the crop is a guess, not a sighting.
        inside = (raw[:, 0] >= x0) & (raw[:, 0] < x1) & (raw[:, 1] >= y0) & (raw[:, 1] < y1)
        vis = np.where(inside, vis, np.minimum(vis, 0.2)).astype(np.float32)
        points = np.zeros((N_JOINTS, 2), np.float32)
        scores = np.zeros(N_JOINTS, np.float32)
        for j, k in _BLAZE_TO_JOINT.items():
            points[j], scores[j] = raw[k], vis[k]
        for j, ks in _BLAZE_HAND.items():
            points[j] = raw[list(ks)].mean(axis=0)
            scores[j] = vis[list(ks)].min()
        mask = np.zeros((h, w), np.float32)
        if res.segmentation_mask is not None:
            mask[y0:y1, x0:x1] = res.segmentation_mask
        return CropPose(points=points, scores=scores, mask=mask)


class FacePersonFinder:
    """People from faces: a body box below each face (about 7 face widths wide)."""

    def __init__(self, faces: FaceFinder | None = None) -> None:
        self._faces = faces or MediapipeFaces()

    def find(self, image: np.ndarray) -> list[Candidate]:
        h, w = image.shape[:2]
        out = []
        for face, score in self._faces.faces(image):
            fw = face[2] - face[0]
            cx = (face[0] + face[2]) / 2
            box = np.array(
                [cx - 3.5 * fw, face[1] - 0.8 * fw, cx + 3.5 * fw, min(h, face[1] + 9 * fw)],
                np.float32,
            )
            box = np.clip(box, 0, [w, h, w, h]).astype(np.float32)
            head = np.array(
                [face[0] - 0.3 * fw, face[1] - 0.5 * fw, face[2] + 0.3 * fw, face[3] + 0.2 * fw],
                np.float32,
            )
            out.append(Candidate(box=box, face=face, score=score, source="face", head=head))
        return out


class MoveNetPersonFinder:
    """People from MoveNet MultiPose (finds people whose faces are small, turned or dark)."""

    def __init__(self, min_score: float = 0.25) -> None:
        from hugai.perceive.movenet import MoveNetMultiPose

        self._net = MoveNetMultiPose()
        self.min_score = min_score

    def find(self, image: np.ndarray) -> list[Candidate]:
        out = []
        for det in self._net.detect(image):
            if det.score < self.min_score:
                continue
            out.append(
                Candidate(
                    box=det.box.astype(np.float32),
                    face=None,
                    score=det.score,
                    source="movenet",
                    head=head_from_keypoints(det.keypoints, det.scores),
                )
            )
        return out


def head_from_keypoints(points: np.ndarray, scores: np.ndarray) -> np.ndarray | None:
    """A head box from COCO keypoints (nose, eyes, ears; shoulders for scale), or None."""
    seen = [k for k in range(5) if scores[k] >= 0.3]
    if len(seen) < 2:
        return None
    c = points[seen].mean(axis=0)
    size = 0.0
    if scores[3] >= 0.3 and scores[4] >= 0.3:
        size = max(size, 1.3 * float(np.linalg.norm(points[3] - points[4])))
    if scores[1] >= 0.3 and scores[2] >= 0.3:
        size = max(size, 3.0 * float(np.linalg.norm(points[1] - points[2])))
    if scores[5] >= 0.3 and scores[6] >= 0.3:
        size = max(size, 0.6 * float(np.linalg.norm(points[5] - points[6])))
    if size <= 0:
        return None
    r = size / 2
    return np.array([c[0] - r, c[1] - 1.2 * r, c[0] + r, c[1] + r], np.float32)


def default_finders() -> list[PersonFinder]:
    """Face detector first (precise faces), MoveNet MultiPose for the people it misses."""
    return [FacePersonFinder(), MoveNetPersonFinder()]
