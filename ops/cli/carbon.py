"""`bluemap carbon grid`: totals of a gridded CO2 raster per province, prefecture and county."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.datasets import Dataset
from core.errors import Invalid
from db.connection import connect
from geo.zonal import UNITS
from ingest.carbon_grid import load_grid
from ops.cli.common import ensure_db, settings


@click.group()
def carbon() -> None:
    """Carbon data an operator brings."""


@carbon.command("grid")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=click.IntRange(1900, 2100), required=True, help="Year the raster covers.")
@click.option("--dataset", "dataset_id", required=True, help="Data set id of the figures (e.g. edgar-v8-co2).")
@click.option("--unit", type=click.Choice(sorted(UNITS)), default="t/cell", show_default=True,
              help="Unit of the cell values: an amount per cell, or a flux per area (weighted by exact cell areas).")
@click.option("--band", type=int, default=1, show_default=True, help="Band (or time step) to read.")
@click.option("--variable", default=None, help="NetCDF variable (e.g. emi_co2).")
@click.option("--crs", default=None, help="CRS when the file has none (e.g. EPSG:4326).")
@click.option("--title", default=None, help="Title of the data set (default: the file name).")
@click.option("--licence", default="unspecified", show_default=True, help="Licence of the raster.")
@click.option("--attribution", default=None, help="Attribution to show with the figures.")
def grid(path: Path, year: int, dataset_id: str, unit: str, band: int, variable: str | None, crs: str | None,
         title: str | None, licence: str, attribution: str | None) -> None:
    """Sum a gridded CO2 raster (GeoTIFF or NetCDF, any CRS) per area and store it as a carbon series."""
    s = settings()
    ensure_db(s)
    ds = Dataset(dataset_id, title or f"Gridded CO2 {path.name} ({year})", licence, None,
                 attribution or f"Gridded CO2 raster {path.name}; licence as stated by the operator.", None)
    try:
        with connect(s) as conn:
            result = load_grid(conn, str(path), year, ds, unit, band, variable, crs)
    except Invalid as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for line in result.lines():
        click.echo(line)
