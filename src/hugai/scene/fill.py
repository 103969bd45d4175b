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
    Returns the same dtype as ``image``. The blends and divisions are OpenCV's (SIMD, threaded):
    on a 1600-pixel photo numpy's temporaries cost ~0.1 s a call.
    """
    dtype = image.dtype
    img = _as3(image.astype(np.float32))
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
    c = _unpremultiply(pyr_c[-1], pyr_w[-1])
    for level in range(len(pyr_c) - 2, -1, -1):
        lw = pyr_w[level]
        up = _as3(cv2.resize(c, (lw.shape[1], lw.shape[0]), interpolation=cv2.INTER_LINEAR))
        # At full size the unpremultiplied colour is the image itself: no division there.
        mine = img if level == 0 else _unpremultiply(pyr_c[level], lw)
        a = np.minimum(lw * 4.0, 1.0)
        c = _as3(cv2.blendLinear(mine, up, a, 1.0 - a))
    out = _as3(cv2.blendLinear(img, c, w, 1.0 - w))
    out = out if image.ndim == 3 else out[..., 0]
    if dtype == np.uint8:  # the blends of non-negative colours are non-negative
        return cv2.convertScaleAbs(out)
    return out.astype(dtype)


def _unpremultiply(colour: np.ndarray, weight: np.ndarray) -> np.ndarray:
    weight = np.maximum(weight, 1e-6)
    channels = colour.shape[2]
    return _as3(cv2.divide(colour, weight if channels == 1 else cv2.merge([weight] * channels)))


def _as3(a: np.ndarray) -> np.ndarray:
    return a if a.ndim == 3 else a[..., None]
