"""Shared fixtures for the engine tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from realphotos import PHOTOS


@pytest.fixture
def photos_dir() -> Path:
    if not PHOTOS.is_dir():
        pytest.skip(f"real test photos not available ({PHOTOS} is absent)")
    return PHOTOS
