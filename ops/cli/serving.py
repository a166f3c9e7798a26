"""`bluemap serve`: gunicorn in front of the app and one export-job worker beside it, migrating the database
first when it lags. Stopping serve (SIGTERM, Ctrl-C) stops both."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

import click

from ops.cli.common import ensure_db, settings


@click.command()
@click.option("--workers", type=int, default=None, help="gunicorn workers (default WORKERS or 2).")
@click.option("--port", type=int, default=None, help="Port (default PORT or 8000).")
def serve(workers: int | None, port: int | None) -> None:
    """Serve the app with gunicorn and run export jobs in a worker process (starting the embedded database)."""
    from db import migrations as migrate  # alembic: only when serving

    s = settings()
    ensure_db(s)
    if migrate.current_revision(s.dsn()) != migrate.head_revision():
        migrate.upgrade(s.dsn())
    bind = f"{s.host}:{port or s.port}"
    web_args = ["gunicorn", "--bind", bind, "--workers", str(workers or s.workers), "--access-logfile", "-",
                "--timeout", "120", "--config", "python:ops.gunicorn_conf", "app.wsgi:app"]
    _metrics_dir(s.var_dir / "metrics")
    click.echo(f"serving on http://{bind}; export jobs run in `bluemap worker`")
    sys.exit(run_beside([sys.executable, "-m", *web_args], [sys.executable, "-m", "ops.cli", "worker"]))


def _metrics_dir(path: Any) -> None:
    """Let gunicorn's workers share their Prometheus samples through files in an emptied `path`."""
    import os
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(path))


def run_beside(main: list[str], helper: list[str]) -> int:
    """Run `main` with `helper` beside it: signals go to both, and when `main` ends `helper` is stopped."""
    helper_proc = subprocess.Popen(helper)
    main_proc = subprocess.Popen(main)

    def forward(signum: int, frame: Any) -> None:
        for p in (main_proc, helper_proc):
            if p.poll() is None:
                p.send_signal(signum)

    old = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        code = main_proc.wait()
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if helper_proc.poll() is None:
            helper_proc.terminate()
        try:
            helper_proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            helper_proc.kill()
            helper_proc.wait()
        if main_proc.poll() is None:
            main_proc.kill()
            main_proc.wait()
    return code
