"""`bluemap worker`: the background process that runs export jobs and matches big supplier lists (web workers
only queue them)."""

from __future__ import annotations

import logging
import signal
import time
from contextlib import contextmanager
from typing import Any

import click

from db.connection import connect
from ops.cli.common import ensure_db, settings

log = logging.getLogger("bluemap.worker")
PRUNE_EVERY_S = 3600


@click.command()
@click.option("--once", is_flag=True, help="Run the jobs that are due, then exit.")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between looks for new jobs.")
@click.option("--retry-delay", type=float, default=10.0, show_default=True,
              help="Seconds before a job that lost the database is tried again (times its attempt number).")
@click.option("--alerts/--no-alerts", "with_alerts", default=True, show_default=True,
              help="Also deliver alerts (inbox, feeds, e-mail, webhooks) in a thread of their own.")
def worker(once: bool, poll: float, retry_delay: float, with_alerts: bool) -> None:
    """Run queued export jobs and supplier-list uploads, one at a time; SIGTERM puts the running one back in the
    queue and exits."""
    from core import logs
    from exports import jobrunner, jobs, writers
    from ops.cli import alerts as alert_delivery  # alerts: a thread of its own, so a long job never delays one
    from supply import lists, queue

    writers.import_lean()  # keeps the process small: no pandas/geopandas
    s = settings()
    logs.configure(s.log_level)
    ensure_db(s)

    @contextmanager
    def conn() -> Any:
        with connect(s) as c:
            yield c

    store = jobs.JobStore(s.var_dir / "exports" / "jobs")
    runner = jobrunner.Runner(store, conn, jobs.Limits.of(s), retry_delay=retry_delay)

    def list_once() -> bool:
        return queue.run_next(conn, lists.upload) is not None

    def stop(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second signal must not interrupt the requeue
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise jobrunner.Stopping()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if once:
            click.echo(f"{runner.run_all()} export jobs run")
            n = 0
            while list_once():
                n += 1
            click.echo(f"{n} supplier-list uploads run")
            if with_alerts:
                click.echo(f"{alert_delivery.run_until_idle(s)} alert events and deliveries handled")
            return
        loop = alert_delivery.AlertLoop(s, poll) if with_alerts else None
        if loop:
            loop.start()
        from ops.cli.fetch import FeedLoop  # live feeds hourly, only when an API key is configured
        feeds = FeedLoop(s) if s.openaq_api_key else None
        if feeds:
            feeds.start()
        try:
            _loop(store, runner, poll, list_once)
        finally:
            if loop:
                loop.stop()
            if feeds:
                feeds.stop()
    except jobrunner.Stopping:
        log.info("worker stopped")


def _loop(store: Any, runner: Any, poll: float, list_once: Any) -> None:
    """Run due jobs and queued list uploads as they come; prune old jobs every hour."""
    log.info("worker started: export jobs under %s", store.root)
    pruned = 0.0
    while True:
        if time.monotonic() - pruned > PRUNE_EVERY_S:
            store.prune()
            pruned = time.monotonic()
        busy = runner.run_once() is not None
        busy = list_once() or busy
        if not busy:
            time.sleep(poll)
