"""`bluemap serve`: gunicorn in front of the app, migrating the database first when it lags."""

from __future__ import annotations

import os
import sys

import click

from ops.cli.common import ensure_db, settings


@click.command()
@click.option("--workers", type=int, default=None, help="gunicorn workers (default WORKERS or 2).")
@click.option("--port", type=int, default=None, help="Port (default PORT or 8000).")
def serve(workers: int | None, port: int | None) -> None:
    """Serve the app with gunicorn (starting the embedded database when needed)."""
    from db import migrations as migrate  # alembic: only when serving

    s = settings()
    ensure_db(s)
    if migrate.current_revision(s.dsn()) != migrate.head_revision():
        migrate.upgrade(s.dsn())
    bind = f"{s.host}:{port or s.port}"
    args = ["gunicorn", "--bind", bind, "--workers", str(workers or s.workers), "--access-logfile", "-",
            "--timeout", "120", "app.wsgi:app"]
    click.echo(f"serving on http://{bind}")
    os.execvp(sys.executable, [sys.executable, "-m", *args])
