"""`bluemap basemap`: import an OpenStreetMap extract for the street basemap, show it, drop it."""

from __future__ import annotations

from pathlib import Path

import click

from core.errors import Invalid, Unavailable
from data.loaders import osm_extract
from db.connection import connect
from ops.cli.common import ensure_db, settings


@click.group()
def basemap() -> None:
    """The street basemap from an OpenStreetMap extract (osm2pgsql, flex output): load, status, drop."""


@basemap.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cache", type=int, default=None, help="osm2pgsql node cache in MB (default: osm2pgsql's).")
@click.option("--updatable", is_flag=True,
              help="Keep osm2pgsql's middle tables (several times the extract's size) so that "
                   "`bluemap basemap update FILE.osc` can apply change files.")
def basemap_load(file: Path, cache: int | None, updatable: bool) -> None:
    """Import FILE (.osm.pbf or .osm) into new tables, then swap them in: the old streets serve until then."""
    s = settings()
    ensure_db(s)
    extra = (f"--cache={cache}",) if cache is not None else ()
    try:
        done = osm_extract.load(s.dsn(), file, extra, updatable=updatable)
    except (Invalid, Unavailable) as exc:
        raise click.ClickException(str(exc)) from None
    rows = ", ".join(f"{n} {t}" for t, n in done.counts.items())
    click.echo(f"imported {done.source} ({done.bytes / 1e6:.1f} MB) in {done.seconds:.1f} s: {rows}")


@basemap.command("update")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def basemap_update(file: Path) -> None:
    """Apply an OpenStreetMap change file (.osc, .osc.gz) to an extract loaded with --updatable, in place."""
    s = settings()
    ensure_db(s)
    try:
        done = osm_extract.update(s.dsn(), file)
    except (Invalid, Unavailable) as exc:
        raise click.ClickException(str(exc)) from None
    rows = ", ".join(f"{n} {t}" for t, n in done.counts.items())
    click.echo(f"applied {done.source} in {done.seconds:.1f} s: {rows}")


@basemap.command("status")
def basemap_status() -> None:
    """The imported extract (file, size, when, how long) and the rows per table."""
    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        state = osm_extract.status(conn)
    last = state["import"]
    if last is None:
        click.echo("no OpenStreetMap extract loaded (bluemap basemap load FILE.osm.pbf)")
    else:
        click.echo(f"{last['source']} ({last['bytes'] / 1e6:.1f} MB), imported {last['finished_at']:%Y-%m-%d %H:%M %Z}"
                   f" in {last['seconds']:.1f} s")
    click.echo(", ".join(f"{n} {t}" for t, n in state["counts"].items()))


@basemap.command("drop")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def basemap_drop(yes: bool) -> None:
    """Remove the imported streets (the Natural Earth and admin basemap stays)."""
    if not yes:
        click.confirm("Remove the imported OpenStreetMap streets?", abort=True)
    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        osm_extract.drop(conn)
    click.echo("street basemap removed")
