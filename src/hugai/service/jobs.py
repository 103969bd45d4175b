"""Jobs in the database: create (with the quota check), read, delete, and the lease protocol.

The lease protocol makes a job survive any process dying:

    claim    queued ─► running, with a token and ``lease_until``; only one claimer wins
    renew    the token holder pushes ``lease_until`` on (with progress)
    finish   running ─► succeeded | failed, only by the token holder
    reap     running with a lapsed lease ─► queued again (or failed after ``max_attempts``)

Every step is one conditional UPDATE, so threads, processes and machines may race freely.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Update, delete, func, select, update
from sqlalchemy.orm import Session

from hugai.config import HugConfig
from hugai.service import db, storage
from hugai.service.db import ACTIVE, FAILED, QUEUED, RUNNING, SUCCEEDED, JobRow, QuotaEventRow
from hugai.service.errors import NotFound, QuotaExceeded, WorkerLost
from hugai.service.plans import Plan
from hugai.service.settings import Settings

DAY = 86400.0
CONCURRENT_RETRY_AFTER = 15
"""Seconds to wait when at the concurrent-job limit (a short video renders in about this long)."""


@dataclass(frozen=True)
class Caller:
    """Who is asking: ``owner`` sees the jobs, ``subject`` pays for them, under ``plan``."""

    owner: str
    subject: str
    plan: Plan
    name: str
    key_id: str | None = None


def _url(settings: Settings) -> str:
    return settings.effective_database_url


def check_quota(settings: Settings, caller: Caller) -> None:
    """Raise ``QuotaExceeded`` (with Retry-After seconds) when the caller may not start a job."""
    with db.session(_url(settings)) as s:
        _check_quota(s, caller, db.now())


def _check_quota(s: Any, caller: Caller, now: float) -> None:
    plan = caller.plan
    active = s.scalar(
        select(func.count())
        .select_from(JobRow)
        .where(JobRow.subject == caller.subject, JobRow.status.in_(ACTIVE))
    )
    if active >= plan.concurrent_jobs:
        raise QuotaExceeded(
            f"{active} video(s) are being made; the {plan.name} plan makes "
            f"{plan.concurrent_jobs} at a time. Wait for one to finish",
            retry_after=CONCURRENT_RETRY_AFTER,
        )
    used, oldest = s.execute(
        select(func.count(), func.min(QuotaEventRow.created_at)).where(
            QuotaEventRow.subject == caller.subject, QuotaEventRow.created_at > now - DAY
        )
    ).one()
    if used >= plan.videos_per_day:
        wait = (oldest + DAY - now) if oldest is not None else DAY
        raise QuotaExceeded(
            f"the {plan.name} plan makes {plan.videos_per_day} videos a day and they are used; "
            f"the next one frees up in {_human(wait)}",
            retry_after=math.ceil(wait),
        )


def used_today(settings: Settings, subject: str) -> int:
    with db.session(_url(settings)) as s:
        return int(
            s.scalar(
                select(func.count()).where(
                    QuotaEventRow.subject == subject, QuotaEventRow.created_at > db.now() - DAY
                )
            )
            or 0
        )


def create(
    settings: Settings,
    caller: Caller,
    config: HugConfig,
    names: list[str],
    jpegs: list[bytes],
    *,
    base_url: str,
    callback_url: str | None = None,
) -> JobRow:
    """Store the photos and a queued job, counting it against the quota atomically."""
    job_id = uuid.uuid4().hex
    storage.save_photos(settings, job_id, jpegs)
    t = db.now()
    row = JobRow(
        id=job_id,
        owner=caller.owner,
        subject=caller.subject,
        status=QUEUED,
        progress=0.0,
        options=asdict(config),
        photo_names=names,
        attempts=0,
        created_at=t,
        enqueued_at=t,
        expires_at=t + settings.retention_seconds,
        callback_url=callback_url,
        base_url=base_url,
    )
    try:
        with db.session(_url(settings)) as s:
            db.lock_subject(s, caller.subject)
            _check_quota(s, caller, t)
            s.add(QuotaEventRow(subject=caller.subject, created_at=t))
            s.add(row)
    except BaseException:
        storage.delete_job(settings, job_id)
        raise
    return row


def get(settings: Settings, job_id: str, owner: str | None = None) -> JobRow:
    """The job, if it exists and (when ``owner`` is given) belongs to ``owner``; else NotFound."""
    with db.session(_url(settings)) as s:
        row = s.get(JobRow, job_id)
    if row is None or (owner is not None and row.owner != owner):
        raise NotFound(f"hug {job_id!r}: no such job (it may have expired or been deleted)")
    return row


def exists(settings: Settings, job_id: str) -> bool:
    with db.session(_url(settings)) as s:
        return s.get(JobRow, job_id) is not None


def list_for(settings: Settings, owner: str, limit: int = 50) -> list[JobRow]:
    with db.session(_url(settings)) as s:
        q = select(JobRow).where(JobRow.owner == owner).order_by(JobRow.created_at.desc())
        return list(s.scalars(q.limit(limit)))


def remove(settings: Settings, job_id: str, owner: str | None = None) -> None:
    """Delete the job's row and every file now. A worker rendering it stops at its next beat."""
    get(settings, job_id, owner)
    with db.session(_url(settings)) as s:
        s.execute(delete(JobRow).where(JobRow.id == job_id))
    storage.delete_job(settings, job_id)


# ---- the lease protocol ----------------------------------------------------------------------
def next_queued(settings: Settings, limit: int = 4) -> list[str]:
    with db.session(_url(settings)) as s:
        q = select(JobRow.id).where(JobRow.status == QUEUED).order_by(JobRow.created_at)
        return list(s.scalars(q.limit(limit)))


def claim(settings: Settings, job_id: str, token: str) -> JobRow | None:
    """Take a queued job for rendering; None when another worker has it or it is gone."""
    t = db.now()
    with db.session(_url(settings)) as s:
        n = _changed(
            s,
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.status == QUEUED)
            .values(
                status=RUNNING,
                worker=token,
                lease_until=t + settings.lease_seconds,
                attempts=JobRow.attempts + 1,
                started_at=func.coalesce(JobRow.started_at, t),
                stage=None,
                progress=0.0,
            ),
        )
        return s.get(JobRow, job_id) if n == 1 else None


def _changed(s: Session, stmt: Update) -> int:
    """Rows an UPDATE changed (how a conditional update tells whether it won)."""
    return cast(CursorResult[Any], s.execute(stmt)).rowcount


def _mine(job_id: str, token: str | None) -> Any:
    return (JobRow.id == job_id, JobRow.worker == token, JobRow.status == RUNNING)


def renew(
    settings: Settings,
    job_id: str,
    token: str,
    stage: str | None = None,
    progress: float | None = None,
) -> bool:
    """Extend the lease (and record progress); False when the job is no longer ours."""
    values: dict[str, Any] = {"lease_until": db.now() + settings.lease_seconds}
    if stage is not None:
        values["stage"] = stage
    if progress is not None:
        values["progress"] = progress
    with db.session(_url(settings)) as s:
        return _changed(s, update(JobRow).where(*_mine(job_id, token)).values(**values)) == 1


def succeed(settings: Settings, job_id: str, token: str, result: dict[str, Any]) -> JobRow | None:
    return _finish(settings, job_id, token, status=SUCCEEDED, result=result, progress=1.0)


def fail(
    settings: Settings,
    job_id: str,
    token: str | None,
    code: str,
    message: str,
    photo: int | None,
) -> JobRow | None:
    return _finish(
        settings,
        job_id,
        token,
        status=FAILED,
        error_code=code,
        error_message=message[:1000],
        error_photo=photo,
    )


def _finish(settings: Settings, job_id: str, token: str | None, **values: Any) -> JobRow | None:
    """Record the outcome if we still hold the job; the row, or None when it was not ours."""
    with db.session(_url(settings)) as s:
        n = _changed(
            s,
            update(JobRow)
            .where(*_mine(job_id, token))
            .values(finished_at=db.now(), lease_until=None, **values),
        )
        return s.get(JobRow, job_id) if n == 1 else None


def release(settings: Settings, job_id: str, token: str) -> bool:
    """Give a running job back to the queue without counting the attempt (a clean shutdown)."""
    with db.session(_url(settings)) as s:
        stmt = (
            update(JobRow)
            .where(*_mine(job_id, token))
            .values(
                status=QUEUED,
                worker=None,
                lease_until=None,
                enqueued_at=db.now(),
                attempts=JobRow.attempts - 1,
                stage=None,
                progress=0.0,
            )
        )
        return _changed(s, stmt) == 1


def set_webhook_status(settings: Settings, job_id: str, status: str) -> None:
    with db.session(_url(settings)) as s:
        s.execute(update(JobRow).where(JobRow.id == job_id).values(webhook_status=status[:200]))


@dataclass(frozen=True)
class Reaped:
    requeued: list[str]
    failed: list[JobRow]
    republish: list[str]


def reap(settings: Settings) -> Reaped:
    """Jobs whose worker died go back to the queue, or fail once they used all their attempts.

    Also returns jobs queued so long that their broker message may be lost, to publish again.
    """
    t = db.now()
    requeued: list[str] = []
    failed: list[JobRow] = []
    with db.session(_url(settings)) as s:
        lapsed = list(
            s.execute(
                select(JobRow.id, JobRow.worker, JobRow.attempts).where(
                    JobRow.status == RUNNING, JobRow.lease_until < t
                )
            )
        )
    for job_id, token, attempts in lapsed:
        if attempts < settings.max_attempts:
            with db.session(_url(settings)) as s:
                n = _changed(
                    s,
                    update(JobRow)
                    .where(*_mine(job_id, token), JobRow.lease_until < t)
                    .values(
                        status=QUEUED,
                        worker=None,
                        lease_until=None,
                        enqueued_at=t,
                        stage=None,
                        progress=0.0,
                    ),
                )
            if n != 1:
                continue  # its worker renewed the lease meanwhile: alive after all
            requeued.append(job_id)
        else:
            lost = WorkerLost(
                f"the render stopped {attempts} times (its worker went away); please try again"
            )
            row = fail(settings, job_id, token, lost.code, lost.message, None)
            if row is None:
                continue
            failed.append(row)
        if token is not None:  # the lost attempt's partial files
            storage.delete_run(settings, job_id, token)
    with db.session(_url(settings)) as s:
        stale = list(
            s.scalars(
                select(JobRow.id).where(
                    JobRow.status == QUEUED,
                    JobRow.enqueued_at < t - settings.requeue_after_seconds,
                )
            )
        )
        if stale:
            s.execute(update(JobRow).where(JobRow.id.in_(stale)).values(enqueued_at=t))
    return Reaped(requeued=requeued, failed=failed, republish=stale)


def sweep(settings: Settings) -> list[str]:
    """Delete every job past its retention (row and files), old quota events, orphan folders."""
    t = db.now()
    with db.session(_url(settings)) as s:
        expired = list(s.scalars(select(JobRow.id).where(JobRow.expires_at < t)))
        if expired:
            s.execute(delete(JobRow).where(JobRow.id.in_(expired)))
        s.execute(delete(QuotaEventRow).where(QuotaEventRow.created_at < t - DAY))
        known = set(s.scalars(select(JobRow.id)))
    # Folders without a row, older than a request takes to write its photos and its row.
    for job_id in expired + storage.orphan_dirs(settings, known, min_age_seconds=600):
        storage.delete_job(settings, job_id)
    return expired


def _human(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.0f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
