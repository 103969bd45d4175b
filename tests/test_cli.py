"""The CLI: one clear line and a distinct exit code per kind of bad input, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hugai import errors


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hugai.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_exit_codes_are_distinct() -> None:
    codes = [cls.exit_code for cls in errors.ALL_ERRORS if cls is not errors.HugError]
    assert len(codes) == len(set(codes))
    assert all(c not in (0, 1) for c in codes)


def test_help_explains_every_option() -> None:
    r = run("make", "--help")
    assert r.returncode == 0
    for opt in (
        "--output",
        "--duration",
        "--fps",
        "--size",
        "--aspect",
        "--style",
        "--seed",
        "--debug",
    ):
        assert opt in r.stdout


@pytest.mark.parametrize(
    ("make_input", "code", "words"),
    [
        (lambda d: d / "missing.jpg", errors.MissingFile.exit_code, "no such file"),
        (lambda d: _text(d / "text.jpg"), errors.NotAnImage.exit_code, "not an image"),
        (lambda d: _image(d / "small.png", 50), errors.ImageTooSmall.exit_code, "too small"),
        (lambda d: _image(d / "plain.png", 400), errors.NoPeopleFound.exit_code, "found no person"),
    ],
)
def test_bad_input_gets_its_own_exit_code(
    tmp_path: Path, make_input: Callable[[Path], Path], code: int, words: str
) -> None:
    path = make_input(tmp_path)
    r = run("make", str(path), "-o", str(tmp_path / "out.mp4"), "-q")
    assert r.returncode == code, r.stderr
    assert words in r.stderr and path.name in r.stderr
    assert "Traceback" not in r.stderr


def test_unwritable_output(tmp_path: Path) -> None:
    photo = _image(tmp_path / "plain.png", 400)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("make", str(photo), "-o", str(blocker / "sub" / "out.mp4"), "-q")
    assert r.returncode == errors.OutputNotWritable.exit_code, r.stderr
    assert "cannot write there" in r.stderr and "Traceback" not in r.stderr


def test_bad_option_value() -> None:
    r = run("make", "x.jpg", "--duration", "60")
    assert r.returncode == errors.InputError.exit_code
    assert "duration" in r.stderr and "Traceback" not in r.stderr


def test_three_photos_are_refused(tmp_path: Path) -> None:
    p = _image(tmp_path / "a.png", 300)
    r = run("make", str(p), str(p), str(p), "-q")
    assert r.returncode == errors.InputError.exit_code
    assert "one photo of two people or two photos" in r.stderr


def _text(p: Path) -> Path:
    p.write_text("not a photo")
    return p


def _image(p: Path, side: int) -> Path:
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (side, side, 3), np.uint8)).save(p)
    return p
