"""Files of a job, each job in its own folder, each render attempt in its own sub-folder.

    <data_dir>/jobs/<job id>/photo-0.jpg, photo-1.jpg        the cleaned uploads
    <data_dir>/jobs/<job id>/run-<token>/hug.mp4, poster.jpg  one render attempt's outputs

Files are written to a temporary name and renamed, so a reader never sees half a file; two
attempts of one job (a worker thought dead that was only slow) never share a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from hugai.service.settings import Settings


def jobs_root(settings: Settings) -> Path:
    return settings.data_dir / "jobs"


def job_dir(settings: Settings, job_id: str) -> Path:
    if not job_id.isalnum():  # ids are hex; never let one walk out of the folder
        raise ValueError(f"bad job id {job_id!r}")
    return jobs_root(settings) / job_id


def photo_path(settings: Settings, job_id: str, index: int) -> Path:
    return job_dir(settings, job_id) / f"photo-{index}.jpg"


def run_dir(settings: Settings, job_id: str, token: str) -> Path:
    return job_dir(settings, job_id) / f"run-{token}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_photos(settings: Settings, job_id: str, jpegs: list[bytes]) -> None:
    for i, data in enumerate(jpegs):
        write_atomic(photo_path(settings, job_id, i), data)


def read_photos(settings: Settings, job_id: str, count: int) -> list[bytes]:
    return [photo_path(settings, job_id, i).read_bytes() for i in range(count)]


def delete_job(settings: Settings, job_id: str) -> None:
    shutil.rmtree(job_dir(settings, job_id), ignore_errors=True)


def delete_run(settings: Settings, job_id: str, token: str) -> None:
    shutil.rmtree(run_dir(settings, job_id, token), ignore_errors=True)


def orphan_dirs(settings: Settings, known: set[str], min_age_seconds: float) -> list[str]:
    """Job folders with no job row (a crash between writing files and the row), old enough."""
    root = jobs_root(settings)
    if not root.is_dir():
        return []
    cutoff = time.time() - min_age_seconds
    return [
        d.name
        for d in root.iterdir()
        if d.is_dir() and d.name not in known and d.stat().st_mtime < cutoff
    ]
