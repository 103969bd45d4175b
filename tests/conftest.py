"""Shared fixtures: the real photos folder (../shared/photos), skipped cleanly when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PHOTOS = REPO.parent / "shared" / "photos"


def photo(name: str) -> Path:
    path = PHOTOS / name
    if not path.exists():
        pytest.skip(f"real test photos not available ({PHOTOS} is absent)")
    return path


@pytest.fixture
def photos_dir() -> Path:
    if not PHOTOS.is_dir():
        pytest.skip(f"real test photos not available ({PHOTOS} is absent)")
    return PHOTOS
