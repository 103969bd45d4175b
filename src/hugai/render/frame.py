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
    people, contact, sigma = posed_people(rigs, motion, frame)
    bg = camera_background(
        scene_images(scene),
        float(motion.blur[frame]),
        float(motion.reveal[frame]),
        motion.camera[frame].astype(np.float64),
        size,
    )
    return FrameInputs(bg, tuple(people), contact, sigma)


def scene_images(scene: Scene) -> dict[str, np.ndarray]:
    """The scene's background images by the names ``canvas_background`` uses."""
    images = {"background": scene.background}
    if scene.rest_background is not None:
        images["rest"] = scene.rest_background
    if scene.blurred is not None:
        images["blurred"] = scene.blurred
    return images


def posed_people(
    rigs: tuple[Rig, Rig], motion: Motion, frame: int
) -> tuple[list[tuple[np.ndarray, np.ndarray]], float, float]:
    """Per person (vertices float64 (V, 2) output pixels, triangle depth float32 (T,)), the contact
    strength and the shadow sigma, for one frame."""
    cam = motion.camera[frame].astype(np.float64)
    people = []
    for i, rig in enumerate(rigs):
        bones = motion.bones[frame, i].astype(np.float64)
        posed = blend_skin(rig.vertices.astype(np.float64), rig.weights.astype(np.float64), bones)
        dest = posed @ cam[:, :2].T + cam[:, 2]
        vdepth = rig.weights.astype(np.float64) @ motion.depth[frame, i].astype(np.float64)
        tri_depth = vdepth[rig.triangles].mean(axis=1).astype(np.float32)
        people.append((dest, tri_depth))
    fw = float(np.mean([r.face_width for r in rigs])) * float(cam[0, 0])
    return people, float(motion.contact[frame]), max(1.0, 0.12 * fw)


def canvas_background(images: dict[str, np.ndarray], blur: float, reveal: float) -> np.ndarray:
    """This frame's background on the canvas, before the camera: the rest background dissolving
    into the filled one as the people start to move, then into its depth-of-field blur as the
    camera closes in. ``images`` holds "background" and, when the scene has them, "rest" and
    "blurred" (uint8 (H, W, C)); one of them as it is when no mixing is needed.
    """
    if "blurred" in images and blur >= 1.0:
        return images["blurred"]
    sharp = images["background"]
    if "rest" in images and reveal < 1.0:
        sharp = cv2.addWeighted(images["rest"], 1.0 - reveal, sharp, reveal, 0.0)
    if "blurred" not in images or blur <= 0.0:
        return sharp
    return cv2.addWeighted(sharp, 1.0 - blur, images["blurred"], blur, 0.0)


def camera_background(
    images: dict[str, np.ndarray],
    blur: float,
    reveal: float,
    cam: np.ndarray,
    size: tuple[int, int],
) -> np.ndarray:
    """uint8 (H, W, C): this frame's background in output pixels (``canvas_background`` warped
    by the camera ``cam``, canvas -> output 2x3, with OpenCV's BORDER_REFLECT101). Only the part
    of the canvas the camera sees is mixed: a third of it once the camera has pushed in."""
    h, w = next(iter(images.values())).shape[:2]
    x0, y0, x1, y1 = seen_by(cam, size, (w, h))
    crops = {k: v[y0:y1, x0:x1] for k, v in images.items()}
    canvas = canvas_background(crops, blur, reveal)
    local = cam.copy()
    local[:, 2] += cam[:, :2] @ np.array([x0, y0], np.float64)
    return cv2.warpAffine(
        canvas, local, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
    )


def seen_by(
    cam: np.ndarray, size: tuple[int, int], canvas: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The canvas pixels (x0, y0, x1, y1) a bilinear warp by ``cam`` to an output of ``size``
    reads: the output's corners mapped back, one pixel more each side, clipped to the canvas.
    Lookups reflected at an edge (BORDER_REFLECT101) land inside too: a point beyond an edge is
    mirrored to no farther from it than it was."""
    w, h = size
    corners = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [-0.5, h - 0.5], [w - 0.5, h - 0.5]])
    src = (corners - cam[:, 2]) @ np.linalg.inv(cam[:, :2]).T
    cw, ch = canvas
    x0 = max(0, min(cw - 1, int(np.floor(src[:, 0].min())) - 1))
    y0 = max(0, min(ch - 1, int(np.floor(src[:, 1].min())) - 1))
    x1 = max(x0 + 1, min(cw, int(np.ceil(src[:, 0].max())) + 2))
    y1 = max(y0 + 1, min(ch, int(np.ceil(src[:, 1].max())) + 2))
    return x0, y0, x1, y1


def atlas_uv(rig: Rig) -> np.ndarray:
    """float64 (V, 2): each vertex in the atlas of parts stacked vertically, as
    ``numpy_backend.PersonRaster`` computes it (a vertex takes the part of its last triangle)."""
    h = rig.textures.shape[1]
    vpart = np.zeros(len(rig.vertices), np.int64)
    vpart[rig.triangles.reshape(-1)] = np.repeat(rig.tri_part.astype(np.int64), 3)
    return rig.vertices.astype(np.float64) + np.stack(
        [np.zeros(len(vpart)), vpart * float(h)], axis=1
    )


def people_box(dests: list[np.ndarray], size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The pixel box (x0, y0, x1, y1) covering every posed mesh, clipped to the frame."""
    ow, oh = size
    pts = np.concatenate(dests)
    if len(pts) == 0:
        return None
    lo = np.floor(pts.min(axis=0)).astype(int)
    hi = np.ceil(pts.max(axis=0)).astype(int) + 1
    x0, y0 = max(0, int(lo[0])), max(0, int(lo[1]))
    x1, y1 = min(ow, int(hi[0])), min(oh, int(hi[1]))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def composite(
    inputs: FrameInputs, box: tuple[int, int, int, int], layers: list[tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """Both people over the background, nearer over farther per pixel.

    layers: per person, RGBA uint8 (h, w, 4) and depth float32 (h, w) (-inf where empty) over
    ``box``. With person 0 nearer, out = a0·c0 + (1-a0)·a1·c1 + (1-a0)(1-a1)·bg, and
    symmetrically; done as two normalised blends (cv2.blendLinear) on uint8 images, several
    times faster than float arithmetic on three channels.
    """
    out = inputs.background.copy()
    x0, y0, x1, y1 = box
    (rgba0, z0), (rgba1, z1) = layers
    a0 = rgba0[..., 3].astype(np.float32) * np.float32(1 / 255)
    a1 = rgba1[..., 3].astype(np.float32) * np.float32(1 / 255)
    c0 = cv2.cvtColor(rgba0, cv2.COLOR_RGBA2RGB)
    c1 = cv2.cvtColor(rgba1, cv2.COLOR_RGBA2RGB)
    first_near = z0 >= z1
    w0 = np.where(first_near, a0, a0 * (1.0 - a1))
    w1 = np.where(first_near, a1 * (1.0 - a0), a1)
    wb = (1.0 - a0) * (1.0 - a1)
    base = out[y0:y1, x0:x1]
    rest = cv2.blendLinear(c1, base, w1, wb)
    mixed = cv2.blendLinear(c0, rest, w0, 1.0 - w0)
    if inputs.contact > 0:
        # The farther person's visible share, darkened beside the nearer person's silhouette.
        near_a = np.where(first_near, a0, a1)
        far_w = np.where(first_near, w1, w0)
        dark = (CONTACT_SHADOW * inputs.contact) * _soft(near_a, inputs.shadow_sigma) * far_w
        mixed = cv2.blendLinear(mixed, np.zeros_like(mixed), 1.0 - dark, dark)
    out[y0:y1, x0:x1] = mixed
    return out


def _soft(mask: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur computed at a quarter of the size (the shadow is soft anyway)."""
    h, w = mask.shape
    f = 4 if min(h, w) >= 64 else 1
    small = cv2.resize(mask, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), max(0.5, sigma / f))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
