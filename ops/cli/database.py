"""`bluemap db`: the embedded cluster and the migrations (alembic is imported by the commands that use it)."""

from __future__ import annotations

import sys

import click

from ops.cli.common import ensure_db, settings
from ops.cluster import embedded_cluster


@click.group()
def db() -> None:
    """Manage the database (the embedded cluster under var/ when DATABASE_URL is unset)."""


@db.command()
def start() -> None:
    """Initialise (once) and start the embedded PostGIS cluster."""
    s = settings()
    if not s.embedded:
        raise click.ClickException("DATABASE_URL is set: the external database is not managed here")
    c = embedded_cluster(s)
    ensure_db(s)
    click.echo(f"PostGIS {c.status()}; DATABASE_URL={c.url}")


@db.command()
def stop() -> None:
    """Stop the embedded cluster (data is kept)."""
    embedded_cluster(settings()).stop()
    click.echo("stopped")


@db.command()
def status() -> None:
    """Say where the database is and which migration it is at."""
    from db import migrations as migrate

    s = settings()
    if s.embedded:
        click.echo(f"embedded cluster: {embedded_cluster(s).status()}")
    else:
        click.echo("external database (DATABASE_URL)")
    try:
        click.echo(f"migration: {migrate.current_revision(s.dsn())} (head {migrate.head_revision()})")
    except Exception as exc:  # noqa: BLE001 - report any connection failure to the user
        click.echo(f"database unreachable: {exc.__class__.__name__}: {str(exc).strip().splitlines()[0]}")
        sys.exit(1)


@db.command()
def upgrade() -> None:
    """Apply the migrations."""
    from db import migrations as migrate

    s = settings()
    ensure_db(s)
    migrate.upgrade(s.dsn())
    click.echo(f"database at migration {migrate.current_revision(s.dsn())}")


@db.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(yes: bool) -> None:
    """Drop every table (migrate down to base) and migrate up again: all data is lost."""
    from db import migrations as migrate

    if not yes:
        click.confirm("This deletes all data. Continue?", abort=True)
    s = settings()
    ensure_db(s)
    migrate.downgrade(s.dsn(), "base")
    migrate.upgrade(s.dsn())
    click.echo("database reset")
