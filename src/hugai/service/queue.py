"""How a queued job reaches a worker: an in-process pool, Celery on Redis, or both.

The database is the queue's truth (see ``jobs``); the transports only say "look at job X":

- ``LocalPool``: N threads in this process that take queued jobs from the database (woken at
  once on submit, and every ``poll_seconds`` otherwise). A restart finds queued jobs still there.
- ``CeleryQueue``: publishes a ``hugai.render`` task for ``hugai worker`` processes.

``Maintenance`` runs in every serving and working process: the reaper (lost workers) and the
retention sweep. Its steps are conditional updates, so any number may run at once.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from hugai.service import jobs, runner
from hugai.service.settings import Settings

log = logging.getLogger("hugai.service")


class Publisher(Protocol):
    def submit(self, job_id: str) -> None: ...


class LocalPool:
    """Render threads inside this process, fed from the database."""

    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings = settings
        self.workers = workers
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def submit(self, job_id: str) -> None:
        self._wake.set()

    def start(self) -> None:
        for i in range(self.workers):
            t = threading.Thread(target=self._loop, name=f"hugai-render-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask renders to hand their jobs back to the queue, and wait for the threads."""
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)

    def _loop(self) -> None:
        runner.warm_up(self.settings)
        while not self._stop.is_set():
            try:
                ran = self._run_one()
            except Exception:
                log.exception("render pool: unexpected error; going on")
                ran = False
            if not ran:
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()

    def _run_one(self) -> bool:
        for job_id in jobs.next_queued(self.settings):
            if self._stop.is_set():
                return False
            if runner.run_job(self.settings, job_id, stop=self._stop) != "skipped":
                return True
        return False


class CeleryQueue:
    """Publishes render tasks to Redis for ``hugai worker`` processes."""

    def __init__(self, settings: Settings) -> None:
        from hugai.service.celery_app import get_celery

        self.app = get_celery(settings.redis_url or "")

    def submit(self, job_id: str) -> None:
        from hugai.service.celery_app import TASK, TASK_QUEUE

        self.app.send_task(TASK, args=[job_id], queue=TASK_QUEUE)


class Fanout:
    """Submit to every transport (a serving process with its own pool and Celery workers)."""

    def __init__(self, publishers: list[Publisher]) -> None:
        self.publishers = publishers

    def submit(self, job_id: str) -> None:
        for p in self.publishers:
            p.submit(job_id)


def publisher_for(settings: Settings, pool: LocalPool | None) -> Publisher:
    publishers: list[Publisher] = []
    if settings.redis_url:
        publishers.append(CeleryQueue(settings))
    if pool is not None:
        publishers.append(pool)
    return Fanout(publishers)


class Maintenance:
    """The reaper and the retention sweep, on a timer in a daemon thread."""

    def __init__(self, settings: Settings, publisher: Publisher) -> None:
        self.settings = settings
        self.publisher = publisher
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hugai-maintenance", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def run_once(self) -> None:
        reaped = jobs.reap(self.settings)
        for job_id in reaped.requeued + reaped.republish:
            log.info("job %s: back in the queue (its worker went away)", job_id)
            self.publisher.submit(job_id)
        for row in reaped.failed:
            log.warning("job %s: failed, worker lost %d times", row.id, row.attempts)
            runner.notify(self.settings, row)
        expired = jobs.sweep(self.settings)
        if expired:
            log.info("retention sweep: deleted %d job(s)", len(expired))

    def _loop(self) -> None:
        # The reaper must notice a lapsed lease soon after it lapses, the sweep can be lazier.
        interval = min(self.settings.sweep_interval_seconds, self.settings.lease_seconds / 2)
        while True:
            try:
                self.run_once()
            except Exception:
                log.exception("maintenance: unexpected error; going on")
            if self._stop.wait(interval):
                return
