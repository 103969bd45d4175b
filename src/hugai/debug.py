"""Contact sheets: frames at 0, 25, 50, 75, 100 % with skeletons, and the arm plan below."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from hugai.errors import OutputNotWritable
from hugai.render import Renderer
from hugai.types import Joint, Motion, Rig, Scene

BONES = (
    (Joint.L_SHOULDER, Joint.R_SHOULDER),
    (Joint.L_SHOULDER, Joint.L_ELBOW),
    (Joint.L_ELBOW, Joint.L_WRIST),
    (Joint.L_WRIST, Joint.L_HAND),
    (Joint.R_SHOULDER, Joint.R_ELBOW),
    (Joint.R_ELBOW, Joint.R_WRIST),
    (Joint.R_WRIST, Joint.R_HAND),
    (Joint.L_SHOULDER, Joint.L_HIP),
    (Joint.R_SHOULDER, Joint.R_HIP),
    (Joint.L_HIP, Joint.R_HIP),
    (Joint.NOSE, Joint.L_EYE),
    (Joint.NOSE, Joint.R_EYE),
)
COLOURS = ((255, 80, 60), (60, 140, 255))
FRACTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)


def draw_skeleton(
    frame: np.ndarray, joints: np.ndarray, cam: np.ndarray, colour: tuple[int, int, int]
) -> None:
    pts = joints.astype(np.float64) @ cam[:, :2].T + cam[:, 2]
    t = max(1, frame.shape[0] // 300)
    for a, b in BONES:
        cv2.line(frame, _ip(pts[a]), _ip(pts[b]), colour, t, cv2.LINE_AA)
    for p in pts[: Joint.R_HAND + 1]:
        cv2.circle(frame, _ip(p), t + 1, (255, 255, 255), -1, cv2.LINE_AA)


def contact_sheet(
    scene: Scene, rigs: tuple[Rig, Rig], motion: Motion, renderer: Renderer, folder: Path, stem: str
) -> Path:
    """Render the sheet to ``folder/<stem>_sheet.png`` and return its path."""
    n = motion.n_frames
    tiles = []
    for frac in FRACTIONS:
        f = min(n - 1, round(frac * (n - 1)))
        img = renderer.render(motion, f).copy()
        cam = motion.camera[f]
        for i in (0, 1):
            draw_skeleton(img, motion.joints[f, i], cam, COLOURS[i])
        scale = 360 / img.shape[0]
        img = cv2.resize(img, (round(img.shape[1] * scale), 360), interpolation=cv2.INTER_AREA)
        cv2.putText(
            img, f"{int(frac * 100)}%", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2
        )
        tiles.append(img)
    row = np.hstack(tiles)
    lines = list(motion.plan)
    text = np.full((22 * len(lines) + 12, row.shape[1], 3), 255, np.uint8)
    for k, line in enumerate(lines):
        cv2.putText(
            text, line, (8, 22 * (k + 1)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA
        )
    sheet = np.vstack([row, text])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stem}_sheet.png"
        tmp = folder / f".{stem}_sheet.tmp.png"
        if not cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
            raise OSError("could not encode PNG")
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputNotWritable(f"{folder}: cannot write the contact sheet there ({exc})") from exc
    return path


def _ip(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))
