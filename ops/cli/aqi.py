"""`bluemap aqi recompute`: stored hourly AQI and daily rollups recomputed under the configured cut-over."""

from __future__ import annotations

from datetime import date

import click

from core import parse
from core.errors import Invalid, NotFound
from db.connection import connect
from db.staging import bump_data_version
from monitoring.recompute import recompute, station_ids
from ops.cli.common import ensure_db, settings


@click.group()
def aqi() -> None:
    """Air quality index: recompute what is stored."""


@aqi.command("recompute")
@click.option("--station", "codes", multiple=True, help="Air station code (repeatable; default all stations).")
@click.option("--from", "first", default=None, help="First Beijing day YYYY-MM-DD (default: the first reading).")
@click.option("--to", "last", default=None, help="Last Beijing day YYYY-MM-DD (default: the last reading).")
def aqi_recompute(codes: tuple[str, ...], first: str | None, last: str | None) -> None:
    """Recompute hourly AQI and daily rollups (BLUEMAP_AQI_CUTOVER), one transaction per station."""
    s = settings()
    try:
        lo, hi = parse.day("--from", first, None), parse.day("--to", last, None)
        cutover = date.fromisoformat(s.aqi_cutover)
    except (Invalid, ValueError) as exc:
        raise click.BadParameter(str(exc)) from None
    ensure_db(s)
    with connect(s, autocommit=True) as conn:
        try:
            changes = recompute(conn, cutover, station_ids(conn, codes), lo, hi)
        except (Invalid, NotFound) as exc:
            raise click.ClickException(str(exc)) from None
        if changes.hours or changes.days:
            with conn.transaction():
                bump_data_version(conn)  # cached tiles and pages show the new AQI
    click.echo(f"{changes.hours} hours and {changes.days} days changed (cut-over {cutover})")
