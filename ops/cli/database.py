"""`bluemap db`: the embedded cluster and the migrations (alembic is imported by the commands that use it)."""

from __future__ import annotations

import sys

import click

from db.connection import connect
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
    """Apply the migrations, and make any index (or key check) a bulk load stopped after its commit left deferred."""
    from db import migrations as migrate
    from ingest.rebuild import build_deferred

    s = settings()
    ensure_db(s)
    migrate.upgrade(s.dsn())
    click.echo(f"database at migration {migrate.current_revision(s.dsn())}")
    with connect(s) as conn:
        if made := build_deferred(conn):
            click.echo(f"made {made} indexes and key checks a stopped bulk load had left to make")


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


@db.group()
def replica() -> None:
    """Local streaming replicas of the embedded cluster (var/replicas/<port>), for read scaling and tests."""


def _primary():
    s = settings()
    if not s.embedded:
        raise click.ClickException("DATABASE_URL is set: make replicas with your provider, then list them in "
                                   "DATABASE_REPLICA_URLS (see README, Operating)")
    return embedded_cluster(s)


@replica.command("create")
@click.option("--port", type=int, required=True, help="Port of the new replica.")
def replica_create(port: int) -> None:
    """Copy the running embedded cluster with pg_basebackup -R and start the copy as a hot standby."""
    from ops import replicas
    from ops.cluster import ClusterError

    primary = _primary()
    try:
        r = replicas.create(primary, port)
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"replica streaming from :{primary.port} on :{port}; add it to DATABASE_REPLICA_URLS={r.url}")


@replica.command("status")
def replica_status() -> None:
    """Each replica: running, still a standby, replay lag, WAL receiver."""
    from ops import replicas

    found = replicas.replicas(_primary())
    if not found:
        click.echo("no replicas (bluemap db replica create --port P)")
    for r in found:
        click.echo(replicas.state(r).line())


@replica.command("promote")
@click.option("--port", type=int, required=True, help="Port of the replica.")
def replica_promote(port: int) -> None:
    """Make a replica a primary of its own (it stops following the embedded cluster)."""
    from ops import replicas
    from ops.cluster import ClusterError

    try:
        replicas.promote(replicas.replica(_primary(), port))
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"replica :{port} promoted")


@replica.command("drop")
@click.option("--port", type=int, required=True, help="Port of the replica.")
def replica_drop(port: int) -> None:
    """Stop a replica and delete its files."""
    from ops import replicas
    from ops.cluster import ClusterError

    try:
        replicas.drop(replicas.replica(_primary(), port))
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"replica :{port} dropped")
