"""`bluemap load` and `bluemap load-file`: bundled data sets and user files into the database."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import click

from app.settings import Settings
from data.catalog import DATASETS
from data.loaders import registry  # cheap: the loaders themselves (and geopandas) are imported when called
from db.connection import connect
from db.staging import bump_data_version
from ingest.files import load_csv
from ingest.readings import load_readings_csv
from ops.cli.common import ensure_db, prerender, settings


@click.command()
@click.argument("dataset")
@click.option("--if-empty", is_flag=True,
              help="Only the data sets this database has not loaded yet (all of them into an empty one).")
def load(dataset: str, if_empty: bool) -> None:
    """Load a bundled data set (or `all`)."""
    s = settings()
    ensure_db(s)
    loaders = registry(date.fromisoformat(s.aqi_cutover))  # the Beijing readings' AQI by the configured cut-over
    names = list(loaders) if dataset == "all" else [dataset]
    unknown = [n for n in names if n not in loaders]
    if unknown:
        raise click.BadParameter(f"unknown data set {unknown[0]!r}; choose from: all, {', '.join(loaders)}")
    if if_empty:
        names = _not_loaded(s, names)
        if not names:
            click.echo("data already loaded; nothing to do")
            return
    with click.progressbar(names, label="loading", item_show_func=lambda n: n or "") as bar:
        for name in bar:
            t0 = time.monotonic()
            with connect(s) as conn:
                result = loaders[name](conn)
                conn.execute("""INSERT INTO loaded_sets (name) VALUES (%s)
                                ON CONFLICT (name) DO UPDATE SET loaded_at = now()""", (name,))
                bump_data_version(conn)
            click.echo(f"\n  {result.summary()} in {time.monotonic() - t0:.1f}s")
            for file, line, reason in result.skipped[:20]:
                click.echo(f"    skipped {file}:{line}: {reason}")
    click.echo(f"{prerender(s)} low-zoom tiles pre-rendered")


def _not_loaded(s, names: list[str]) -> list[str]:
    """The data sets of `names` this database has not loaded; none when it holds data loaded without a record
    of its sets (by the test suite's fixtures, for one)."""
    with connect(s) as conn:
        done = {r[0] for r in conn.execute("SELECT name FROM loaded_sets")}
        has_data = conn.execute("SELECT EXISTS (SELECT 1 FROM facilities)").fetchone()[0]
    if has_data and not done:
        return []
    return [n for n in names if n not in done]


@click.command("load-file")
@click.argument("kind", type=click.Choice(["facilities", "violations", "readings", "area-stats", "water"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--crs", type=click.Choice(["wgs84", "gcj02", "bd09"]), default="wgs84", show_default=True,
              help="Datum of the file's coordinates (converted to WGS84 on load).")
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the file (e.g. gbk).")
@click.option("--skip-invalid", is_flag=True,
              help="Commit the valid rows and write rejected rows to <file>.rejects.csv.")
@click.option("--dataset-id", default=None, help="Data set id to record (default upload:<file name>).")
@click.option("--licence", default="unspecified", show_default=True, help="Licence of the file's data.")
def load_file(kind: str, path: Path, crs: str, encoding: str, skip_invalid: bool, dataset_id: str | None,
              licence: str) -> None:
    """Load a CSV of facilities, violations, hourly air or water readings or area statistics (population,
    GDP), with a row-level report of bad rows."""
    s = settings()
    ensure_db(s)
    if kind == "readings":
        _load_readings(s, path, encoding, skip_invalid, dataset_id, licence)
        return
    if kind in ("area-stats", "water"):  # all rows or none, with every bad row reported
        from ops.cli.realdata import load_table
        sys.exit(load_table(s, kind, path, dataset_id, licence))
    with connect(s) as conn:
        report = load_csv(conn, kind, path, crs=crs, encoding=encoding, skip_invalid=skip_invalid,
                          dataset_id=dataset_id, licence=licence, dataset=DATASETS.get(dataset_id or ""),
                          progress=True)
    click.echo(report.text())
    if report.errors and not skip_invalid:
        sys.exit(2)
    if report.committed:
        prerender(s)


def _load_readings(s: Settings, path: Path, encoding: str, skip_invalid: bool, dataset_id: str | None,
                   licence: str) -> None:
    """`load-file readings`: CNEMC-style hourly readings, then their hourly AQI and daily rollups."""
    with connect(s) as conn:
        report = load_readings_csv(conn, path, encoding=encoding, skip_invalid=skip_invalid,
                                   dataset_id=dataset_id, licence=licence, dataset=DATASETS.get(dataset_id or ""),
                                   cutover=date.fromisoformat(s.aqi_cutover))
    click.echo(report.text())
    if report.errors or not report.stored:
        sys.exit(2)
    if report.counts.get("inserted"):
        prerender(s)
