"""A job's life across time and crashes: the retention sweep, and a server killed mid-work."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from service_harness import Proc, hugai, start_server, submit, wait_job

pytestmark = [pytest.mark.slow, pytest.mark.integration]

COUPLE = "A_prom_couple.jpg"


def test_retention_sweep_deletes_jobs_and_files(
    photos: Path, tmp_path: Path, procs: list[Proc]
) -> None:
    # 0.003 h = 10.8 s: long enough to render and look, short enough to wait for.
    server = start_server(tmp_path, retention_hours="0.003", sweep_interval_seconds="0.5")
    procs.append(server)
    with server.client() as c:
        job = submit(c, COUPLE).json()
        folder = server.data_dir / "jobs" / job["id"]
        assert wait_job(c, job["id"])["status"] == "succeeded"
        assert folder.is_dir() and any(folder.rglob("*.mp4"))
        deadline = time.monotonic() + 30
        while c.get(f"/v1/hugs/{job['id']}").status_code != 404:
            assert time.monotonic() < deadline, "the job outlived its retention"
            time.sleep(0.5)
        assert not folder.exists()
        assert c.get("/v1/hugs").json()["items"] == []


def test_jobs_survive_a_killed_server(photos: Path, tmp_path: Path, procs: list[Proc]) -> None:
    server = start_server(tmp_path, workers=1)
    procs.append(server)
    key = server.key("--concurrent-jobs", "3")
    with server.client(key.key) as c:
        running = submit(c, COUPLE, duration=6, fps=24).json()
        queued = submit(c, COUPLE).json()
        wait_job(c, running["id"], until=("running",))
        assert c.get(f"/v1/hugs/{queued['id']}").json()["status"] == "queued"
    server.kill()  # SIGKILL mid-render: no shutdown handler runs

    again = start_server(tmp_path, data_dir=server.data_dir, workers=1)
    procs.append(again)
    with again.client(key.key) as c:
        for job in (queued, running):
            done = wait_job(c, job["id"], timeout=120)
            assert done["status"] == "succeeded", done["error"]
            assert c.get(done["links"]["video"]).status_code == 200
        # The killed attempt's partial files are gone: one render's output per job.
        runs = list((again.data_dir / "jobs" / running["id"]).glob("run-*"))
        assert len(runs) == 1


def test_a_stopped_server_hands_its_render_back(
    photos: Path, tmp_path: Path, procs: list[Proc]
) -> None:
    server = start_server(tmp_path, workers=1)
    procs.append(server)
    with server.client() as c:
        job = submit(c, COUPLE, duration=6, fps=24).json()
        wait_job(c, job["id"], until=("running",))
        cookie = dict(c.cookies)
    server.stop()  # SIGTERM: a clean shutdown puts the job back in the queue at once

    again = start_server(tmp_path, data_dir=server.data_dir, workers=1, lease_seconds="600")
    procs.append(again)
    with again.client() as c:
        c.cookies.update(cookie)
        assert wait_job(c, job["id"], timeout=60)["status"] == "succeeded"


def test_an_api_only_server_and_a_worker_sharing_the_database(
    photos: Path, tmp_path: Path, procs: list[Proc]
) -> None:
    # No Redis: `hugai worker` takes jobs straight from the database the server writes.
    server = start_server(tmp_path, workers=0)
    procs.append(server)
    with server.client() as c:
        job = submit(c, COUPLE).json()
        time.sleep(1.5)
        assert c.get(f"/v1/hugs/{job['id']}").json()["status"] == "queued", "nobody renders yet"
        worker = Proc(hugai("worker"), env=server.env, log=tmp_path / "worker.log").start()
        procs.append(worker)
        assert wait_job(c, job["id"], timeout=60)["status"] == "succeeded", worker.tail()
