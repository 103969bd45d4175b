"""What requests send and responses return (separate from the stored rows in ``db``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from hugai.service.db import JobRow


# ---- requests -------------------------------------------------------------------------------
class HugForm(BaseModel):
    """The form fields of ``POST /v1/hugs`` (the photos come as files beside them)."""

    consent: bool = Field(
        default=False,
        description="Must be true: you have the right to use these photos and the people in "
        "them agree.",
    )
    style: str = Field(default="hug", description="hug (arms wrap) or lean (a lean-in cuddle)")
    duration: float = Field(default=5.0, description="Seconds, 2–12 (4–8 look best)")
    size: int | None = Field(
        default=None, description="Short side in pixels; default: 720 or your plan's maximum"
    )
    aspect: str = Field(default="auto", description="auto, 16:9, 4:3, 1:1, 4:5, 3:4 or 9:16")
    fps: int | None = Field(default=None, description="Frames per second, 12–60 (default 30)")
    seed: int = Field(default=0, description="Varies sway and breathing")
    callback_url: str | None = Field(
        default=None, description="Receives a signed POST when the job ends (needs an API key)"
    )


# ---- responses ------------------------------------------------------------------------------
class ErrorOut(BaseModel):
    code: str = Field(description="Stable, e.g. no_people_found, quota_exceeded")
    message: str = Field(description="What went wrong and what to do, in plain words")
    photo: int | None = Field(default=None, description="Index of the photo it concerns")


class VideoOut(BaseModel):
    width: int
    height: int
    fps: int
    frames: int
    duration: float
    plan: list[str] = Field(description="What each person's arms do, in words")
    notes: list[str] = Field(description="Things worth knowing about the input")


class LinksOut(BaseModel):
    job: str
    events: str = Field(description="Server-sent events with the job as it changes")
    video: str | None = None
    poster: str | None = None
    download: str | None = None


class JobOut(BaseModel):
    id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    stage: str | None = Field(description="perceive, scene, rig, choreograph or render")
    progress: float = Field(description="0 to 1")
    options: dict[str, Any]
    photos: list[str]
    error: ErrorOut | None
    result: VideoOut | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    expires_at: datetime = Field(description="When the photos and the video are deleted")
    links: LinksOut

    @staticmethod
    def of(row: JobRow, base_url: str) -> JobOut:
        """The job as the API shows it, its links under ``base_url`` (the server's own URL)."""
        base = f"{base_url.rstrip('/')}/v1/hugs/{row.id}"
        done = row.status == "succeeded"
        return JobOut(
            id=row.id,
            status=row.status,  # type: ignore[arg-type]
            stage=row.stage,
            progress=round(row.progress, 3),
            options=row.options,
            photos=row.photo_names,
            error=_error(row),
            result=VideoOut(**row.result["video"]) if done and row.result else None,
            created_at=_dt(row.created_at),
            started_at=_opt_dt(row.started_at),
            finished_at=_opt_dt(row.finished_at),
            expires_at=_dt(row.expires_at),
            links=LinksOut(
                job=base,
                events=f"{base}/events",
                video=f"{base}/video" if done else None,
                poster=f"{base}/poster" if done else None,
                download=f"{base}/video?download=1" if done else None,
            ),
        )


class JobListOut(BaseModel):
    items: list[JobOut]


class PersonOut(BaseModel):
    box: list[float] = Field(description="x0, y0, x1, y1 in pixels of the photo (width × height)")
    frontal: bool


class PhotoPeopleOut(BaseModel):
    name: str
    width: int = Field(description="Width of the analysed photo, turned upright")
    height: int
    people: list[PersonOut]


class DetectOut(BaseModel):
    photos: list[PhotoPeopleOut]
    ok: bool = Field(description="True when these photos can make a hug")
    error: ErrorOut | None


class PlanOut(BaseModel):
    name: str
    videos_per_day: int
    max_size: int
    max_duration: float
    concurrent_jobs: int
    used_today: int


class MeOut(BaseModel):
    caller: str = Field(description="anonymous, or the API key's name")
    plan: PlanOut
    retention_hours: float = Field(description="Photos and videos are deleted this long after")


class HealthOut(BaseModel):
    ok: bool
    queue: Literal["local", "celery"]


def _error(row: JobRow) -> ErrorOut | None:
    if not row.error_code:
        return None
    return ErrorOut(code=row.error_code, message=row.error_message or "", photo=row.error_photo)


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def _opt_dt(t: float | None) -> datetime | None:
    return None if t is None else _dt(t)
