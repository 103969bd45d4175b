"""Uploaded photos on arrival: size caps, then decode and re-encode, which drops EXIF and GPS.

The engine's ``load_photo`` decodes (turned upright by its EXIF orientation, made RGB, scaled to
the engine's working size); the pixels are then written as a fresh JPEG with no metadata at all,
so nothing but the picture is ever stored.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

from hugai.errors import ImageTooLarge, InputError
from hugai.load import load_photo
from hugai.service.settings import Settings
from hugai.types import Photo

MAX_PHOTOS = 2
JPEG_QUALITY = 92


@dataclass(frozen=True)
class Upload:
    """A received file: the name the user gave it and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class CleanPhoto:
    """A decoded upload and its metadata-free JPEG re-encoding (what gets stored)."""

    photo: Photo
    jpeg: bytes


def check_count(uploads: list[Upload]) -> None:
    if not 1 <= len(uploads) <= MAX_PHOTOS:
        raise InputError(
            f"got {len(uploads)} photos; send one photo of two people, or two photos of one "
            "person each"
        )


def unique_names(names: list[str]) -> list[str]:
    """The users' file names, made distinct (phones name every photo image.jpg)."""
    out: list[str] = []
    for i, n in enumerate(names):
        base = (n or "photo").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:100] or "photo"
        out.append(base if base not in out else f"{base} ({i + 1})")
    return out


def clean(upload: Upload, settings: Settings) -> CleanPhoto:
    """Check the caps, decode safely and re-encode without metadata. Raises engine ``HugError``s."""
    if len(upload.data) > settings.max_upload_bytes:
        raise ImageTooLarge(
            f"{upload.name}: file is {len(upload.data) / 2**20:.1f} MB; use a photo under "
            f"{settings.max_upload_mb:g} MB"
        )
    _check_pixels(upload, settings)
    photo = load_photo(upload.data, upload.name)
    buf = io.BytesIO()
    Image.fromarray(photo.image).save(buf, "JPEG", quality=JPEG_QUALITY)
    return CleanPhoto(photo=photo, jpeg=buf.getvalue())


def _check_pixels(upload: Upload, settings: Settings) -> None:
    """Refuse an oversized picture from its header alone, before decoding any pixel."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(upload.data)) as img:
                w, h = img.size
    except Exception:  # not readable here: load_photo names the exact problem
        return
    if w * h > settings.max_megapixels * 1_000_000:
        raise ImageTooLarge(
            f"{upload.name}: {w}×{h} pixels is too large; use a photo under "
            f"{settings.max_megapixels:g} megapixels"
        )
