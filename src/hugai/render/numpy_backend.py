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

from hugai.render.frame import FrameInputs, composite, frame_inputs
from hugai.types import Motion, Rig, Scene

_SHIFT = 4  # sub-pixel bits for cv2.fillConvexPoly


class PersonRaster:
    """A person's atlas (parts stacked vertically) and the texture coordinates of its mesh."""

    def __init__(self, rig: Rig) -> None:
        parts, h, w, _ = rig.textures.shape
        self.atlas = np.ascontiguousarray(rig.textures.reshape(parts * h, w, 4))
        vpart = np.zeros(len(rig.vertices), np.int64)
        vpart[rig.triangles.reshape(-1)] = np.repeat(rig.tri_part.astype(np.int64), 3)
        self.uv = rig.vertices.astype(np.float64) + np.stack(
            [np.zeros(len(vpart)), vpart * float(h)], axis=1
        )
        self.triangles = rig.triangles

    def draw(
        self, dest: np.ndarray, tri_depth: np.ndarray, size: tuple[int, int]
    ) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray] | None:
        """Rasterise at ``dest`` (float (V, 2) output pixels).

        Returns the box (x0, y0, x1, y1) drawn, the RGBA uint8 (h, w, 4) and per-pixel depth
        float32 (h, w) (-inf where empty), or None when nothing lands in the frame.
        """
        ow, oh = size
        lo = np.floor(dest.min(axis=0)).astype(int)
        hi = np.ceil(dest.max(axis=0)).astype(int) + 1
        x0, y0 = max(0, int(lo[0])), max(0, int(lo[1]))
        x1, y1 = min(ow, int(hi[0])), min(oh, int(hi[1]))
        if x1 <= x0 or y1 <= y0:
            return None
        local = dest - np.array([x0, y0], np.float64)
        ids = np.full((y1 - y0, x1 - x0), -1, np.int32)
        pts = np.round(local[self.triangles] * (1 << _SHIFT)).astype(np.int32)
        affines, ok = _dest_to_src(local, self.uv, self.triangles)
        for t in np.flatnonzero(ok):
            cv2.fillConvexPoly(ids, pts[t], int(t), cv2.LINE_8, _SHIFT)
        filled = ids >= 0
        if not filled.any():
            return None
        yy, xx = np.nonzero(filled)
        tid = ids[yy, xx]
        a = affines[tid]
        # Pixel centres: fillConvexPoly covers the pixel whose centre lies inside.
        px = xx.astype(np.float64)
        py = yy.astype(np.float64)
        map_x = np.full(ids.shape, -10.0, np.float32)
        map_y = np.full(ids.shape, -10.0, np.float32)
        map_x[yy, xx] = a[:, 0, 0] * px + a[:, 0, 1] * py + a[:, 0, 2]
        map_y[yy, xx] = a[:, 1, 0] * px + a[:, 1, 1] * py + a[:, 1, 2]
        rgba = cv2.remap(
            self.atlas, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )
        depth = np.full(ids.shape, -np.inf, np.float32)
        depth[yy, xx] = tri_depth[tid]
        return (x0, y0, x1, y1), rgba, depth


def _dest_to_src(dest: np.ndarray, uv: np.ndarray, tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        layers = []
        for person, (dest, depth) in zip(self.people, inputs.people, strict=True):
            layers.append(person.draw(dest, depth, self.size))
        return composite(inputs, layers)

    def close(self) -> None:
        pass
