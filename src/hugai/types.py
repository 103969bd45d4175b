"""The typed values that flow between the stages.

Conventions, kept everywhere: images are RGB ``uint8`` H×W×3; alpha is ``float32`` H×W in
[0, 1]; points are ``float32`` (N, 2) in (x, y) pixels of the frame named in the docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np


class Joint(IntEnum):
    """Body keypoints: COCO's 17 plus the centre of each hand (from the pose model's hand points).

    "l_"/"r_" are the person's own left and right (a frontal person's left is on image right).
    """

    NOSE = 0
    L_EYE = 1
    R_EYE = 2
    L_EAR = 3
    R_EAR = 4
    L_SHOULDER = 5
    R_SHOULDER = 6
    L_ELBOW = 7
    R_ELBOW = 8
    L_WRIST = 9
    R_WRIST = 10
    L_HIP = 11
    R_HIP = 12
    L_KNEE = 13
    R_KNEE = 14
    L_ANKLE = 15
    R_ANKLE = 16
    L_HAND = 17
    R_HAND = 18


N_JOINTS = len(Joint)


@dataclass(frozen=True)
class Photo:
    """A decoded input photo.

    image: uint8 (H, W, 3) RGB, EXIF orientation already applied.
    name: how the user named it (file name), used in every message about it.
    """

    image: np.ndarray
    name: str

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(frozen=True)
class Pose2D:
    """One person's keypoints.

    points: float32 (N_JOINTS, 2), (x, y) pixels in the frame of the image it was found in.
    scores: float32 (N_JOINTS,), visibility confidence in [0, 1]; below ``VISIBLE`` = unknown.
    """

    points: np.ndarray
    scores: np.ndarray

    VISIBLE = 0.5

    def visible(self, j: Joint) -> bool:
        return bool(self.scores[j] >= self.VISIBLE)

    def pt(self, j: Joint) -> np.ndarray:
        return self.points[j]

    def transformed(self, scale: float, offset: tuple[float, float]) -> Pose2D:
        """The pose in a frame where x' = scale·x + offset."""
        pts = self.points * np.float32(scale) + np.asarray(offset, np.float32)
        return Pose2D(pts.astype(np.float32), self.scores.copy())


@dataclass(frozen=True)
class Person:
    """A person found in a photo.

    box: float32 (4,), x0, y0, x1, y1 pixels of the whole person (photo frame).
    face: float32 (4,), x0, y0, x1, y1 of the face (photo frame); estimated from the pose when no
        face detector saw it.
    pose: keypoints in the photo frame.
    alpha: float32 (H, W) in [0, 1], this person's soft mask over the whole photo, with pixels
        shared by two people owned by one of them.
    frontal: False when the person faces away from the camera.
    photo_index: which input photo the person comes from.
    occluded: float32 (H, W) in [0, 1], where this person is hidden behind the partner in the
        photo (their body goes on under the partner), or None.
    """

    box: np.ndarray
    face: np.ndarray
    pose: Pose2D
    alpha: np.ndarray
    frontal: bool
    photo_index: int
    score: float
    occluded: np.ndarray | None = None

    @property
    def area(self) -> float:
        return float(self.alpha.sum())

    @property
    def face_width(self) -> float:
        return float(self.face[2] - self.face[0])

    @property
    def face_center(self) -> np.ndarray:
        return np.array(
            [(self.face[0] + self.face[2]) / 2, (self.face[1] + self.face[3]) / 2], np.float32
        )


@dataclass(frozen=True)
class Perception:
    """What was found in the input: the two people, left one first, and notes for the user.

    in_front: which person (0 or 1) is in front where the two overlap in the photo, or None
        when they do not overlap (or come from two photos).
    """

    photos: tuple[Photo, ...]
    people: tuple[Person, Person]
    notes: tuple[str, ...] = ()
    in_front: int | None = None


@dataclass(frozen=True)
class Layer:
    """One person cut out on the scene canvas.

    rgb: uint8 (H, W, 3), the person's colours, filled beyond the mask edge so that a warp that
        samples just outside the silhouette never drags in background colours.
    alpha: float32 (H, W) in [0, 1] (canvas frame).
    pose: keypoints in the canvas frame.
    face: float32 (4,), face box x0, y0, x1, y1 in the canvas frame.
    visible: float32 (H, W) in [0, 1], the part of ``alpha`` seen in the photo (``alpha`` also
        covers the body hidden behind the partner, filled from the person's own colours).
    """

    rgb: np.ndarray
    alpha: np.ndarray
    pose: Pose2D
    face: np.ndarray
    visible: np.ndarray


@dataclass(frozen=True)
class Scene:
    """The canvas everything is animated on (the photo's frame in single-photo mode).

    photo: uint8 (H, W, 3), the picture as it is at frame 0 (the input photo, or the two-photo
        composite).
    background: uint8 (H, W, 3), the photo with the people removed and filled.
    layers: the two people, left first.
    crop: float32 (4,), x0, y0, x1, y1 of the output frame's view of the canvas at frame 0.
    in_front: which layer is in front where the two overlap at rest, or None if they do not.
    blurred: uint8 (H, W, 3), the background with a depth-of-field blur (shown as the camera
        closes in); None to never blur.
    rest_background: uint8 (H, W, 3), what is behind the people at frame 0: the photo itself
        except under the people's soft masks (so frame 0 is the photo exactly); it dissolves
        into ``background`` as they start to move. None: ``background`` from the start.
    floor: canvas rows from this y down are made up (a body continued past its photo's bottom
        edge): the frame and the camera stay above it. None: the whole canvas may be shown.
    source_scale: per layer, canvas pixels per pixel of that person's own photo (1.0 in
        single-photo mode, where the canvas is the photo).
    """

    photo: np.ndarray
    background: np.ndarray
    layers: tuple[Layer, Layer]
    crop: np.ndarray
    notes: tuple[str, ...] = ()
    in_front: int | None = None
    blurred: np.ndarray | None = None
    rest_background: np.ndarray | None = None
    floor: float | None = None
    source_scale: tuple[float, float] = (1.0, 1.0)


MAX_UPSCALE = 3.0
"""A face is never shown larger than this many times its size in its own photo (the frame at
rest, then the camera's push-in): beyond it, a low-resolution face turns to blur and blocks."""


class Bone(IntEnum):
    """The bones every rig has. A bone rotates about its head joint."""

    TORSO = 0
    HEAD = 1
    L_UPPER_ARM = 2
    L_FOREARM = 3
    L_HAND = 4
    R_UPPER_ARM = 5
    R_FOREARM = 6
    R_HAND = 7
    L_THIGH = 8
    L_SHIN = 9
    R_THIGH = 10
    R_SHIN = 11


N_BONES = len(Bone)


class Part(IntEnum):
    """The separately textured parts of a person, in drawing order (later is drawn on top)."""

    BODY = 0
    L_ARM = 1
    R_ARM = 2


ARM_JOINTS = {
    Part.L_ARM: (Joint.L_SHOULDER, Joint.L_ELBOW, Joint.L_WRIST, Joint.L_HAND),
    Part.R_ARM: (Joint.R_SHOULDER, Joint.R_ELBOW, Joint.R_WRIST, Joint.R_HAND),
}
"""Each arm's joint chain: shoulder, elbow, wrist, hand."""


@dataclass(frozen=True)
class Rig:
    """One person's skeleton and skinned triangle mesh, in the canvas frame.

    joints: float32 (N_JOINTS, 2), rest positions, with hidden joints estimated.
    vertices: float32 (V, 2), mesh vertices at rest.
    triangles: int32 (T, 3), vertex indices, sorted by part (drawing order).
    tri_part: int8 (T,), the ``Part`` each triangle belongs to (which texture it samples).
    weights: float32 (V, N_BONES), skinning weights, rows sum to 1.
    textures: uint8 (len(Part), H, W, 4), RGBA per part on the canvas: the body (with the
        torso filled in where a free arm covered it) and each free arm cut out.
    arm_free: (left, right), whether each arm can be moved on its own.
    arm_why: (left, right), a short reason for the debug sheet.
    face: float32 (4,), the face box at rest (rigid with the HEAD bone).
    """

    joints: np.ndarray
    vertices: np.ndarray
    triangles: np.ndarray
    tri_part: np.ndarray
    weights: np.ndarray
    textures: np.ndarray
    arm_free: tuple[bool, bool]
    arm_why: tuple[str, str]
    face: np.ndarray

    @property
    def shoulder_width(self) -> float:
        return float(np.linalg.norm(self.joints[Joint.L_SHOULDER] - self.joints[Joint.R_SHOULDER]))

    @property
    def face_width(self) -> float:
        return float(self.face[2] - self.face[0])


@dataclass(frozen=True)
class Motion:
    """The choreography of the two people over time.

    bones: float32 (F, 2, N_BONES, 2, 3), per frame and person an affine map (canvas frame, 2×3)
        of each bone from rest to that frame. Head and limb maps are rigid.
    depth: float32 (F, 2, N_BONES), per frame, person and bone the depth used where the two people
        overlap: larger is nearer. (Within a person, parts are drawn in ``Part`` order.)
    joints: float32 (F, 2, N_JOINTS, 2), the posed joints (canvas frame), for checks and sheets.
    camera: float32 (F, 2, 3), per frame the affine map canvas → output pixels.
    blur: float32 (F,), how far the background has gone to its depth-of-field blur, in [0, 1].
    reveal: float32 (F,), how far the rest background has dissolved into the filled one.
    contact: float32 (F,), strength of the contact shadow where the two meet, in [0, 1].
    plan: lines saying who is in front and what each arm does, and why.
    """

    bones: np.ndarray
    depth: np.ndarray
    joints: np.ndarray
    camera: np.ndarray
    blur: np.ndarray
    reveal: np.ndarray
    contact: np.ndarray
    plan: tuple[str, ...]

    @property
    def n_frames(self) -> int:
        return int(self.bones.shape[0])


@dataclass(frozen=True)
class StageTiming:
    stage: str
    seconds: float


@dataclass(frozen=True)
class HugResult:
    """What ``make_hug`` made.

    video: where the video went.
    frames_count, fps, width, height: of the video.
    plan: what the choreography decided, in words.
    notes: things the user should know (e.g. "3 people found; used the two largest").
    timings: wall time of each stage, in order.
    debug_sheet: the contact sheet PNG, when asked for.
    """

    video: Path
    frames_count: int
    fps: int
    width: int
    height: int
    plan: tuple[str, ...]
    notes: tuple[str, ...]
    timings: tuple[StageTiming, ...]
    debug_sheet: Path | None = None
    people_boxes: tuple[tuple[float, float, float, float], ...] = field(default=())

    @property
    def duration(self) -> float:
        return self.frames_count / self.fps

    @property
    def total_seconds(self) -> float:
        return sum(t.seconds for t in self.timings)


Progress = Callable[[str, float], None]
"""Called as progress(stage, fraction_done_of_that_stage)."""
