"""What every renderer shares: per-frame inputs (posed meshes, camera, background) and compositing.

Compositing is "over" (Porter & Duff 1984) in per-pixel depth order of the two people, over the
camera-warped background, with a soft contact shadow cast by the nearer person on the farther.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from hugai.rig.skin import blend_skin
from hugai.types import Motion, Rig, Scene

CONTACT_SHADOW = 0.22
"""Darkening of the farther person right beside the nearer one, at full contact."""

Drawn = tuple[tuple[int, int, int, int], np.ndarray, np.ndarray] | None
"""A person drawn by a backend: box (x0, y0, x1, y1), RGBA uint8 (h, w, 4), depth float32 (h, w)."""


@dataclass(frozen=True)
class FrameInputs:
    """One frame's inputs in output pixels.

    background: uint8 (H, W, 3), the background for this frame.
    people: per person (vertices float64 (V, 2) output pixels, triangle depth float32 (T,)).
    contact: contact-shadow strength in [0, 1].
    shadow_sigma: blur of the contact shadow, in output pixels.
    """

    background: np.ndarray
    people: tuple[tuple[np.ndarray, np.ndarray], ...]
    contact: float
    shadow_sigma: float


def frame_inputs(
    scene: Scene, rigs: tuple[Rig, Rig], motion: Motion, frame: int, size: tuple[int, int]
) -> FrameInputs:
    cam = motion.camera[frame].astype(np.float64)
    bg = warp_background(scene, cam, float(motion.blur[frame]), size)
    people = []
    for i, rig in enumerate(rigs):
        bones = motion.bones[frame, i].astype(np.float64)
        posed = blend_skin(rig.vertices.astype(np.float64), rig.weights.astype(np.float64), bones)
        dest = posed @ cam[:, :2].T + cam[:, 2]
        vdepth = rig.weights.astype(np.float64) @ motion.depth[frame, i].astype(np.float64)
        tri_depth = vdepth[rig.triangles].mean(axis=1).astype(np.float32)
        people.append((dest, tri_depth))
    fw = float(np.mean([r.face_width for r in rigs])) * float(cam[0, 0])
    return FrameInputs(bg, tuple(people), float(motion.contact[frame]), max(1.0, 0.12 * fw))


def warp_background(scene: Scene, cam: np.ndarray, blur: float, size: tuple[int, int]) -> np.ndarray:
    flags = cv2.INTER_LINEAR
    border = cv2.BORDER_REFLECT101
    sharp = cv2.warpAffine(scene.background, cam, size, flags=flags, borderMode=border)
    if scene.blurred is None or blur <= 0.0:
        return sharp
    soft = cv2.warpAffine(scene.blurred, cam, size, flags=flags, borderMode=border)
    if blur >= 1.0:
        return soft
    return cv2.addWeighted(sharp, 1.0 - blur, soft, blur, 0.0)


def composite(inputs: FrameInputs, layers: list[Drawn]) -> np.ndarray:
    """Both people over the background, nearer over farther per pixel."""
    out = inputs.background.copy()
    drawn = [d for d in layers if d is not None]
    if not drawn:
        return out
    ux0 = min(d[0][0] for d in drawn)
    uy0 = min(d[0][1] for d in drawn)
    ux1 = max(d[0][2] for d in drawn)
    uy1 = max(d[0][3] for d in drawn)
    h, w = uy1 - uy0, ux1 - ux0
    rgbs, alphas, depths = [], [], []
    for d in layers:
        rgb = np.zeros((h, w, 3), np.float32)
        a = np.zeros((h, w), np.float32)
        z = np.full((h, w), -np.inf, np.float32)
        if d is not None:
            (x0, y0, x1, y1), rgba, depth = d
            sl = np.s_[y0 - uy0 : y1 - uy0, x0 - ux0 : x1 - ux0]
            rgb[sl] = rgba[..., :3]
            a[sl] = rgba[..., 3] * np.float32(1 / 255)
            z[sl] = depth
        rgbs.append(rgb)
        alphas.append(a)
        depths.append(z)
    first_near = depths[0] >= depths[1]
    near_a = np.where(first_near, alphas[0], alphas[1])
    far_a = np.where(first_near, alphas[1], alphas[0])
    m = first_near[..., None]
    near_rgb = np.where(m, rgbs[0], rgbs[1])
    far_rgb = np.where(m, rgbs[1], rgbs[0])
    if inputs.contact > 0:
        shadow = cv2.GaussianBlur(near_a, (0, 0), inputs.shadow_sigma)
        far_rgb = far_rgb * (1.0 - CONTACT_SHADOW * inputs.contact * shadow)[..., None]
    base = out[uy0:uy1, ux0:ux1].astype(np.float32)
    base = far_rgb * far_a[..., None] + base * (1.0 - far_a[..., None])
    base = near_rgb * near_a[..., None] + base * (1.0 - near_a[..., None])
    out[uy0:uy1, ux0:ux1] = np.clip(base + 0.5, 0, 255).astype(np.uint8)
    return out
