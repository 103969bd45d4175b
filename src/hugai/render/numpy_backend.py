"""The always-available renderer: triangle-ID rasterisation with OpenCV, then one remap per person.

Each person is drawn into a triangle-ID map (triangles in part order, so an arm covers its own
body); every pixel then looks up its triangle's affine map back to the person's texture atlas, and
a single ``cv2.remap`` samples the colours. The two people are composited per pixel in their
depth order, so an arm can pass behind the partner's torso while its hand lies in front of the
partner's shoulder, with the partner's soft edges kept.
"""

from __future__ import annotations

import cv2
import numpy as np

from hugai.render.frame import FrameInputs, atlas_uv, composite, frame_inputs, people_box
from hugai.types import Motion, Rig, Scene

_SHIFT = 4  # sub-pixel bits for cv2.fillConvexPoly


class PersonRaster:
    """A person's atlas (parts stacked vertically) and the texture coordinates of its mesh."""

    def __init__(self, rig: Rig) -> None:
        parts, h, w, _ = rig.textures.shape
        self.atlas = np.ascontiguousarray(rig.textures.reshape(parts * h, w, 4))
        self.uv = atlas_uv(rig)
        self.triangles = rig.triangles

    def draw(
        self, dest: np.ndarray, tri_depth: np.ndarray, box: tuple[int, int, int, int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rasterise at ``dest`` (float (V, 2) output pixels) inside ``box`` (x0, y0, x1, y1).

        Returns RGBA uint8 (h, w, 4) and per-pixel depth float32 (h, w), -inf where empty.
        Each triangle is painted with its own dest→atlas affine coefficients (and depth), so
        texture coordinates come out per pixel without any gather.
        """
        x0, y0, x1, y1 = box
        h, w = y1 - y0, x1 - x0
        local = dest - np.array([x0, y0], np.float64)
        pts = np.round(local[self.triangles] * (1 << _SHIFT)).astype(np.int32)
        affines, ok = _dest_to_src(local, self.uv, self.triangles)
        cx = np.zeros((h, w, 4), np.float32)
        cy = np.zeros((h, w, 4), np.float32)
        cx[..., 2] = -10.0  # empty pixels sample outside the atlas: transparent
        cx[..., 3] = -np.inf
        cy[..., 2] = -10.0
        coef_x = np.concatenate([affines[:, 0, :], tri_depth[:, None].astype(np.float64)], axis=1)
        coef_y = np.concatenate([affines[:, 1, :], np.zeros((len(affines), 1))], axis=1)
        for t in np.flatnonzero(ok):
            cv2.fillConvexPoly(cx, pts[t], coef_x[t].tolist(), cv2.LINE_8, _SHIFT)
            cv2.fillConvexPoly(cy, pts[t], coef_y[t].tolist(), cv2.LINE_8, _SHIFT)
        gx, gy = _grid(w, h)
        map_x = cx[..., 0] * gx + cx[..., 1] * gy + cx[..., 2]
        map_y = cy[..., 0] * gx + cy[..., 1] * gy + cy[..., 2]
        rgba = cv2.remap(
            self.atlas,
            map_x,
            map_y,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )
        return rgba, np.ascontiguousarray(cx[..., 3])


_GRIDS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _grid(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel x and y coordinates (float32 (h, w) each), cached by size."""
    key = (w, h)
    if key not in _GRIDS:
        if len(_GRIDS) > 8:
            _GRIDS.clear()
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        _GRIDS[key] = (gx, gy)
    return _GRIDS[key]


def _dest_to_src(
    dest: np.ndarray, uv: np.ndarray, tris: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle, the affine map (T, 2, 3) from output pixels to atlas pixels, and validity."""
    d = np.ones((len(tris), 3, 3))
    d[:, 0, :] = dest[tris, 0]
    d[:, 1, :] = dest[tris, 1]
    s = np.stack([uv[tris, 0], uv[tris, 1]], axis=1)  # (T, 2, 3)
    det = np.linalg.det(d)
    ok = np.abs(det) > 1e-6
    inv = np.zeros_like(d)
    inv[ok] = np.linalg.inv(d[ok])
    return s @ inv, ok


class NumpyRenderer:
    """Renders frames of a scene; ``render(motion, i)`` → uint8 (H, W, 3)."""

    name = "numpy"

    def __init__(self, scene: Scene, rigs: tuple[Rig, Rig], size: tuple[int, int]) -> None:
        self.scene = scene
        self.rigs = rigs
        self.size = size
        self.people = [PersonRaster(r) for r in rigs]

    def render(self, motion: Motion, frame: int) -> np.ndarray:
        inputs: FrameInputs = frame_inputs(self.scene, self.rigs, motion, frame, self.size)
        box = people_box([dest for dest, _ in inputs.people], self.size)
        if box is None:
            return inputs.background.copy()
        layers = [
            person.draw(dest, depth, box)
            for person, (dest, depth) in zip(self.people, inputs.people, strict=True)
        ]
        return composite(inputs, box, layers)

    def close(self) -> None:
        pass
