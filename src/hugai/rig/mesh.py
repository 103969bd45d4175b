"""Triangle meshes over masks (Shewchuk's Triangle, quality meshing with an area bound)."""

from __future__ import annotations

import cv2
import numpy as np
import triangle


def mesh_mask(mask: np.ndarray, max_edge: float, grow: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Mesh every sizeable blob of ``mask > 0.02`` (grown by ``grow`` px).

    Returns vertices float32 (V, 2) in (x, y) pixels and triangles int32 (T, 3). The mesh covers
    the soft edge of the mask so that alpha, not triangle edges, draws the silhouette.
    """
    hard: np.ndarray = (mask > 0.02).astype(np.uint8)
    if grow > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        hard = cv2.dilate(hard, k)
    contours, _ = cv2.findContours(hard, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    min_area = max(16.0, (max_edge * 0.5) ** 2)
    verts: list[np.ndarray] = []
    tris: list[np.ndarray] = []
    offset = 0
    for c in contours:
        if cv2.contourArea(c) < min_area:
            continue
        v, t = mesh_polygon(c.reshape(-1, 2).astype(np.float32), max_edge)
        if len(t) == 0:
            continue
        verts.append(v)
        tris.append(t + offset)
        offset += len(v)
    if not verts:
        return np.zeros((0, 2), np.float32), np.zeros((0, 3), np.int32)
    return np.concatenate(verts).astype(np.float32), np.concatenate(tris).astype(np.int32)


def mesh_polygon(contour: np.ndarray, max_edge: float) -> tuple[np.ndarray, np.ndarray]:
    """Quality-mesh one closed polygon (float32 (N, 2)), edges about ``max_edge`` long."""
    eps = max(0.8, max_edge * 0.08)
    poly = cv2.approxPolyDP(contour.reshape(-1, 1, 2), eps, True).reshape(-1, 2).astype(np.float64)
    poly = _resample(poly, max_edge)
    if len(poly) < 3:
        return np.zeros((0, 2), np.float32), np.zeros((0, 3), np.int32)
    n = len(poly)
    segs = np.stack([np.arange(n), (np.arange(n) + 1) % n], axis=1)
    area = max_edge * max_edge * 0.433
    try:
        out = triangle.triangulate({"vertices": poly, "segments": segs}, f"pq25a{area:.3f}Q")
    except (RuntimeError, ValueError):
        return np.zeros((0, 2), np.float32), np.zeros((0, 3), np.int32)
    if "triangles" not in out:
        return np.zeros((0, 2), np.float32), np.zeros((0, 3), np.int32)
    return out["vertices"].astype(np.float32), out["triangles"].astype(np.int32)


def _resample(poly: np.ndarray, step: float) -> np.ndarray:
    """Split long polygon edges so the boundary is as fine as the interior."""
    out = []
    n = len(poly)
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        d = float(np.linalg.norm(b - a))
        k = max(1, int(np.ceil(d / step)))
        for j in range(k):
            out.append(a + (b - a) * (j / k))
    res = np.array(out)
    # Triangle rejects duplicate points.
    _, idx = np.unique(np.round(res, 3), axis=0, return_index=True)
    return res[np.sort(idx)]
