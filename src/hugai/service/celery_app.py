"""Celery on Redis for ``hugai worker``: one task, ``hugai.render(job_id)``, that runs ``run_job``.

Delivery is at-least-once (``acks_late`` + ``reject_on_worker_lost``: a task whose worker dies is
delivered again); ``run_job``'s claim makes a second delivery a no-op while the job is taken, and
the reaper requeues a job whose worker died without waiting for Redis' visibility timeout.
"""

from __future__ import annotations

import functools
from typing import Any

from celery import Celery

TASK = "hugai.render"
TASK_QUEUE = "hugai"


@functools.cache
def get_celery(redis_url: str) -> Celery:
    app = Celery("hugai", broker=redis_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_default_queue=TASK_QUEUE,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,  # a render is long: never hold a second one back
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        # Redelivery of an unacknowledged task after a worker's death; the reaper usually acts
        # sooner. Longer than any render, so a live render is not delivered twice.
        broker_transport_options={"visibility_timeout": 3600},
        task_serializer="json",
        accept_content=["json"],
    )

    @app.task(name=TASK, acks_late=True, reject_on_worker_lost=True)
    def render(job_id: str) -> str:
        from hugai.service import runner
        from hugai.service.settings import get_settings

        settings = get_settings()
        runner.warm_up(settings)  # the models' start-up chatter kept out of the worker's log
        return runner.run_job(settings, job_id)

    return app


def worker_argv(concurrency: int, loglevel: str) -> list[Any]:
    """Solo pool for one render at a time (a killed worker takes its render with it); prefork
    for more."""
    pool = "solo" if concurrency == 1 else "prefork"
    return [
        "worker",
        f"--pool={pool}",
        f"--concurrency={concurrency}",
        f"--queues={TASK_QUEUE}",
        f"--loglevel={loglevel}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
