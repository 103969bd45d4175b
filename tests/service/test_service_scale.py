"""Scale-out: a real Redis, ``hugai serve --workers 0`` and two real ``hugai worker`` processes.
One worker is killed (SIGKILL) mid-render; every job still finishes, and exactly once."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from service_harness import HookReceiver, Proc, free_port, hugai, start_server, submit, wait_job

pytestmark = [
    pytest.mark.slow,
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is absent"),
]

JOBS = 4


def start_redis(tmp: Path) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(
        args=[
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp),
        ],
        env={},
        log=tmp / "redis.log",
    ).start()
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, proc.tail()
            time.sleep(0.1)
    client.close()
    return proc, f"redis://127.0.0.1:{port}/0"


def rendered(log: Path) -> list[str]:
    """Job ids a worker started rendering, from its log."""
    return re.findall(r"job ([0-9a-f]{32}): rendering", log.read_text(errors="replace"))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_killed_worker_loses_no_job(
    photos: Path, tmp_path: Path, procs: list[Proc], database: str, request: pytest.FixtureRequest
) -> None:
    """As docs/SERVICE.md scales out: on one machine's SQLite, and on PostgreSQL."""
    db = (
        {}
        if database == "sqlite"
        else {"database_url": request.getfixturevalue("postgres").database()}
    )
    redis_proc, redis_url = start_redis(tmp_path)
    procs.append(redis_proc)
    server = start_server(tmp_path, workers=0, redis_url=redis_url, **db)
    procs.append(server)
    workers = [
        Proc(
            hugai("worker", "--log-level", "info"), env=server.env, log=tmp_path / f"worker-{i}.log"
        ).start()
        for i in range(2)
    ]
    procs.extend(workers)
    hooks = HookReceiver()
    try:
        key = server.key("--concurrent-jobs", "10")
        with server.client(key.key) as c:
            assert c.get("/healthz").json()["queue"] == "celery"
            ids = [
                submit(c, "A_prom_couple.jpg", duration=4, fps=24, callback_url=hooks.url).json()[
                    "id"
                ]
                for _ in range(JOBS)
            ]
            # Kill worker 0 as soon as it is rendering a job (both workers are busy then).
            deadline = time.monotonic() + 120
            while not rendered(workers[0].log):
                assert time.monotonic() < deadline, workers[0].tail()
                time.sleep(0.1)
            (victim,) = rendered(workers[0].log)
            assert c.get(f"/v1/hugs/{victim}").json()["status"] == "running"
            workers[0].kill()

            for job_id in ids:
                done = wait_job(c, job_id, timeout=180)
                assert done["status"] == "succeeded", (done["error"], workers[1].tail())
                # One render's output per job: the killed attempt left nothing behind.
                assert len(list((server.data_dir / "jobs" / job_id).glob("run-*"))) == 1
        assert victim in rendered(workers[1].log), "the lost job was rendered by the survivor"
        time.sleep(2)  # a duplicate finish would be delivered by now
        events = [json.loads(body) for _, body in hooks.received]
        delivered = Counter((e["job"]["id"], e["event"]) for e in events)
        assert delivered == {(job_id, "hug.succeeded"): 1 for job_id in ids}
    finally:
        hooks.close()
