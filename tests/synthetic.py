"""Synthetic photos of two people with exactly known keypoints and masks, and fake models.

Unit tests run the whole engine on these, without MediaPipe, so they are fast and exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hugai.perceive.models import Candidate, CropPose
from hugai.pipeline import Models
from hugai.types import N_JOINTS, Joint

SKIN = (224, 172, 140)


@dataclass(frozen=True)
class Figure:
    """A drawn person: keypoints (N_JOINTS, 2), mask (H, W) float32, face box (4,)."""

    points: np.ndarray
    mask: np.ndarray
    face: np.ndarray


def draw_person(
    img: np.ndarray, cx: float, top: float, scale: float, shirt: tuple[int, int, int]
) -> Figure:
    """Draw a frontal cartoon person (arms hanging free at the sides, hands visible)."""
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    s = scale
    p = np.zeros((N_JOINTS, 2), np.float32)
    head_c = (cx, top + 0.5 * s)
    p[Joint.NOSE] = head_c
    p[Joint.L_EYE] = (cx + 0.18 * s, top + 0.4 * s)
    p[Joint.R_EYE] = (cx - 0.18 * s, top + 0.4 * s)
    p[Joint.L_EAR] = (cx + 0.42 * s, top + 0.48 * s)
    p[Joint.R_EAR] = (cx - 0.42 * s, top + 0.48 * s)
    sh_y = top + 1.45 * s
    p[Joint.L_SHOULDER] = (cx + 1.1 * s, sh_y)
    p[Joint.R_SHOULDER] = (cx - 1.1 * s, sh_y)
    p[Joint.L_HIP] = (cx + 0.8 * s, sh_y + 2.6 * s)
    p[Joint.R_HIP] = (cx - 0.8 * s, sh_y + 2.6 * s)
    for side in (1, -1):
        sh = Joint.L_SHOULDER if side > 0 else Joint.R_SHOULDER
        el, wr, hd = (
            (Joint.L_ELBOW, Joint.L_WRIST, Joint.L_HAND)
            if side > 0
            else (Joint.R_ELBOW, Joint.R_WRIST, Joint.R_HAND)
        )
        p[el] = p[sh] + (side * 0.45 * s, 1.3 * s)
        p[wr] = p[el] + (side * 0.2 * s, 1.2 * s)
        p[hd] = p[wr] + (side * 0.05 * s, 0.3 * s)
    p[Joint.L_KNEE] = p[Joint.L_HIP] + (0, 1.5 * s)
    p[Joint.R_KNEE] = p[Joint.R_HIP] + (0, 1.5 * s)
    p[Joint.L_ANKLE] = p[Joint.L_KNEE] + (0, 1.5 * s)
    p[Joint.R_ANKLE] = p[Joint.R_KNEE] + (0, 1.5 * s)

    def ip(q: np.ndarray | tuple[float, float]) -> tuple[int, int]:
        return int(round(float(q[0]))), int(round(float(q[1])))

    torso = np.array(
        [
            p[Joint.R_SHOULDER],
            p[Joint.L_SHOULDER],
            p[Joint.L_HIP] + (0.2 * s, 0),
            p[Joint.R_HIP] - (0.2 * s, 0),
        ]
    ).astype(np.int32)
    legs = np.array(
        [p[Joint.R_HIP] - (0.2 * s, 0), p[Joint.L_HIP] + (0.2 * s, 0), (cx + s, h), (cx - s, h)]
    ).astype(np.int32)
    cv2.fillConvexPoly(img, legs, (40, 40, 90))
    cv2.fillConvexPoly(mask, legs, 1)
    cv2.fillConvexPoly(img, torso, shirt)
    cv2.fillConvexPoly(mask, torso, 1)
    # Stripes on the shirt so that motion is visible to optical flow and to the eye.
    for k in range(1, 6):
        y = int(sh_y + k * 0.45 * s)
        cv2.line(
            img,
            ip((cx - 0.9 * s, y)),
            ip((cx + 0.9 * s, y)),
            (255, 255, 255),
            max(1, int(0.06 * s)),
        )
    arm_w = max(2, int(0.42 * s))
    for sh, el, wr, hd in (
        (Joint.L_SHOULDER, Joint.L_ELBOW, Joint.L_WRIST, Joint.L_HAND),
        (Joint.R_SHOULDER, Joint.R_ELBOW, Joint.R_WRIST, Joint.R_HAND),
    ):
        for a, b in ((sh, el), (el, wr)):
            cv2.line(img, ip(p[a]), ip(p[b]), shirt, arm_w)
            cv2.line(mask, ip(p[a]), ip(p[b]), 1, arm_w)
        cv2.circle(img, ip(p[hd]), int(0.25 * s), SKIN, -1)
        cv2.circle(mask, ip(p[hd]), int(0.25 * s), 1, -1)
    cv2.rectangle(img, ip((cx - 0.15 * s, top + 0.9 * s)), ip((cx + 0.15 * s, sh_y)), SKIN, -1)
    cv2.rectangle(mask, ip((cx - 0.15 * s, top + 0.9 * s)), ip((cx + 0.15 * s, sh_y)), 1, -1)
    cv2.ellipse(img, ip(head_c), (int(0.5 * s), int(0.62 * s)), 0, 0, 360, SKIN, -1)
    cv2.ellipse(mask, ip(head_c), (int(0.5 * s), int(0.62 * s)), 0, 0, 360, 1, -1)
    for e in (Joint.L_EYE, Joint.R_EYE):
        cv2.circle(img, ip(p[e]), max(1, int(0.07 * s)), (30, 30, 30), -1)
    cv2.ellipse(
        img, ip((cx, top + 0.78 * s)), (int(0.18 * s), int(0.07 * s)), 0, 0, 180, (150, 40, 40), -1
    )
    face = np.array([cx - 0.45 * s, top + 0.05 * s, cx + 0.45 * s, top + 0.95 * s], np.float32)
    return Figure(points=p, mask=mask.astype(np.float32), face=face)


def two_people_photo(
    w: int = 480, h: int = 360, gap: float = 1.0
) -> tuple[np.ndarray, list[Figure]]:
    """A textured background with two people standing apart."""
    yy, xx = np.mgrid[0:h, 0:w]
    bg = np.stack([90 + 60 * xx / w, 120 + 40 * yy / h, 150 + 0 * xx], axis=-1)
    bg += 18 * ((xx // 24 + yy // 24) % 2)[..., None]
    img = np.clip(bg, 0, 255).astype(np.uint8)
    s = h / 9.0
    figs = [
        draw_person(img, w / 2 - (1.7 + gap) * s, h * 0.12, s, (200, 60, 60)),
        draw_person(img, w / 2 + (1.7 + gap) * s, h * 0.16, s * 0.95, (60, 90, 200)),
    ]
    # Later figures overdraw earlier ones: masks must not both own a pixel.
    figs[0] = Figure(figs[0].points, figs[0].mask * (1 - figs[1].mask), figs[0].face)
    return img, figs


class FakeModels:
    """Finders, face detector and pose estimator answering from the drawn figures."""

    def __init__(self, figures: list[Figure]) -> None:
        self.figures = figures

    def find(self, image: np.ndarray) -> list[Candidate]:
        h, w = image.shape[:2]
        out = []
        for f in self.figures:
            fw = f.face[2] - f.face[0]
            cx = (f.face[0] + f.face[2]) / 2
            box = np.clip(
                np.array([cx - 3 * fw, f.face[1] - 0.5 * fw, cx + 3 * fw, h], np.float32),
                0,
                [w, h, w, h],
            ).astype(np.float32)
            head = f.face + np.array([-0.2, -0.3, 0.2, 0.1], np.float32) * fw
            out.append(Candidate(box=box, face=f.face, score=0.9, source="face", head=head))
        return out

    def faces(self, image: np.ndarray) -> list[tuple[np.ndarray, float]]:
        return [(f.face, 0.9) for f in self.figures]

    def estimate(self, image: np.ndarray, box: np.ndarray) -> CropPose | None:
        cx = (box[0] + box[2]) / 2
        f = min(self.figures, key=lambda g: abs((g.face[0] + g.face[2]) / 2 - cx))
        return CropPose(
            points=f.points.copy(), scores=np.ones(N_JOINTS, np.float32), mask=f.mask.copy()
        )

    def models(self) -> Models:
        return Models(finders=(self,), faces=self, pose=self)
