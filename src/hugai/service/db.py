"""Stored models (database rows) and the engine/session for them.

Rows are not API shapes: ``schemas`` holds what requests send and responses return. Times are
UNIX seconds (floats) so SQLite and PostgreSQL store them the same way.

SQLite is opened in WAL mode and every transaction starts ``BEGIN IMMEDIATE``: a transaction that
reads then writes (a quota check, a claim) can then never fail half-way on a stale snapshot, and
the service's transactions are all a few milliseconds long.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import JSON, Engine, Float, Integer, String, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

# Job states. A job goes queued → running → succeeded | failed; a lost worker's job goes back to
# queued (or to failed once ``max_attempts`` renders have started).
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
ACTIVE = (QUEUED, RUNNING)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class ApiKeyRow(Base):
    """An API key: only the SHA-256 of the secret is kept. Limits are copied from the plan."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    plan: Mapped[str] = mapped_column(String(32))
    videos_per_day: Mapped[int] = mapped_column(Integer)
    max_size: Mapped[int] = mapped_column(Integer)
    max_duration: Mapped[float] = mapped_column(Float)
    concurrent_jobs: Mapped[int] = mapped_column(Integer)
    webhook_secret: Mapped[str] = mapped_column(String(80))
    """Signs this key's webhooks; shown once at creation (a signing secret, not a credential)."""
    created_at: Mapped[float] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float, default=None)


class JobRow(Base):
    """One hug video request. Holds no image data: files live in the job's folder."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80), index=True)
    """Who may see the job: ``key:<id>`` or ``anon:<hash of the browser's cookie>``."""
    subject: Mapped[str] = mapped_column(String(80), index=True)
    """Whose quota it counts against: the key, or ``ip:<hash>`` for anonymous use."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    stage: Mapped[str | None] = mapped_column(String(32), default=None)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    photo_names: Mapped[list[str]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(64), default=None)
    """The token of the render attempt that holds the lease."""
    lease_until: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[float] = mapped_column(Float)
    enqueued_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, default=None)
    finished_at: Mapped[float | None] = mapped_column(Float, default=None)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(String(1000), default=None)
    error_photo: Mapped[int | None] = mapped_column(Integer, default=None)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    callback_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    base_url: Mapped[str] = mapped_column(String(500))
    webhook_status: Mapped[str | None] = mapped_column(String(200), default=None)


class QuotaEventRow(Base):
    """One accepted video, counted against a subject's daily quota (kept 24 h, then swept)."""

    __tablename__ = "quota_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[float] = mapped_column(Float, index=True)


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
_SCHEMA_LOCK_KEY = 0x48554741492D4442  # "HUGAI-DB": a PostgreSQL advisory lock for create_all


def get_engine(url: str) -> Engine:
    """One engine per database URL per process; tables are created on first use.

    Render threads and request handlers may ask at once: the first one makes the engine, the
    others wait for it. On PostgreSQL, processes starting at once (``serve`` and ``worker``s on
    an empty database) take turns creating the tables under an advisory lock; without it, two
    CREATE TABLEs of the same name race and one process fails on a unique violation.
    """
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = _ENGINES[url] = _make_engine(url)
        return engine


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        Base.metadata.create_all(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
        Base.metadata.create_all(conn)
    return engine


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see the module docstring)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


@functools.cache
def _sessions(url: str) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


@contextmanager
def session(url: str) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back on an exception."""
    with _sessions(url).begin() as s:
        yield s


def lock_subject(s: Session, subject: str) -> None:
    """Serialise quota checks of one subject (SQLite transactions are already serialised)."""
    if s.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(subject.encode()).digest()[:8], "big", signed=True)
        s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def now() -> float:
    return time.time()
