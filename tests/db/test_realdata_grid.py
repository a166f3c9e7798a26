"""`bluemap carbon grid`: a synthetic raster with a known answer summed per province and served as a series."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import psycopg
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin
from shapely.geometry import box


def _run(settings, *args):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir)}
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.fixture()
def grid_series(db_url):
    yield "test-grid-co2"
    with psycopg.connect(db_url) as c:  # other tests see only the bundled series
        c.execute("DELETE FROM area_carbon WHERE dataset_id = 'test-grid-co2'")
        c.execute("DELETE FROM datasets WHERE id = 'test-grid-co2'")


def test_grid_totals_per_province_from_a_known_raster(settings, client, conn, grid_series, tmp_path):
    # 0.1 degree grid over 115-118 E, 39-42 N; 100 Mt in the cell at Tiananmen, 1 Mt everywhere else
    values = np.full((30, 30), 1e6)
    t = from_origin(115.0, 42.0, 0.1, 0.1)
    row, col = int((42.0 - 39.9) / 0.1), int((116.39 - 115.0) / 0.1)
    values[row, col] = 1e8
    path = tmp_path / "grid.tif"
    with rasterio.open(path, "w", driver="GTiff", width=30, height=30, count=1, dtype="float64",
                       crs="EPSG:4326", transform=t) as ds:
        ds.write(values, 1)
    out = _run(settings, "carbon", "grid", str(path), "--year", "2018", "--dataset", grid_series,
               "--licence", "CC0 1.0")
    assert out.returncode == 0, out.stderr
    assert "raster total: 999.000 Mt" in out.stdout
    body = client.get(f"/api/carbon?level=province&series={grid_series}&year=2018").get_json()
    got = {a["code"]: a["co2_mt"] for a in body["areas"]}
    assert set(got) >= {"110000", "130000"} and body["years"] == [2018]
    # each province gets the cells inside it and, of each cell its outline cuts, the share it covers: computed
    # here independently, cell by cell, with shapely
    expected = {}
    for code, wkb in conn.execute("SELECT code, ST_AsBinary(geom) FROM admin_areas WHERE level = 'province' "
                                  "AND geom && ST_MakeEnvelope(115, 39, 118, 42, 4326)").fetchall():
        outline = shapely.from_wkb(wkb)
        share = sum(values[r, c] * box(115 + c * 0.1, 41.9 - r * 0.1, 115.1 + c * 0.1, 42 - r * 0.1)
                    .intersection(outline).area / 0.01 for r in range(30) for c in range(30))
        if share > 0:
            expected[code] = share / 1e6
    assert set(expected) <= set(got)
    for code, mt in got.items():
        assert mt == pytest.approx(expected.get(code, 0.0), abs=0.006), code  # figures are shown to 0.01 Mt
    assert got["110000"] > 100 > got.get("120000", 0)  # Beijing holds the hot cell
    bad = _run(settings, "carbon", "grid", str(path), "--year", "2018", "--dataset", grid_series, "--unit", "furlongs")
    assert bad.returncode != 0 and "furlongs" in bad.stderr
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a raster")
    out = _run(settings, "carbon", "grid", str(broken), "--year", "2018", "--dataset", grid_series)
    assert out.returncode == 2 and "cannot read" in out.stderr


@pytest.fixture()
def stats_cleanup(db_url):
    yield
    with psycopg.connect(db_url) as c:
        c.execute("DELETE FROM area_gdp WHERE dataset_id LIKE 'stats:%'")
        c.execute("DELETE FROM area_population WHERE dataset_id LIKE 'stats:%'")
        c.execute("DELETE FROM datasets WHERE id LIKE 'stats:%'")


def test_area_stats_add_gdp_and_the_metric_appears(settings, client, stats_cleanup, tmp_path):
    before = client.get("/api/carbon?year=2020&metric=co2_per_10k_cny").get_json()
    assert before["note"] and all(a["value"] is None for a in before["areas"])
    bad = tmp_path / "bad.csv"
    bad.write_text("area_code,year,value,unit,source,licence\n110000,2020,36102.6,亿元,Beijing yearbook,CC BY 4.0\n"
                   "999999,2020,1,亿元,x,y\n110000,2020,12,furlongs,x,y\n", encoding="utf-8")
    out = _run(settings, "load-file", "area-stats", str(bad))
    assert out.returncode == 2 and "line 3" in out.stderr and "line 4" in out.stderr
    assert client.get("/api/carbon?year=2020&metric=co2_per_10k_cny").get_json()["note"]  # nothing loaded
    good = tmp_path / "gdp.csv"
    good.write_text("area_code,year,value,unit,source,licence\n"
                    "110000,2020,36102.6,亿元,Beijing Statistical Yearbook 2021,CC BY 4.0\n", encoding="utf-8")
    out = _run(settings, "load-file", "area-stats", str(good))
    assert out.returncode == 0 and "1 area_gdp" in out.stdout, out.stderr
    body = client.get("/api/carbon?year=2020&metric=co2_per_10k_cny").get_json()
    bj = next(a for a in body["areas"] if a["code"] == "110000")
    assert bj["rank"] == 1 and body["missing"] == len(body["areas"]) - 1  # the others still say so
    co2 = bj["co2_mt"]
    assert bj["value"] == pytest.approx(co2 * 1e6 / (3610.26 * 1e9 / 1e4), rel=1e-3)  # t per 10,000 CNY
