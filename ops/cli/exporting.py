"""`bluemap export`: a layer to a file in any export format, with a progress bar."""

from __future__ import annotations

from pathlib import Path

import click

from core.errors import DomainError
from db.connection import connect
from ops.cli.common import ensure_db, settings


def _arguments(filters: tuple[str, ...], bbox: str | None, polygon: str | None, area: str | None) -> dict[str, str]:
    """The export's request arguments from the -f NAME=VALUE options and the area options."""
    args: dict[str, str] = {}
    for item in filters:
        name, eq, value = item.partition("=")
        if not eq:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--filter")
        args[name.strip()] = value
    if polygon and Path(polygon).is_file():
        polygon = Path(polygon).read_text(encoding="utf-8")
    return args | {k: v for k, v in (("bbox", bbox), ("polygon", polygon), ("area", area)) if v}


@click.command("export")
@click.argument("layer")
@click.option("--format", "fmt", default="gpkg", show_default=True,
              help="geojson, csv, gpkg, shp, kml, fgb, html, png or pmtiles.")
@click.option("--bbox", default=None, help="w,s,e,n in WGS84 degrees.")
@click.option("--polygon", default=None, help="GeoJSON Polygon/MultiPolygon, or a file holding one.")
@click.option("--area", default=None, help="6-digit GB/T 2260 area code (e.g. 110000).")
@click.option("-f", "--filter", "filters", multiple=True, metavar="NAME=VALUE",
              help="A layer filter or format option (e.g. -f industry=cement -f bom=true); repeatable.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_cmd(layer: str, fmt: str, bbox: str | None, polygon: str | None, area: str | None,
               filters: tuple[str, ...], output: Path) -> None:
    """Export a layer to a file, with a progress bar (no size limit; CSV adds FILE.metadata.json)."""
    from exports import writers

    writers.import_lean()  # keeps the process small: no pandas/geopandas (so the imports below come after it)
    from tqdm import tqdm

    from exports import service

    args = _arguments(filters, bbox, polygon, area)
    s = settings()
    try:
        req = service.parse(layer, fmt, args)
    except DomainError as exc:
        raise click.BadParameter(exc.reason) from None
    ensure_db(s)
    with connect(s) as conn:
        try:
            plan = service.plan(conn, req)
        except DomainError as exc:
            raise click.BadParameter(exc.reason) from None
        unit = "tiles" if req.format == "pmtiles" else "rows"
        with tqdm(total=plan.size, unit=f" {unit}", unit_scale=True, desc=f"{layer}.{req.format}",
                  disable=None) as bar:
            service.produce(conn, plan, output, progress=bar.update)
    click.echo(f"{plan.size} {unit} written to {output} ({output.stat().st_size:,} bytes)")
