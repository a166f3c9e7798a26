"""Zonal totals of gridded emissions: any CRS, per-cell amounts or fluxes, cells split by covered fraction."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Geod, Transformer
from rasterio import features, windows
from shapely.geometry.base import BaseGeometry

GEOD = Geod(ellps="WGS84")
C_TO_CO2 = 44.0 / 12.0
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Unit:
    """A raster unit: tonnes of CO2 per cell, or per square metre (a flux) per `per` of time."""

    tonnes: float  # tonnes CO2 per unit value (times m2 for fluxes)
    flux: bool
    per: str = ""  # "s", "day", "year" or "" (already per year or per cell)


# Units an operator can name; carbon (C) amounts are converted to CO2 by 44/12.
UNITS: dict[str, Unit] = {
    "t/cell": Unit(1.0, False), "kg/cell": Unit(1e-3, False), "Mt/cell": Unit(1e6, False),
    "tC/cell": Unit(C_TO_CO2, False),
    "kg m-2 s-1": Unit(1e-3, True, "s"), "kgC m-2 s-1": Unit(1e-3 * C_TO_CO2, True, "s"),
    "t km-2 yr-1": Unit(1e-6, True, "year"), "g m-2 yr-1": Unit(1e-6, True, "year"),
    "gC m-2 d-1": Unit(1e-6 * C_TO_CO2, True, "day"), "g m-2 d-1": Unit(1e-6, True, "day"),
}


class ZonalError(ValueError):
    """A raster that cannot be summed (unknown unit, no CRS, unreadable)."""


def time_factor(unit: Unit, year: int) -> float:
    """What a flux's time unit multiplies by to give one year's amount."""
    days = 366 if calendar.isleap(year) else 365
    return {"s": days * SECONDS_PER_DAY, "day": float(days), "year": 1.0, "": 1.0}[unit.per]


def _xy(t: Affine, cols: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid coordinates of cell corners (column, row) under an affine transform."""
    return t.a * cols + t.b * rows + t.c, t.d * cols + t.e * rows + t.f


def _q(lat: np.ndarray) -> np.ndarray:
    """sin(lat) / (1 - e2 sin2(lat)) + atanh(e sin(lat)) / e: twice the authalic integral on the ellipsoid."""
    e = np.sqrt(GEOD.es)
    s = np.sin(lat)
    return s / (1 - GEOD.es * s * s) + np.arctanh(e * s) / e


def cell_areas(transform: Affine, crs: CRS, shape: tuple[int, int]) -> np.ndarray:
    """Geodesic area (m2, WGS84 ellipsoid) of every cell: exact per row for lon/lat grids, corner polygons else."""
    rows, cols = shape
    if crs.is_geographic:
        # A cell between two meridians and two parallels: its exact area on the ellipsoid depends on its
        # latitudes only, A = b^2 * dlon / 2 * [q(lat2) - q(lat1)] (the authalic-latitude integral).
        edges = np.array([_xy(transform, np.zeros(1), np.array([float(r)]))[1][0] for r in range(rows + 1)])
        dlon = np.radians(abs(transform.a))
        q = _q(np.radians(np.clip(edges, -90, 90)))
        return np.repeat((GEOD.b ** 2 * dlon / 2 * np.abs(np.diff(q)))[:, None], cols, axis=1)
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    cc, rr = np.meshgrid(np.arange(cols + 1), np.arange(rows + 1))
    lon, lat = to_ll.transform(*_xy(transform, cc, rr))
    out = np.empty(shape)
    for r in range(rows):
        for c in range(cols):
            ring_lon = [lon[r, c], lon[r, c + 1], lon[r + 1, c + 1], lon[r + 1, c]]
            ring_lat = [lat[r, c], lat[r, c + 1], lat[r + 1, c + 1], lat[r + 1, c]]
            out[r, c] = abs(GEOD.polygon_area_perimeter(ring_lon, ring_lat)[0])
    return out


def tonnes_per_cell(values: np.ndarray, transform: Affine, crs: CRS, unit: str, year: int) -> np.ndarray:
    """Tonnes of CO2 in each cell for the year: amounts scaled, fluxes times the cell's exact area and time."""
    if unit not in UNITS:
        raise ZonalError(f"unknown unit {unit!r}; known: {', '.join(UNITS)}")
    u = UNITS[unit]
    clean = np.where(np.isfinite(values), values, 0.0).astype(float)
    if not u.flux:
        return clean * u.tonnes
    return clean * u.tonnes * cell_areas(transform, crs, values.shape) * time_factor(u, year)


def covered_fraction(geom: BaseGeometry, transform: Affine, shape: tuple[int, int]) -> tuple[windows.Window,
                                                                                                np.ndarray]:
    """The window of the grid a zone (in the grid's CRS) touches and the fraction of each of its cells inside."""
    rows, cols = shape
    inv = ~transform
    x0, y0, x1, y1 = geom.bounds
    cs, rs = _xy(inv, np.array([x0, x0, x1, x1]), np.array([y0, y1, y0, y1]))
    c0, r0 = max(int(np.floor(min(cs))), 0), max(int(np.floor(min(rs))), 0)
    c1, r1 = min(int(np.ceil(max(cs))), cols), min(int(np.ceil(max(rs))), rows)
    win = windows.Window(c0, r0, max(c1 - c0, 0), max(r1 - r0, 0))
    if win.width == 0 or win.height == 0:
        return win, np.zeros((0, 0))
    wt = windows.transform(win, transform)
    wshape = (int(win.height), int(win.width))
    inside = features.rasterize([(geom, 1)], out_shape=wshape, transform=wt, all_touched=False, dtype="uint8")
    edge = features.rasterize([(geom.boundary, 1)], out_shape=wshape, transform=wt, all_touched=True,
                              dtype="uint8").astype(bool)
    frac = np.where(edge, 0.0, inside.astype(float))
    rr, cc = np.nonzero(edge)
    if rr.size:
        x0, y0 = _xy(wt, cc, rr)
        x1, y1 = _xy(wt, cc + 1, rr + 1)
        boxes = shapely.box(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1))
        frac[rr, cc] = shapely.area(shapely.intersection(boxes, geom)) / shapely.area(boxes)
    return win, frac


def zonal_totals(tonnes: np.ndarray, transform: Affine, crs: CRS,
                 zones: Iterable[tuple[str, BaseGeometry]]) -> dict[str, float]:
    """Tonnes per zone (zones in EPSG:4326, reprojected to the grid's CRS), boundary cells by covered fraction."""
    to_grid = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    out: dict[str, float] = {}
    for code, geom in zones:
        g = geom if crs.equals(CRS.from_epsg(4326)) else shapely.transform(
            geom, lambda xy: np.column_stack(to_grid.transform(xy[:, 0], xy[:, 1])))
        g = shapely.make_valid(g)
        if g.is_empty:
            out[code] = 0.0
            continue
        win, frac = covered_fraction(g, transform, tonnes.shape)
        if win.width <= 0 or win.height <= 0:
            out[code] = 0.0
            continue
        r0, c0 = int(win.row_off), int(win.col_off)
        block = tonnes[r0:r0 + frac.shape[0], c0:c0 + frac.shape[1]]
        out[code] = float((block * frac).sum())
    return out


def read_grid(path: str, band: int = 1, variable: str | None = None,
              crs: str | None = None) -> tuple[np.ndarray, Affine, CRS]:
    """A raster band (GeoTIFF, NetCDF with `variable`), its transform and CRS (`crs` when the file has none)."""
    source = f'NETCDF:"{path}":{variable}' if variable else path
    try:
        with rasterio.open(source) as ds:
            values = ds.read(band, masked=True).filled(np.nan).astype(float)
            file_crs = ds.crs
            transform = ds.transform
    except rasterio.errors.RasterioIOError as exc:
        raise ZonalError(f"cannot read {path}: {exc}") from None
    if crs:
        use = CRS.from_user_input(crs)
    elif file_crs:
        use = CRS.from_user_input(file_crs.to_wkt())
    else:
        raise ZonalError(f"{path} has no CRS: give it (e.g. --crs EPSG:4326)")
    if transform.e > 0:  # south-up grids (common in NetCDF): flip to north-up
        values = values[::-1]
        t = transform
        transform = Affine(t.a, -t.b, t.c + t.b * values.shape[0], t.d, -t.e, t.f + t.e * values.shape[0])
    return values, transform, use
