"""Service settings, from the environment (``HUGAI_`` prefix), read once through ``get_settings``.

Nothing reads the environment at import time: tests and the CLI set variables, then call
``get_settings.cache_clear()`` when they need a fresh read.
"""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import Field, PositiveFloat, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_ENGINE = "hugai.pipeline:make_hug"


def _default_data_dir() -> Path:
    return Path.home() / ".hugai"


class Settings(BaseSettings):
    """Every knob of the service. Defaults run everything in one process with no other server."""

    model_config = SettingsConfigDict(env_prefix="HUGAI_", extra="ignore", frozen=True)

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Uploads, videos and (by default) the SQLite database. Shared by all workers."""
    database_url: str | None = None
    """SQLAlchemy URL; default ``sqlite:///<data_dir>/hugai.db``. PostgreSQL for many machines."""
    redis_url: str | None = None
    """When set, jobs go through Celery on this Redis and ``hugai worker`` processes render them."""
    public_url: str | None = None
    """The URL users reach the service at (for links in webhooks); default: from each request."""

    retention_hours: PositiveFloat = 24.0
    """Uploads, intermediate files and videos are deleted this long after a job is created."""
    sweep_interval_seconds: PositiveFloat = 60.0
    """How often the retention sweep and the reaper of lost jobs run."""
    lease_seconds: PositiveFloat = 60.0
    """A render renews its job's lease often; a lease not renewed this long = a lost worker."""
    max_attempts: PositiveInt = 2
    """Renders of a job started before it is failed with ``worker_lost``."""
    job_timeout_seconds: PositiveFloat = 900.0
    """A render running longer stops renewing its lease, so the reaper ends it."""
    requeue_after_seconds: PositiveFloat = 600.0
    """A job queued this long without a worker taking it is published to the broker again."""
    poll_seconds: PositiveFloat = 1.0
    """How often the in-process pool looks for queued jobs (it is also woken on submit)."""

    max_upload_mb: PositiveFloat = 15.0
    """Largest accepted photo file."""
    max_megapixels: PositiveFloat = 40.0
    """Largest accepted photo, in pixels (checked from the header, before decoding)."""

    anon_videos_per_day: int = Field(default=3, ge=0)
    anon_max_size: int = Field(default=480, ge=240)
    anon_max_duration: float = Field(default=8.0, ge=2.0)
    anon_concurrent_jobs: PositiveInt = 1

    webhook_allow_private: bool = False
    """Allow callback URLs on loopback/private addresses (tests, a private network)."""
    webhook_timeout_seconds: PositiveFloat = 5.0
    webhook_attempts: PositiveInt = 3

    secret: str | None = None
    """Salt for hashing client addresses and cookies; default: a random one kept in data_dir."""
    engine: str = DEFAULT_ENGINE
    """``module:function`` that renders; only unit tests point it at a double."""

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hugai.db'}"

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def retention_seconds(self) -> float:
        return self.retention_hours * 3600.0


@functools.cache
def get_settings() -> Settings:
    return Settings()
