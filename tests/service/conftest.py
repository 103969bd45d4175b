"""Fixtures of the service tests (the harness itself is ``service_harness``)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

try:  # the service's extra: without it there is no service to test
    import fastapi  # noqa: F401
    import httpx  # noqa: F401
    import sqlalchemy  # noqa: F401
except ImportError:
    collect_ignore_glob = ["test_*.py"]
else:
    from postgres_harness import Postgres
    from service_harness import PHOTOS, Proc


@pytest.fixture(scope="session")
def photos() -> Path:
    if not PHOTOS.is_dir():
        pytest.skip(f"{PHOTOS} is absent (real test photos)")
    return PHOTOS


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server for the session (skips where PostgreSQL or psycopg is absent)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is absent (pip install 'hugai[postgres]')")
    try:
        server = Postgres()
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"no PostgreSQL server to test with: {exc}")
    yield server
    server.stop()


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    """Processes a test starts (servers, workers, Redis) are stopped after it, whatever happens."""
    procs: list[Proc] = []
    yield procs
    for p in reversed(procs):
        p.stop()
