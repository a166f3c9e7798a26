"""`bluemap worker`: the background process that runs export jobs (web workers only queue them)."""

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
def worker(once: bool, poll: float, retry_delay: float) -> None:
    """Run queued export jobs, one at a time; SIGTERM puts the running job back in the queue and exits."""
    from core import logs
    from exports import jobrunner, jobs, writers

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

    def stop(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second signal must not interrupt the requeue
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise jobrunner.Stopping()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        if once:
            click.echo(f"{runner.run_all()} export jobs run")
            return
        _loop(store, runner, poll)
    except jobrunner.Stopping:
        log.info("worker stopped")


def _loop(store: Any, runner: Any, poll: float) -> None:
    """Run due jobs as they come; prune old ones every hour."""
    log.info("worker started: export jobs under %s", store.root)
    pruned = 0.0
    while True:
        if time.monotonic() - pruned > PRUNE_EVERY_S:
            store.prune()
            pruned = time.monotonic()
        if runner.run_once() is None:
            time.sleep(poll)
