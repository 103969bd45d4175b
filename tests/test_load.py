"""Bad and unusual input files: each gets its own error naming the file; odd formats just work."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from hugai.errors import ImageTooLarge, ImageTooSmall, MissingFile, NotAnImage
from hugai.load import WORK_LONG_SIDE, load_photo


def _save(img: Image.Image, path: Path, **kw: Any) -> Path:
    img.save(path, **kw)
    return path


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingFile, match="nope.jpg: no such file"):
        load_photo(tmp_path / "nope.jpg")


def test_not_an_image(tmp_path: Path) -> None:
    p = tmp_path / "notes.jpg"
    p.write_text("hello, I am text")
    with pytest.raises(NotAnImage, match="notes.jpg: not an image"):
        load_photo(p)


def test_truncated_jpeg(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (400, 400, 3), np.uint8)).save(
        buf, "JPEG"
    )
    p = tmp_path / "cut.jpg"
    p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(NotAnImage, match="cut.jpg: the image is corrupt or truncated"):
        load_photo(p)


def test_too_small(tmp_path: Path) -> None:
    p = _save(Image.new("RGB", (100, 80)), tmp_path / "tiny.png")
    with pytest.raises(ImageTooSmall, match="tiny.png: 100×80 pixels is too small"):
        load_photo(p)


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    p = _save(Image.new("1", (9000, 9000)), tmp_path / "bomb.png")
    assert p.stat().st_size < 200_000
    with pytest.raises(ImageTooLarge, match="bomb.png"):
        load_photo(p)


def test_folder_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(NotAnImage, match="is a folder"):
        load_photo(tmp_path)


def test_exif_orientation_is_honoured(tmp_path: Path) -> None:
    img = Image.new("RGB", (300, 200), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 50, 200))  # blue stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    p = _save(img, tmp_path / "rot.jpg", exif=exif, quality=95)
    photo = load_photo(p)
    assert photo.image.shape == (300, 200, 3)
    assert photo.image[5, 100, 2] > 200 and photo.image[295, 100, 0] > 200  # stripe now on top


@pytest.mark.parametrize("mode", ["L", "CMYK", "I;16", "RGBA", "P", "LA"])
def test_any_mode_becomes_rgb_uint8(tmp_path: Path, mode: str) -> None:
    arr = np.linspace(0, 255, 256 * 200).reshape(200, 256).astype(np.uint8)
    img = Image.fromarray(arr, "L")
    if mode == "I;16":
        img = Image.fromarray(arr.astype(np.uint16) * 257)  # 16-bit grey
    elif mode != "L":
        img = img.convert(mode)
    ext = "jpg" if mode == "CMYK" else "png"
    if mode == "CMYK":
        ext = "tiff"
    p = _save(img, tmp_path / f"img.{ext}")
    photo = load_photo(p)
    assert photo.image.dtype == np.uint8 and photo.image.shape == (200, 256, 3)
    assert photo.image[:, -1].mean() > photo.image[:, 0].mean()  # the ramp survives


def test_big_photos_are_worked_on_at_a_bounded_size(tmp_path: Path) -> None:
    p = _save(Image.new("RGB", (4000, 3000), (10, 20, 30)), tmp_path / "big.jpg")
    photo = load_photo(p)
    assert max(photo.image.shape[:2]) == WORK_LONG_SIDE
