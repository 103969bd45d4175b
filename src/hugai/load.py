"""Decode a user's photo safely: checks first, EXIF orientation applied, any mode made RGB uint8."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from hugai.errors import ImageTooLarge, ImageTooSmall, MissingFile, NotAnImage
from hugai.types import Photo

MAX_PIXELS = 50_000_000
"""Larger images are refused before decoding (a decompression bomb can be a few KB on disk)."""
MAX_BYTES = 60 * 1024 * 1024
MIN_SIDE = 128
WORK_LONG_SIDE = 1600
"""Photos are worked on at most this long side: more adds time, not quality, at video sizes."""


def load_photo(source: str | Path | bytes, name: str | None = None) -> Photo:
    """Read a photo from a path or bytes. Raises a ``HugError`` subclass naming the photo."""
    if isinstance(source, bytes):
        label = name or "photo"
        data = source
    else:
        path = Path(source)
        label = name or path.name
        if not path.exists():
            raise MissingFile(f"{path}: no such file; check the path")
        if path.is_dir():
            raise NotAnImage(f"{path}: is a folder, not a photo; pass a JPEG or PNG file")
        if path.stat().st_size > MAX_BYTES:
            raise ImageTooLarge(
                f"{label}: file is {path.stat().st_size / 2**20:.0f} MB; "
                f"use a photo under {MAX_BYTES // 2**20} MB"
            )
        data = path.read_bytes()
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(
            f"{label}: file is {len(data) / 2**20:.0f} MB; "
            f"use a photo under {MAX_BYTES // 2**20} MB"
        )
    return Photo(image=decode_image(data, label), name=label)


def decode_image(data: bytes, label: str) -> np.ndarray:
    """Bytes → RGB uint8 (H, W, 3), downscaled to ``WORK_LONG_SIDE``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if w * h > MAX_PIXELS:
                raise ImageTooLarge(
                    f"{label}: {w}×{h} pixels is too large; use a photo under "
                    f"{MAX_PIXELS // 1_000_000} megapixels"
                )
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(
            f"{label}: the image is too large to open safely; use a photo under "
            f"{MAX_PIXELS // 1_000_000} megapixels"
        ) from exc
    except UnidentifiedImageError as exc:
        raise NotAnImage(f"{label}: not an image file; use a JPEG, PNG or WebP photo") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(
            f"{label}: the image is corrupt or truncated ({exc}); export it again or use another"
        ) from exc
    if min(w, h) < MIN_SIDE:
        raise ImageTooSmall(
            f"{label}: {w}×{h} pixels is too small; use a photo at least {MIN_SIDE} pixels "
            "on each side (ideally 600 or more)"
        )
    rgb = _to_rgb(ImageOps.exif_transpose(img) or img)
    long_side = max(rgb.size)
    if long_side > WORK_LONG_SIDE:
        s = WORK_LONG_SIDE / long_side
        size = (round(rgb.size[0] * s), round(rgb.size[1] * s))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any PIL mode → RGB; alpha is composited on white (how a viewer would show it)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.float64)
        top = arr.max() or 1.0
        img = Image.fromarray((arr / top * 255).round().astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")
