"""Zonal totals of gridded CO2: known answers on synthetic rasters, sums preserved to 1e-6."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from pyproj import CRS
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from geo import zonal


def _write(path, values, transform, crs):
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype="float64", crs=crs, transform=transform, nodata=-9999) as ds:
        ds.write(values, 1)


def _box_area(w, s, e, n):
    """Area (m2) of a lon/lat box on the WGS84 ellipsoid by the authalic sphere (independent of the module)."""
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    ecc = np.sqrt(e2)

    def qf(phi):
        sp = np.sin(np.radians(phi))
        return (1 - e2) * (sp / (1 - e2 * sp * sp) - np.log((1 - ecc * sp) / (1 + ecc * sp)) / (2 * ecc))

    qp = qf(90.0)
    rq2 = a * a * qp / 2  # authalic radius squared
    beta = lambda phi: np.arcsin(qf(phi) / qp)  # noqa: E731
    return rq2 * np.radians(e - w) * (np.sin(beta(n)) - np.sin(beta(s)))


def test_tonnes_per_cell_split_by_covered_fraction_and_sum_preserved(tmp_path):
    rng = np.random.default_rng(7)
    values = rng.uniform(0, 1000, (20, 30))
    values[3, 4] = np.nan  # nodata counts as nothing
    t = from_origin(100.0, 40.0, 0.5, 0.5)  # 100-115 E, 30-40 N
    _write(tmp_path / "g.tif", np.nan_to_num(values, nan=-9999), t, "EPSG:4326")
    grid, transform, crs = zonal.read_grid(str(tmp_path / "g.tif"))
    tonnes = zonal.tonnes_per_cell(grid, transform, crs, "t/cell", 2020)
    # three zones tiling the grid, the cuts through the middle of cells (x = 103.3, y = 35.2)
    zones = [("A", box(100, 30, 103.3, 40)), ("B", box(103.3, 35.2, 115, 40)), ("C", box(103.3, 30, 115, 35.2))]
    got = zonal.zonal_totals(tonnes, transform, crs, zones)
    total = np.nansum(values)
    assert sum(got.values()) == pytest.approx(total, rel=1e-6)
    # zone A: 6 whole columns and 0.6 of the 7th (x 103.0-103.5)
    v = np.nan_to_num(values)
    assert got["A"] == pytest.approx(v[:, :6].sum() + 0.6 * v[:, 6].sum(), rel=1e-9)
    # a zone outside the grid holds nothing
    assert zonal.zonal_totals(tonnes, transform, crs, [("X", box(0, 0, 1, 1))]) == {"X": 0.0}


def test_flux_uses_exact_ellipsoidal_cell_areas_and_the_year(tmp_path):
    flux = 1e-9  # kg m-2 s-1, uniform
    t = from_origin(110.0, 45.0, 0.25, 0.25)
    values = np.full((40, 40), flux)  # 110-120 E, 35-45 N
    grid_crs = CRS.from_epsg(4326)
    tonnes = zonal.tonnes_per_cell(values, t, grid_crs, "kg m-2 s-1", 2020)
    seconds = 366 * 86400
    assert tonnes.sum() == pytest.approx(flux * 1e-3 * _box_area(110, 35, 120, 45) * seconds, rel=1e-9)
    assert zonal.cell_areas(from_origin(0, 1, 1, 1), grid_crs, (1, 1))[0, 0] == pytest.approx(12_308e6, rel=1e-3)
    # a zone cut along a meridian through cells: its share is exact (area is uniform in longitude)
    zone = box(110, 35, 113.1, 45)
    got = zonal.zonal_totals(tonnes, t, grid_crs, [("Z", zone)])["Z"]
    assert got == pytest.approx(flux * 1e-3 * _box_area(110, 35, 113.1, 45) * seconds, rel=1e-6)
    assert zonal.tonnes_per_cell(values, t, grid_crs, "kg m-2 s-1", 2021).sum() == pytest.approx(
        tonnes.sum() * 365 / 366, rel=1e-12)


def test_projected_grid_and_reprojected_zones_preserve_the_sum(tmp_path):
    # an Albers equal-area grid over eastern China, 50 km cells, fluxes in t km-2 yr-1
    albers = CRS.from_proj4("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +datum=WGS84 +units=m")
    t = from_origin(0, 4_500_000, 50_000, 50_000)
    values = np.full((20, 20), 100.0)
    _write(tmp_path / "p.tif", values, t, albers.to_wkt())
    grid, transform, crs = zonal.read_grid(str(tmp_path / "p.tif"))
    tonnes = zonal.tonnes_per_cell(grid, transform, crs, "t km-2 yr-1", 2019)
    # equal-area projection: every cell is 2,500 km2, so about 250,000 t
    assert tonnes.mean() == pytest.approx(250_000, rel=1e-3)
    # two zones in lon/lat splitting the grid's footprint along the projection's central meridian
    foot = [(0, 4_500_000), (1_000_000, 4_500_000), (1_000_000, 3_500_000), (0, 3_500_000)]
    from pyproj import Transformer
    to_ll = Transformer.from_crs(albers, "EPSG:4326", always_xy=True)
    dense = []
    for (x0, y0), (x1, y1) in zip(foot, foot[1:] + foot[:1], strict=True):
        for k in range(200):
            dense.append(to_ll.transform(x0 + (x1 - x0) * k / 200, y0 + (y1 - y0) * k / 200))
    whole = Polygon(dense).buffer(0.5)  # covers the footprint
    west = whole.intersection(box(90, 0, 110, 60))
    east = whole.difference(box(90, 0, 110, 60))
    got = zonal.zonal_totals(tonnes, transform, crs, [("W", west), ("E", east)])
    assert got["W"] > 0 and got["E"] > 0
    assert got["W"] + got["E"] == pytest.approx(tonnes.sum(), rel=1e-6)


def test_south_up_grids_are_flipped_and_units_checked(tmp_path):
    values = np.arange(12, dtype=float).reshape(3, 4)
    south_up = rasterio.transform.Affine(1, 0, 100, 0, 1, 30)  # row 0 is the southern edge
    _write(tmp_path / "s.tif", values, south_up, "EPSG:4326")
    grid, transform, crs = zonal.read_grid(str(tmp_path / "s.tif"))
    assert transform.e < 0 and grid[0].tolist() == values[-1].tolist()
    got = zonal.zonal_totals(zonal.tonnes_per_cell(grid, transform, crs, "t/cell", 2020), transform, crs,
                             [("S", box(100, 30, 104, 31))])
    assert got["S"] == pytest.approx(values[0].sum())  # the southern row
    with pytest.raises(zonal.ZonalError, match="unknown unit"):
        zonal.tonnes_per_cell(values, transform, crs, "furlongs", 2020)
    with pytest.raises(zonal.ZonalError, match="cannot read"):
        zonal.read_grid(str(tmp_path / "missing.tif"))
