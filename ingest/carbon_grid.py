"""Gridded CO2 rasters summed per province, prefecture and county (geo.zonal) and stored as area carbon."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
import shapely

from core.datasets import Dataset
from core.errors import Invalid
from db.staging import bump_data_version, register_dataset, upsert
from geo import zonal

LEVELS = ("province", "prefecture", "county")


@dataclass
class GridResult:
    """What a raster gave: tonnes per level, the raster's own total and the areas written."""

    raster_tonnes: float
    per_level: dict[str, float] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A short report: per level, the areas and their total against the raster's total."""
        out = [f"raster total: {self.raster_tonnes / 1e6:,.3f} Mt CO2"]
        for level, t in self.per_level.items():
            share = t / self.raster_tonnes if self.raster_tonnes else 0.0
            out.append(f"{level}: {self.areas[level]} areas, {t / 1e6:,.3f} Mt ({share:.4%} of the raster)")
        return out


def zones(conn: psycopg.Connection, level: str) -> list[tuple[str, shapely.Geometry]]:
    """The outlines (EPSG:4326) of every area of a level."""
    return [(code, shapely.from_wkb(wkb)) for code, wkb in conn.execute(
        "SELECT code, ST_AsBinary(geom) FROM admin_areas WHERE level = %s AND geom IS NOT NULL ORDER BY code",
        (level,)).fetchall()]


def load_grid(conn: psycopg.Connection, path: str, year: int, ds: Dataset, unit: str, band: int = 1,
              variable: str | None = None, crs: str | None = None) -> GridResult:
    """Sum a raster per area of every level present and store the totals (Mt) as area carbon of data set `ds`."""
    if not 1900 <= year <= 2100:
        raise Invalid(f"year {year} is out of range")
    try:
        values, transform, grid_crs = zonal.read_grid(path, band, variable, crs)
        tonnes = zonal.tonnes_per_cell(values, transform, grid_crs, unit, year)
    except zonal.ZonalError as exc:
        raise Invalid(str(exc)) from None
    result = GridResult(float(tonnes.sum()))
    register_dataset(conn, ds)
    rows = []
    for level in LEVELS:
        outlines = zones(conn, level)
        if not outlines:
            continue
        totals = zonal.zonal_totals(tonnes, transform, grid_crs, outlines)
        result.per_level[level] = sum(totals.values())
        result.areas[level] = len(totals)
        rows += [(code, year, "total", t / 1e6, False, ds.id) for code, t in totals.items()]
    if not rows:
        raise Invalid("no area outlines loaded: load the boundaries first")
    upsert(conn, "area_carbon", ["area_code", "year", "sector", "co2_mt", "estimate", "dataset_id"], rows,
           conflict=["area_code", "year", "sector", "dataset_id"], update=["co2_mt"])
    bump_data_version(conn)
    return result
