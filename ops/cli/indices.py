"""`bluemap indices compute --year Y`: brand index snapshots from the database, reproducibly."""

from __future__ import annotations

import time

import click

from db.connection import connect
from indices import brands
from ops.cli.common import ensure_db, settings


@click.group()
def indices() -> None:
    """Brand and city indices."""


@indices.command("compute")
@click.option("--year", type=click.IntRange(1990, 2100), required=True, help="The year to score.")
@click.option("--check", is_flag=True, help="Recompute and compare with the stored snapshots; store nothing.")
def indices_compute(year: int, check: bool) -> None:
    """Compute and store every brand's CITI-like and SCTI-like snapshot for YEAR (or --check them)."""
    s = settings()
    ensure_db(s)
    started = time.monotonic()
    with connect(s) as conn:
        if check:
            diffs = brands.differences(conn, year)
            for d in diffs[:50]:
                click.echo(d)
            if diffs:
                raise click.ClickException(f"{len(diffs)} snapshots differ from a recomputation")
            click.echo(f"stored snapshots for {year} reproduced exactly ({time.monotonic() - started:.1f} s)")
            return
        snaps = brands.compute(conn, year)
        brands.store(conn, snaps)
        conn.commit()
    versions = ", ".join(m.version for m in brands.methodologies())
    click.echo(f"{len(snaps)} snapshots stored for {year} ({versions}) in {time.monotonic() - started:.1f} s")


@indices.command("institution")
@click.argument("name")
@click.option("--member", "members", multiple=True, help="E-mail of a lender user to add (repeatable).")
def institution(name: str, members: tuple[str, ...]) -> None:
    """Register a financial institution for DECRA, with its lender users."""
    from core.errors import Invalid, NotFound
    from indices import decra

    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        try:
            iid = decra.create_institution(conn, name)
            for email in members:
                decra.add_member(conn, email, iid)
        except (Invalid, NotFound) as exc:
            raise click.ClickException(exc.reason) from None
        conn.commit()
    click.echo(f"institution {iid}: {name} ({len(members)} members)")


@indices.command("piti-demo")
@click.option("--year", type=click.IntRange(1990, 2100), required=True)
@click.option("--cities", type=click.IntRange(1, 400), default=40, show_default=True)
def piti_demo(year: int, cities: int) -> None:
    """Synthetic demo city scores (flagged synthetic everywhere shown); assessors' real scores are kept."""
    from core.errors import Conflict
    from indices import piti

    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        try:
            n = piti.demo(conn, year, cities)
        except Conflict as exc:
            raise click.ClickException(exc.reason) from None
        conn.commit()
    click.echo(f"{n} synthetic item scores for {year}")
