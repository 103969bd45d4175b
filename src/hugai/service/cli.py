"""``hugai serve``, ``hugai worker`` and ``hugai keys``. Heavy imports stay inside the commands so
``hugai --help`` stays fast."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hugai.service.db import ApiKeyRow


_log_level = click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
)


def _setup_logging(level: str) -> None:
    import logging

    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(message)s")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Renders in this process at once; 0 = API only (renders run on `hugai worker`).",
)
@_log_level
def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Serve the web page and the API (http://127.0.0.1:8000, API docs at /docs).

    \b
    With no settings everything runs here: jobs and keys in SQLite, files on local disk, renders
    on an in-process pool. Set HUGAI_REDIS_URL to send renders through Celery to `hugai worker`
    processes (see docs/SERVICE.md).
    """
    import uvicorn

    from hugai.service.app import create_app
    from hugai.service.settings import get_settings

    _setup_logging(log_level)
    settings = get_settings()
    if workers == 0 and not settings.redis_url:
        click.echo(
            "note: --workers 0 without HUGAI_REDIS_URL: jobs wait for `hugai worker` processes "
            "sharing this database and HUGAI_DATA_DIR",
            err=True,
        )
    uvicorn.run(
        create_app(settings, workers=workers),
        host=host,
        port=port,
        log_level=log_level,
        # Open progress streams must not hold a shutdown up: renders go back to the queue.
        timeout_graceful_shutdown=5,
    )


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Renders at once in this worker (1 = one process; more = a process pool).",
)
@_log_level
def worker(concurrency: int, log_level: str) -> None:
    """Render jobs: from Celery on HUGAI_REDIS_URL, or, without it, straight from the database.

    Point it at the same HUGAI_DATABASE_URL and HUGAI_DATA_DIR (a shared folder) as `hugai serve`.
    """
    import signal
    import threading

    from hugai.service.queue import LocalPool, Maintenance, publisher_for
    from hugai.service.settings import get_settings

    _setup_logging(log_level)
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.redis_url:
        from hugai.service.celery_app import get_celery, worker_argv

        maintenance = Maintenance(settings, publisher_for(settings, None))
        maintenance.start()
        get_celery(settings.redis_url).worker_main(worker_argv(concurrency, log_level.upper()))
        maintenance.stop()
        return
    pool = LocalPool(settings, concurrency)
    maintenance = Maintenance(settings, pool)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    pool.start()
    maintenance.start()
    click.echo(f"hugai worker: {concurrency} render(s) at once, jobs from the database")
    done.wait()
    click.echo("hugai worker: stopping; running renders go back to the queue", err=True)
    pool.stop()
    maintenance.stop()


@click.group()
def keys() -> None:
    """Create, list and revoke API keys (stored as SHA-256 hashes only)."""


@keys.command("create")
@click.option("--name", required=True, help="Who the key is for (shown in lists).")
@click.option(
    "--plan", type=click.Choice(["free", "standard", "pro"]), default="free", show_default=True
)
@click.option("--videos-per-day", type=click.IntRange(min=0), help="Override the plan's limit.")
@click.option("--max-size", type=click.IntRange(min=240, max=2160), help="Override: short side.")
@click.option("--max-duration", type=click.FloatRange(min=2, max=12), help="Override: seconds.")
@click.option("--concurrent-jobs", type=click.IntRange(min=1), help="Override: jobs at once.")
def keys_create(
    name: str,
    plan: str,
    videos_per_day: int | None,
    max_size: int | None,
    max_duration: float | None,
    concurrent_jobs: int | None,
) -> None:
    """Create a key; it is printed once and cannot be shown again."""
    from hugai.service.keys import create_key
    from hugai.service.settings import get_settings

    row, key = create_key(
        get_settings(),
        name,
        plan,
        videos_per_day=videos_per_day,
        max_size=max_size,
        max_duration=max_duration,
        concurrent_jobs=concurrent_jobs,
    )
    click.echo(f"id:             {row.id}")
    click.echo(f"plan:           {row.plan} ({_limits(row)})")
    click.echo(f"key:            {key}")
    click.echo(f"webhook secret: {row.webhook_secret}")
    click.echo("Keep the key now: only its hash is stored.", err=True)


@keys.command("list")
def keys_list() -> None:
    """Every key: id, name, plan and limits, created, revoked."""
    from hugai.service.keys import list_keys
    from hugai.service.settings import get_settings

    rows = list_keys(get_settings())
    if not rows:
        click.echo("no keys yet; create one with `hugai keys create --name NAME`")
    for r in rows:
        revoked = f"revoked {_date(r.revoked_at)}" if r.revoked_at else "active"
        click.echo(
            f"{r.id}  {r.name:<20} {r.plan:<9} {_limits(r):<40} "
            f"created {_date(r.created_at)}  {revoked}"
        )


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke the key KEY_ID (from `hugai keys list`); requests with it then get 401."""
    from hugai.errors import HugError
    from hugai.service.keys import revoke_key
    from hugai.service.settings import get_settings

    try:
        row = revoke_key(get_settings(), key_id)
    except HugError as exc:
        click.echo(f"hugai: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    click.echo(f"revoked {row.id} ({row.name})")


def _limits(r: ApiKeyRow) -> str:
    return (
        f"{r.videos_per_day}/day, ≤{r.max_size}p, ≤{r.max_duration:g} s, "
        f"{r.concurrent_jobs} at once"
    )


def _date(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
