"""Where the real test photos are (../shared/photos beside the repo), and a skip when absent."""

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
