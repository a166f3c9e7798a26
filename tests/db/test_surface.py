"""The PM2.5 surface over HTTP: GeoTIFF read back with rasterio, PNG tiles, bad parameters."""

from __future__ import annotations

import io

import mercantile
import pytest
import rasterio
from PIL import Image

from geo.surface import mercator

DAY = "2016-01-01"


def _day_means(conn):
    return conn.execute("""
        SELECT s.code, ST_X(s.geom), ST_Y(s.geom), avg(r.pm25)
        FROM air_readings r JOIN stations s ON s.id = r.station_id
        WHERE r.observed_at >= '2016-01-01T00:00+08' AND r.observed_at < '2016-01-02T00:00+08' AND r.pm25 IS NOT NULL
        GROUP BY s.id HAVING count(*) >= 20""").fetchall()


def test_geotiff_has_crs_transform_and_station_values(client, conn, tmp_path):
    r = client.get(f"/raster/pm25.tif?date={DAY}")
    assert r.status_code == 200 and r.mimetype == "image/tiff"
    path = tmp_path / "pm25.tif"
    path.write_bytes(r.data)
    means = _day_means(conn)
    assert len(means) >= 3
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 3857
        assert src.transform.a > 0 and src.transform.e < 0
        assert src.overviews(1), "a COG carries internal overviews"
        assert src.tags()["time"] == DAY
        band = src.read(1)
        for code, lon, lat, mean in means:
            row, col = src.index(*mercator(lon, lat))
            assert band[row, col] == pytest.approx(mean, rel=0.05), code


def test_tiles_are_png_of_the_right_size(client):
    t = mercantile.tile(116.4, 39.93, 10)
    r = client.get(f"/raster/pm25/10/{t.x}/{t.y}.png?date={DAY}")
    assert r.status_code == 200 and r.mimetype == "image/png"
    img = Image.open(io.BytesIO(r.data))
    assert img.size == (256, 256) and img.mode == "RGBA"
    assert img.getchannel("A").getextrema()[1] > 0
    far = client.get(f"/raster/pm25/10/0/0.png?date={DAY}")
    assert far.status_code == 200 and Image.open(io.BytesIO(far.data)).getchannel("A").getextrema() == (0, 0)


def test_default_is_the_latest_hour_and_the_legend_names_the_scale(client):
    body = client.get("/raster/pm25.json").get_json()
    assert body["time"].startswith("2017-02-28T23:00")
    assert "HJ 633" in body["scale"] and len(body["classes"]) == 6


@pytest.mark.parametrize("query", ["time=junk", "time=2016-01-01T10:30", "date=2016-13-01", "date=1999-01-01",
                                   "time=2016-01-01T10:00&date=2016-01-01"])
def test_bad_times_are_refused(client, query):
    r = client.get(f"/raster/pm25/3/6/3.png?{query}")
    assert r.status_code == 400 and r.get_json()["error"]


@pytest.mark.parametrize("path", ["/raster/pm25/3/a/3.png", "/raster/pm25/3/8/3.png", "/raster/pm25/40/0/0.png"])
def test_bad_addresses_are_refused(client, path):
    assert client.get(path).status_code == 400


def test_the_surface_scale_follows_the_configured_cutover_by_local_date(settings):
    from app import create_app

    moved = create_app(settings.model_copy(update={"aqi_cutover": "2016-01-01"}))
    moved.testing = True
    try:
        c = moved.test_client()
        assert "HJ 633-2026" in c.get(f"/raster/pm25.json?date={DAY}").get_json()["scale"]
        assert "HJ 633-2012" in c.get("/raster/pm25.json?date=2015-12-31").get_json()["scale"]
        # 2016-01-01 00:00 in Beijing is 2015-12-31 16:00 UTC: the local date decides.
        first = c.get("/raster/pm25.json?time=2016-01-01T00:00%2B08:00").get_json()
        assert "HJ 633-2026" in first["scale"] and first["classes"][1]["high"] == 60
        last = c.get("/raster/pm25.json?time=2015-12-31T23:00%2B08:00").get_json()
        assert "HJ 633-2012" in last["scale"] and last["classes"][1]["high"] == 75
    finally:
        moved.extensions["pool"].close()
