"""Caching headers a shared cache can use: versioned immutable tile URLs, validators, encodings, CORS."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import mercantile
import psycopg
import pytest

from db.staging import bump_data_version

pytestmark = pytest.mark.db
IMMUTABLE = "public, max-age=31536000, immutable"


def _path(url: str, z: int = 4, x: int = 13, y: int = 6) -> str:
    """The path and query of a tile URL template, for the test client."""
    parts = urlsplit(url.replace("{z}/{x}/{y}", f"{z}/{x}/{y}"))
    return parts.path + ("?" + parts.query if parts.query else "")


def _version(conn) -> int:
    return conn.execute("SELECT version FROM data_version").fetchone()[0]


def _dense_tile(conn) -> str:
    lon, lat = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM facilities ORDER BY id LIMIT 1").fetchone()
    t = mercantile.tile(lon, lat, 12)
    return f"{t.z}/{t.x}/{t.y}"


def test_tilejson_urls_carry_the_data_version_and_are_immutable(client, conn):
    tj = client.get("/tiles/carbon.json?year=2019")
    assert tj.headers["Cache-Control"] == "public, no-cache" and tj.headers["ETag"].startswith('"')
    template = tj.json["tiles"][0]
    query = parse_qs(urlsplit(template).query)
    assert query["v"] == [str(_version(conn))] and query["year"] == ["2019"]
    r = client.get(_path(template))
    assert r.status_code == 200 and r.headers["Cache-Control"] == IMMUTABLE
    assert r.headers["X-Data-Version"] == str(_version(conn))
    plain = client.get("/tiles/carbon/4/13/6.mvt?year=2019")
    assert plain.headers["Cache-Control"] == "public, no-cache"
    assert plain.headers["ETag"] == r.headers["ETag"]  # same tile, same validator
    again = client.get("/tiles/carbon.json?year=2019", headers={"If-None-Match": tj.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_data_change_moves_the_version_and_old_urls_stop_being_immutable(client, db_url):
    before = client.get("/tiles/factories.json").json["tiles"][0]
    with psycopg.connect(db_url) as c:
        new = bump_data_version(c)
        c.commit()
    for _ in range(50):  # the LISTEN thread hears the change within milliseconds
        after = client.get("/tiles/factories.json").json["tiles"][0]
        if after != before:
            break
        time.sleep(0.1)
    assert parse_qs(urlsplit(after).query)["v"] == [str(new)]
    old = client.get(_path(before, 5, 26, 12))
    assert old.status_code in (200, 204) and old.headers["Cache-Control"] == "public, no-cache"
    assert old.headers["X-Data-Version"] == str(new)
    cur = client.get(_path(after, 5, 26, 12))
    assert cur.headers["Cache-Control"] == IMMUTABLE


def test_style_tile_urls_are_versioned(client, conn):
    style = client.get("/styles/blue-map.json").get_json()
    for src in style["sources"].values():
        assert parse_qs(urlsplit(src["tiles"][0]).query)["v"] == [str(_version(conn))]
    r = client.get(_path(style["sources"]["basemap"]["tiles"][0], 3, 6, 3))
    assert r.headers["Cache-Control"] == IMMUTABLE


def test_a_bad_version_is_a_400_with_a_reason_and_cors(client):
    r = client.get("/tiles/factories/3/6/3.mvt?v=abc")
    assert r.status_code == 400 and "v" in r.json["error"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(("header", "status"), [
    ("W/{etag}", 304), ("{etag}", 304), ('"other", {etag}', 304), ("*", 304), ('"other"', 200),
    ('W/"other"', 200),
])
def test_if_none_match_weak_and_strong(client, conn, header, status):
    url = f"/tiles/factories/{_dense_tile(conn)}.mvt"
    etag = client.get(url, headers={"Accept-Encoding": "gzip"}).headers["ETag"]
    r = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": header.format(etag=etag)})
    assert r.status_code == status
    if status == 304:
        assert r.data == b"" and "Content-Type" not in r.headers and r.headers["ETag"] == etag


@pytest.mark.parametrize(("accept", "gzipped"), [
    ("gzip", True), ("gzip;q=0", False), ("GZIP;Q=0.5", True), ("*", True), ("*;q=1, gzip;q=0", False),
    ("br;q=1.0, gzip;q=0.001", True), ("identity", False), ("deflate, br", False), ("gzip;q=0.000", False),
])
def test_accept_encoding_with_q_values(client, conn, accept, gzipped):
    r = client.get(f"/tiles/factories/{_dense_tile(conn)}.mvt", headers={"Accept-Encoding": accept})
    assert r.status_code == 200
    assert (r.headers.get("Content-Encoding") == "gzip") is gzipped
    assert r.headers["Vary"] == "Accept-Encoding"


def test_empty_tile_is_204_without_a_content_type(client):
    r = client.get("/tiles/factories/14/0/0.mvt")  # the far north-west Pacific: nothing there
    assert r.status_code == 204 and r.data == b""
    assert "Content-Type" not in r.headers and r.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in r.headers


def test_cors_on_errors_and_on_raster(client):
    for url in ("/tiles/nope/0/0/0.mvt", "/tiles/factories/99/0/0.mvt", "/styles/nope.json",
                "/raster/pm25/99/0/0.png", "/raster/pm25.json?time=nonsense"):
        r = client.get(url)
        assert 400 <= r.status_code < 500, url
        assert r.headers["Access-Control-Allow-Origin"] == "*", url
        assert r.is_json, url
    ok = client.get("/raster/pm25.json")
    assert ok.headers["Access-Control-Allow-Origin"] == "*"
    pre = client.options("/raster/pm25/3/6/3.png", headers={"Origin": "https://example.org",
                                                          "Access-Control-Request-Method": "GET"})
    assert pre.headers["Access-Control-Allow-Origin"] == "*" and "GET" in pre.headers["Access-Control-Allow-Methods"]
