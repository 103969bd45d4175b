"""Unit tests of the service's parts, in-process, with a temporary SQLite and an engine double."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from hugai.config import HugConfig
from hugai.errors import ImageTooLarge, NoPeopleFound, NotAnImage
from hugai.service import db, jobs, runner, storage, uploads, webhooks
from hugai.service.errors import (
    InvalidCallbackUrl,
    OverPlanLimit,
    QuotaExceeded,
    http_error,
)
from hugai.service.jobs import Caller
from hugai.service.plans import Plan
from hugai.service.settings import Settings

if TYPE_CHECKING:
    from postgres_harness import Postgres

PLAN = Plan("test", videos_per_day=3, max_size=720, max_duration=8.0, concurrent_jobs=2)
CONFIG = HugConfig(duration=2, fps=12, size=240)


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Every test of the service's state runs on SQLite (one machine) and on PostgreSQL (the
    database the scale-out setup in docs/SERVICE.md uses)."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres").database()
    return Settings(
        data_dir=tmp_path,
        database_url=url,
        engine="service_engine_double:make_hug",
        lease_seconds=1.0,
        max_attempts=2,
        secret="s",
    )


def caller(name: str = "a", plan: Plan = PLAN) -> Caller:
    return Caller(owner=f"key:{name}", subject=f"key:{name}", plan=plan, name=name, key_id=name)


def jpeg(w: int = 300, h: int = 200, **save: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (120, 90, 80)).save(buf, "JPEG", **save)
    return buf.getvalue()


def new_job(settings: Settings, who: Caller | None = None, name: str = "p.jpg") -> str:
    row = jobs.create(settings, who or caller(), CONFIG, [name], [jpeg()], base_url="http://x/")
    return row.id


# ---- webhooks -------------------------------------------------------------------------------
def test_signature_verifies_and_refuses_tampering_and_age() -> None:
    body = b'{"event":"hug.succeeded"}'
    header = webhooks.sign("whsec_1", body, timestamp=1_000_000)
    assert webhooks.verify("whsec_1", body, header, now=1_000_010)
    assert not webhooks.verify("whsec_1", body + b"x", header, now=1_000_010)
    assert not webhooks.verify("whsec_2", body, header, now=1_000_010)
    assert not webhooks.verify("whsec_1", body, header, now=1_000_000 + 301)
    assert not webhooks.verify("whsec_1", body, "garbage", now=1_000_010)


@pytest.mark.parametrize(
    ("url", "allow_private", "ok"),
    [
        ("https://127.0.0.1/hook", False, False),
        ("http://10.1.2.3/hook", False, False),
        ("http://[::1]:8080/hook", False, False),
        ("ftp://127.0.0.1/hook", True, False),
        ("not a url", True, False),
        ("http://127.0.0.1:9999/hook", True, True),
    ],
)
def test_callback_urls_into_our_network_are_refused(
    url: str, allow_private: bool, ok: bool
) -> None:
    if ok:
        webhooks.check_url(url, allow_private)
    else:
        with pytest.raises(InvalidCallbackUrl):
            webhooks.check_url(url, allow_private)


# ---- uploads --------------------------------------------------------------------------------
def test_clean_drops_metadata_and_applies_orientation(settings: Settings) -> None:
    exif = Image.Exif()
    exif[0x0112] = 8  # rotate 90° counter-clockwise to view
    exif.get_ifd(0x8825)[2] = (48.0, 51.0, 24.0)
    raw = jpeg(300, 200, exif=exif.tobytes())
    clean = uploads.clean(uploads.Upload("cam.jpg", raw), settings)
    out = Image.open(io.BytesIO(clean.jpeg))
    assert out.size == (200, 300)
    assert dict(out.getexif()) == {} and b"Exif" not in clean.jpeg
    assert clean.photo.name == "cam.jpg"


def test_clean_caps_bytes_and_pixels_before_decoding(tmp_path: Path) -> None:
    tight = Settings(data_dir=tmp_path, max_upload_mb=0.01, max_megapixels=0.05)
    with pytest.raises(ImageTooLarge, match=r"under 0\.01 MB"):
        uploads.clean(uploads.Upload("a.jpg", b"\xff" * 20_000), tight)
    with pytest.raises(ImageTooLarge, match="300×200 pixels"):
        uploads.clean(uploads.Upload("b.jpg", jpeg(300, 200)), tight)
    with pytest.raises(NotAnImage, match=r"c\.txt"):
        uploads.clean(uploads.Upload("c.txt", b"hello"), Settings(data_dir=tmp_path))


def test_unique_names_keep_each_photo_apart() -> None:
    assert uploads.unique_names(["image.jpg", "image.jpg"]) == ["image.jpg", "image.jpg (2)"]
    assert uploads.unique_names(["../../etc/passwd", ""]) == ["passwd", "photo"]


# ---- errors and plans -------------------------------------------------------------------------
def test_one_mapping_from_errors_to_http() -> None:
    assert http_error(NoPeopleFound("x.jpg: found no person")) == (
        422,
        {"code": "no_people_found", "message": "x.jpg: found no person"},
        {},
    )
    status, body, headers = http_error(QuotaExceeded("wait", retry_after=12.2))  # type: ignore[arg-type]
    assert (status, body["code"], headers) == (429, "quota_exceeded", {"Retry-After": "12"})
    status, body, _ = http_error(NoPeopleFound("b.jpg: found no person", photo=1))
    assert (status, body["photo"]) == (422, 1)


def test_plan_refuses_more_than_it_allows() -> None:
    PLAN.check(HugConfig(size=720, duration=8))
    with pytest.raises(OverPlanLimit, match="size 1080"):
        PLAN.check(HugConfig(size=1080))
    with pytest.raises(OverPlanLimit, match="duration 10"):
        PLAN.check(HugConfig(duration=10))


# ---- quotas ---------------------------------------------------------------------------------
def test_quota_counts_a_day_and_says_when_one_frees_up(settings: Settings) -> None:
    one_at_a_time = caller(plan=Plan("p", 2, 720, 8.0, concurrent_jobs=5))
    new_job(settings, one_at_a_time)
    new_job(settings, one_at_a_time)
    with pytest.raises(QuotaExceeded) as exc:
        new_job(settings, one_at_a_time)
    assert 86_390 <= exc.value.retry_after <= 86_400
    assert jobs.used_today(settings, one_at_a_time.subject) == 2
    assert jobs.used_today(settings, "key:someone-else") == 0
    assert len(list(storage.jobs_root(settings).iterdir())) == 2, "a refused job leaves no files"


def test_quota_limits_jobs_at_once(settings: Settings) -> None:
    two = caller(plan=Plan("p", 100, 720, 8.0, concurrent_jobs=2))
    first = new_job(settings, two)
    new_job(settings, two)
    with pytest.raises(QuotaExceeded) as exc:
        jobs.check_quota(settings, two)
    assert exc.value.retry_after == jobs.CONCURRENT_RETRY_AFTER
    token = "t1"
    assert jobs.claim(settings, first, token) is not None
    jobs.fail(settings, first, token, "render_error", "x", None)
    jobs.check_quota(settings, two)  # a finished job frees its place


def test_racing_submissions_never_pass_the_quota(settings: Settings) -> None:
    """Eight requests of one caller at once, two allowed at a time: exactly two get in (on
    PostgreSQL the quota check holds a per-caller advisory lock; SQLite serialises writes)."""
    two = caller(plan=Plan("p", 100, 720, 8.0, concurrent_jobs=2))
    made, refused = [], []
    start = threading.Barrier(8)

    def submit() -> None:
        start.wait()
        try:
            made.append(new_job(settings, two))
        except QuotaExceeded:
            refused.append(1)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(made), len(refused)) == (2, 6)


def test_processes_starting_at_once_on_an_empty_postgresql_make_the_tables_once(
    postgres: Postgres,
) -> None:
    """``serve`` and ``worker`` processes started together on a new database each create the
    tables: one at a time (each engine here is what one process would make)."""
    url = postgres.database()
    start = threading.Barrier(6)
    errors: list[Exception] = []

    def boot() -> None:
        start.wait()
        try:
            db._make_engine(url).dispose()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=boot) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ---- the lease protocol -------------------------------------------------------------------------
def test_only_one_worker_claims_a_job(settings: Settings) -> None:
    job_id = new_job(settings)
    winners = []

    def grab(i: int) -> None:
        if jobs.claim(settings, job_id, f"w{i}") is not None:
            winners.append(i)

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    token = f"w{winners[0]}"
    assert not jobs.renew(settings, job_id, "someone-else")
    assert jobs.succeed(settings, job_id, "someone-else", {}) is None
    assert jobs.renew(settings, job_id, token, "render", 0.5)
    assert jobs.get(settings, job_id).progress == 0.5


def test_a_lapsed_lease_is_requeued_then_failed(settings: Settings) -> None:
    job_id = new_job(settings)
    assert jobs.claim(settings, job_id, "dead-1") is not None
    (storage.run_dir(settings, job_id, "dead-1")).mkdir(parents=True)
    assert jobs.reap(settings).requeued == []  # the lease still runs
    time.sleep(1.1)
    assert jobs.reap(settings).requeued == [job_id]
    assert not storage.run_dir(settings, job_id, "dead-1").exists(), "partial files removed"
    row = jobs.get(settings, job_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert jobs.succeed(settings, job_id, "dead-1", {}) is None, "the dead worker cannot finish"

    assert jobs.claim(settings, job_id, "dead-2") is not None
    time.sleep(1.1)
    reaped = jobs.reap(settings)
    assert reaped.requeued == [] and [r.id for r in reaped.failed] == [job_id]
    row = jobs.get(settings, job_id)
    assert (row.status, row.error_code) == ("failed", "worker_lost")


def test_sweep_deletes_expired_jobs_and_orphans(settings: Settings, tmp_path: Path) -> None:
    short = Settings(data_dir=tmp_path, retention_hours=0.0002, secret="s")  # 0.72 s
    job_id = new_job(short)
    orphan = storage.job_dir(short, "0" * 32)
    orphan.mkdir(parents=True)
    assert jobs.sweep(short) == []
    time.sleep(0.8)
    assert jobs.sweep(short) == [job_id]
    assert not storage.job_dir(short, job_id).exists()
    assert orphan.exists(), "a fresh folder may belong to a job being created"


# ---- the runner, with the engine double --------------------------------------------------------
def test_run_job_renders_records_and_makes_a_poster(settings: Settings) -> None:
    job_id = new_job(settings)
    assert runner.run_job(settings, job_id) == "succeeded"
    assert runner.run_job(settings, job_id) == "skipped", "a second delivery does nothing"
    row = jobs.get(settings, job_id)
    assert row.progress == 1.0 and row.result is not None
    with Image.open(storage.job_dir(settings, job_id) / row.result["poster_file"]) as poster:
        assert poster.size == (320, 240)
    assert (storage.job_dir(settings, job_id) / row.result["video_file"]).is_file()


def test_run_job_reports_engine_errors_with_their_code_and_photo(settings: Settings) -> None:
    row = jobs.create(
        settings,
        caller(),
        CONFIG,
        ["fine.jpg", "nobody.jpg"],
        [jpeg(), jpeg()],
        base_url="http://x/",
    )
    assert runner.run_job(settings, row.id) == "failed"
    done = jobs.get(settings, row.id)
    assert (done.error_code, done.error_photo) == ("no_people_found", 1)
    assert list(storage.job_dir(settings, row.id).glob("run-*")) == []

    crash = new_job(settings, name="crash.jpg")
    assert runner.run_job(settings, crash) == "failed"
    assert jobs.get(settings, crash).error_code == "render_error"


def test_deleting_a_running_job_stops_its_render(settings: Settings) -> None:
    job_id = new_job(settings, name="slow.jpg")
    outcome: list[str] = []
    t = threading.Thread(target=lambda: outcome.append(runner.run_job(settings, job_id)))
    t.start()
    while jobs.get(settings, job_id).status != "running":
        time.sleep(0.02)
    jobs.remove(settings, job_id)
    t.join(10)
    assert outcome == ["lost"]
    assert not storage.job_dir(settings, job_id).exists()


@pytest.mark.parametrize("when", ["before the run folder is made", "after the engine wrote"])
def test_a_delete_racing_the_renders_writes_leaves_no_folder(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, when: str
) -> None:
    job_id = new_job(settings)
    if when == "before the run folder is made":
        read = storage.read_photos

        def read_then_deleted(*args: object) -> list[bytes]:
            data = read(*args)  # type: ignore[arg-type]
            jobs.remove(settings, job_id)
            return data

        monkeypatch.setattr(storage, "read_photos", read_then_deleted)
    else:
        engine = runner.load_engine(settings)

        def engine_then_deleted(*args: object, **kwargs: object) -> object:
            result = engine(*args, **kwargs)
            jobs.remove(settings, job_id)
            return result

        monkeypatch.setattr(runner, "load_engine", lambda _settings: engine_then_deleted)
    assert runner.run_job(settings, job_id) == "lost"
    assert not storage.job_dir(settings, job_id).exists()
    assert not [r for r in caplog.records if r.levelname == "ERROR"], "a delete is not a crash"


def test_a_stopping_pool_hands_the_job_back(settings: Settings) -> None:
    job_id = new_job(settings, name="slow.jpg")
    stop = threading.Event()
    outcome: list[str] = []
    t = threading.Thread(target=lambda: outcome.append(runner.run_job(settings, job_id, stop)))
    t.start()
    while jobs.get(settings, job_id).status != "running":
        time.sleep(0.02)
    stop.set()
    t.join(10)
    assert outcome == ["released"]
    row = jobs.get(settings, job_id)
    assert (row.status, row.attempts) == ("queued", 0)


def test_overall_progress_rises_through_the_stages() -> None:
    seq = [runner.overall_progress(s, f) for s in runner.STAGE_WEIGHTS for f in (0.0, 0.5, 1.0)]
    assert seq == sorted(seq) and seq[0] == 0.0 and seq[-1] == pytest.approx(1.0)
