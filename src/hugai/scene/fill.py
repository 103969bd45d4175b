"""Fill unknown pixels from known ones: pyramid push-pull (Gortler et al., The Lumigraph, 1996).

Push-pull averages known colours down an image pyramid and pulls them back up, so every hole
gets a smooth blend of its surroundings at the scale of the hole. Unlike diffusion inpainting
(cv2.inpaint) it leaves no radial streaks, which the prototype saw where people filled ~40 % of
the frame. It is pure numpy + cv2.resize and takes a few ms at 720p.
"""

from __future__ import annotations

import cv2
import numpy as np


def push_pull(image: np.ndarray, known: np.ndarray, levels: int | None = None) -> np.ndarray:
    """Return ``image`` with pixels where ``known`` is 0 replaced by a smooth fill.

    image: float32 or uint8 (H, W, C); known: float32 (H, W) weights in [0, 1] (1 = keep).
    Returns the same dtype as ``image``.
    """
    dtype = image.dtype
    img = image.astype(np.float32)
    w = np.clip(known.astype(np.float32), 0.0, 1.0)
    h0, w0 = w.shape
    if levels is None:
        levels = max(1, int(np.ceil(np.log2(max(h0, w0)))) - 1)
    # Push: premultiplied colour and weight, averaged down.
    pyr_c: list[np.ndarray] = [img * w[..., None]]
    pyr_w: list[np.ndarray] = [w]
    for _ in range(levels):
        c, ww = pyr_c[-1], pyr_w[-1]
        if min(ww.shape) < 2:
            break
        size = ((ww.shape[1] + 1) // 2, (ww.shape[0] + 1) // 2)
        pyr_c.append(_as3(cv2.resize(c, size, interpolation=cv2.INTER_AREA)))
        pyr_w.append(cv2.resize(ww, size, interpolation=cv2.INTER_AREA))
    # Pull: from the coarsest level, fill each level's weak pixels with the level above.
    c = pyr_c[-1] / np.maximum(pyr_w[-1], 1e-6)[..., None]
    for lc, lw in zip(reversed(pyr_c[:-1]), reversed(pyr_w[:-1]), strict=True):
        up = _as3(cv2.resize(c, (lw.shape[1], lw.shape[0]), interpolation=cv2.INTER_LINEAR))
        mine = lc / np.maximum(lw, 1e-6)[..., None]
        a = np.clip(lw * 4.0, 0.0, 1.0)[..., None]
        c = mine * a + up * (1.0 - a)
    out = image.astype(np.float32) * w[..., None] + c * (1.0 - w[..., None])
    if dtype == np.uint8:
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return out.astype(dtype)


def _as3(a: np.ndarray) -> np.ndarray:
    return a if a.ndim == 3 else a[..., None]
