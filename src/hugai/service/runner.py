"""Render one job: claim it, call the engine with a heartbeat, record the outcome, notify.

This is the one code path every kind of worker runs (the in-process pool of ``hugai serve`` and
Celery's ``hugai worker``). Engine errors become the job's error with the engine's own code.
"""

from __future__ import annotations

import importlib
import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hugai.config import HugConfig
from hugai.errors import HugError, RenderError
from hugai.pipeline import load_photos
from hugai.service import db, jobs, storage, webhooks
from hugai.service.db import ApiKeyRow, JobRow
from hugai.service.errors import Internal
from hugai.service.schemas import JobOut
from hugai.service.settings import DEFAULT_ENGINE, Settings

log = logging.getLogger("hugai.service")

STAGE_WEIGHTS = {"perceive": 0.10, "scene": 0.10, "rig": 0.05, "choreograph": 0.05, "render": 0.70}
"""Share of the whole job each engine stage takes (roughly, on the CPU); the rest is the poster."""
PROGRESS_EVERY = 0.5
"""Seconds between progress writes to the database."""


class Cancelled(Exception):
    """The job was deleted, expired or taken over while rendering: stop now."""


def overall_progress(stage: str, fraction: float) -> float:
    done = 0.0
    for name, weight in STAGE_WEIGHTS.items():
        if name == stage:
            return min(1.0, done + weight * max(0.0, min(1.0, fraction)))
        done += weight
    return done


def load_engine(settings: Settings) -> Callable[..., Any]:
    module, _, func = settings.engine.partition(":")
    engine: Callable[..., Any] = getattr(importlib.import_module(module), func)
    return engine


_warm = threading.local()


def warm_up(settings: Settings) -> None:
    """Start the engine's models in this worker thread before its first job (the built-in
    engine only; once per thread; a failure is logged, and the job that follows reports it)."""
    if settings.engine != DEFAULT_ENGINE or getattr(_warm, "done", False):
        return
    _warm.done = True
    try:
        from hugai.pipeline import warm_up

        warm_up()
    except Exception:
        log.exception("worker warm-up failed; jobs will load the models themselves")


class _Heartbeat:
    """Renews the lease every third of it from its own thread, so a long stage cannot lapse it.

    It stops renewing after ``job_timeout_seconds`` (a hung render then gets reaped), and raises
    the ``lost`` flag when the job stops being ours (deleted, expired, reaped).
    """

    def __init__(self, settings: Settings, job_id: str, token: str) -> None:
        self.settings, self.job_id, self.token = settings, job_id, token
        self.stop = threading.Event()
        self.lost = threading.Event()
        self.stage: str | None = None
        self.progress: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id[:8]}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join()

    def beat(self) -> None:
        if not jobs.renew(self.settings, self.job_id, self.token, self.stage, self.progress):
            self.lost.set()

    def _run(self) -> None:
        interval = self.settings.lease_seconds / 3
        deadline = db.now() + self.settings.job_timeout_seconds
        while not self.stop.wait(min(interval, PROGRESS_EVERY)):
            if db.now() > deadline:
                log.error(
                    "job %s: over %ss, no longer renewing its lease",
                    self.job_id,
                    self.settings.job_timeout_seconds,
                )
                return
            try:
                self.beat()
            except Exception:  # the database is briefly unreachable: try again next beat
                log.exception("job %s: lease renewal failed", self.job_id)
            if self.lost.is_set():
                return


def run_job(settings: Settings, job_id: str, stop: threading.Event | None = None) -> str:
    """Render ``job_id`` if it is still queued. Returns what happened (for logs and tests).

    ``stop`` (a shutting-down pool) hands the job back to the queue instead of finishing it.
    """
    token = uuid.uuid4().hex
    row = jobs.claim(settings, job_id, token)
    if row is None:
        return "skipped"
    log.info("job %s: rendering (attempt %d, token %s)", job_id, row.attempts, token[:8])
    out_dir = storage.run_dir(settings, job_id, token)
    finished: JobRow | None = None
    with _Heartbeat(settings, job_id, token) as hb:

        def progress(stage: str, fraction: float) -> None:
            if hb.lost.is_set():
                raise Cancelled(job_id)
            if stop is not None and stop.is_set():
                raise Cancelled(job_id)
            hb.stage, hb.progress = stage, overall_progress(stage, fraction)

        try:
            finished = _render(settings, row, token, out_dir, progress)
        except Cancelled:
            if stop is not None and stop.is_set() and jobs.release(settings, job_id, token):
                log.info("job %s: handed back to the queue (shutting down)", job_id)
                storage.delete_run(settings, job_id, token)
                return "released"
            log.info("job %s: stopped (deleted, expired or taken over)", job_id)
        except HugError as exc:
            finished = jobs.fail(settings, job_id, token, exc.code, exc.message, exc.photo)
        except Exception:
            if not jobs.exists(settings, job_id):  # deleted under us: its files went with it
                log.info("job %s: stopped (deleted while rendering)", job_id)
                finished = None
            else:
                log.exception("job %s: render failed", job_id)
                err = RenderError("something went wrong while making the video; please try again")
                finished = jobs.fail(settings, job_id, token, err.code, err.message, None)
    if finished is None and not jobs.exists(settings, job_id):
        # Deleted while rendering: the delete may have raced our writes; leave no folder.
        storage.delete_job(settings, job_id)
    elif finished is None or finished.status != "succeeded":
        storage.delete_run(settings, job_id, token)  # nothing of ours is referenced
    if finished is None:
        return "lost"
    notify(settings, finished)
    return finished.status


def _render(
    settings: Settings,
    row: JobRow,
    token: str,
    out_dir: Path,
    progress: Callable[[str, float], None],
) -> JobRow | None:
    config = HugConfig(**row.options)
    data = storage.read_photos(settings, row.id, len(row.photo_names))
    photos = load_photos(data, row.photo_names)
    out_dir.mkdir(exist_ok=True)  # not parents: never recreate the folder of a deleted job
    # The encoder picks the container from the suffix, so the temporary name keeps ".mp4".
    part = out_dir / "hug.part.mp4"
    engine = load_engine(settings)
    result = engine(photos, part, config, progress=progress)
    video = out_dir / "hug.mp4"
    part.replace(video)
    poster = out_dir / "poster.jpg"
    storage.write_atomic(poster, poster_jpeg(video))
    rel = Path(f"run-{token}")
    return jobs.succeed(
        settings,
        row.id,
        token,
        {
            "video_file": str(rel / video.name),
            "poster_file": str(rel / poster.name),
            "video": {
                "width": result.width,
                "height": result.height,
                "fps": result.fps,
                "frames": result.frames_count,
                "duration": round(result.frames_count / result.fps, 3),
                "plan": list(result.plan),
                "notes": list(result.notes),
            },
        },
    )


def poster_jpeg(video: Path, at: float = 0.6) -> bytes:
    """A JPEG of the frame ``at`` of the way through the video (mid-hug, not the still photo)."""
    import io

    import av

    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        n = stream.frames or 1
        target = max(0, int(n * at))
        frame = None
        for i, f in enumerate(container.decode(stream)):
            frame = f
            if i >= target:
                break
    if frame is None:
        raise Internal(f"{video.name}: the video has no frames")
    buf = io.BytesIO()
    frame.to_image().save(buf, "JPEG", quality=85)
    return buf.getvalue()


def notify(settings: Settings, row: JobRow) -> None:
    """Send the job's webhook (if it asked for one), signed with its key's secret."""
    if not row.callback_url or not row.owner.startswith("key:"):
        return
    with db.session(settings.effective_database_url) as s:
        secret = s.scalar(
            select(ApiKeyRow.webhook_secret).where(ApiKeyRow.id == row.owner.removeprefix("key:"))
        )
    if secret is None:
        return
    payload: dict[str, object] = {
        "event": f"hug.{row.status}",
        "job": JobOut.of(row, row.base_url).model_dump(mode="json"),
    }
    status = webhooks.deliver(
        row.callback_url,
        secret,
        payload,
        timeout=settings.webhook_timeout_seconds,
        attempts=settings.webhook_attempts,
        allow_private=settings.webhook_allow_private,
    )
    jobs.set_webhook_status(settings, row.id, status)
