"""HTTP semantics of the map resources: content coding by q-value, weak ETags, empty answers, CORS on every
answer (errors and preflights included) and links behind a trusted reverse proxy."""

from __future__ import annotations

import mercantile
import pytest

GLYPHS = "/fonts/Blue Map Sans Regular/0-255.pbf"


@pytest.fixture()
def tile_url(conn):
    lon, lat = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM facilities ORDER BY id LIMIT 1").fetchone()
    t = mercantile.tile(lon, lat, 12)
    return f"/tiles/factories/{t.z}/{t.x}/{t.y}.mvt"


@pytest.mark.parametrize("encoding", ["gzip;q=0", "identity", "deflate, gzip;q=0", "*;q=0"])
def test_gzip_refused_by_q_value_is_not_sent(client, tile_url, encoding):
    for url in (tile_url, GLYPHS):
        r = client.get(url, headers={"Accept-Encoding": encoding})
        assert r.status_code == 200 and "Content-Encoding" not in r.headers, (url, encoding)


@pytest.mark.parametrize("encoding", ["gzip", "gzip;q=0.5, identity;q=1", "*"])
def test_gzip_accepted_by_q_value_is_sent(client, tile_url, encoding):
    for url in (tile_url, GLYPHS):
        r = client.get(url, headers={"Accept-Encoding": encoding})
        assert r.headers["Content-Encoding"] == "gzip", (url, encoding)


def test_weak_if_none_match_is_honoured(client, tile_url):
    for url in (tile_url, "/sprites/bluemap.png", "/sprites/bluemap@2x.json"):
        etag = client.get(url, headers={"Accept-Encoding": "gzip"}).headers["ETag"]
        for inm in (f"W/{etag}", f'"other", W/{etag}', etag, "*"):
            r = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": inm})
            assert r.status_code == 304 and r.data == b"", (url, inm)
            assert r.headers["ETag"] == etag and "Content-Type" not in r.headers
        assert client.get(url, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_empty_answers_have_no_content_type(client):
    r = client.get("/tiles/factories/8/0/0.mvt")
    assert r.status_code == 204 and "Content-Type" not in r.headers
    assert "Content-Security-Policy" not in r.headers
    assert r.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url,status", [
    ("/tiles/nope/0/0/0.mvt", 404),
    ("/tiles/factories/a/0/0.mvt", 400),
    ("/tiles/nope.json", 404),
    ("/styles/nope.json", 404),
    ("/styles/blue-map.json?colour=red", 400),
    ("/sprites/other.png", 404),
    ("/fonts/Blue Map Sans Regular/abc.pbf", 400),
    ("/raster/pm25/a/0/0.png", 400),
    ("/raster/pm25.tif?date=yesterday", 400),
    ("/ogc/collections/nope", 404),
    ("/ogc/collections/factories/items?limit=0", 400),
    ("/exports/nope.csv", 404),
    ("/tiles/factories/0/0/0/extra", 404),
])
def test_errors_of_map_resources_carry_cors(client, url, status):
    r = client.get(url)
    assert r.status_code == status, r.data[:200]
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.get_json()["error"]


def test_geotiff_and_raster_tiles_carry_cors(client):
    tif = client.get("/raster/pm25.tif?date=2016-01-01")
    assert tif.status_code == 200 and tif.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Disposition" in tif.headers["Access-Control-Expose-Headers"]
    png = client.get("/raster/pm25/5/25/12.png?date=2016-01-01")
    assert png.status_code == 200 and png.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url,method", [
    ("/tiles/factories/0/0/0.mvt", "GET"),
    ("/styles/blue-map.json", "GET"),
    (GLYPHS, "GET"),
    ("/raster/pm25.tif", "GET"),
    ("/ogc/collections/factories/items", "GET"),
    ("/exports/jobs", "POST"),
])
def test_preflight_names_methods_and_headers(client, url, method):
    r = client.options(url, headers={"Origin": "https://example.org", "Access-Control-Request-Method": method,
                                     "Access-Control-Request-Headers": "if-none-match"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert method in [m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")]
    assert "if-none-match" in r.headers["Access-Control-Allow-Headers"].lower()
    assert "etag" in r.headers["Access-Control-Expose-Headers"].lower()


def test_pages_are_not_cross_origin(client):
    assert "Access-Control-Allow-Origin" not in client.get("/sources").headers


def _links(body):
    return [link["href"] for link in body["links"]]


def test_links_ignore_forwarded_host_by_default(client):
    body = client.get("/ogc/collections/factories/items?limit=5", headers={"X-Forwarded-Host": "evil.example"}).json
    assert all(h.startswith("http://localhost/") for h in _links(body))


def test_links_honour_forwarded_host_behind_a_trusted_proxy(settings):
    from app import create_app

    app = create_app(settings.model_copy(update={"proxy_fix": 1}))
    try:
        client = app.test_client()
        fwd = {"X-Forwarded-Host": "maps.example.org", "X-Forwarded-Proto": "https",
               "X-Forwarded-Prefix": "/bluemap"}
        page = client.get("/ogc/collections/factories/items?limit=5", headers=fwd).json
        links = _links(page)
        assert links and all(h.startswith("https://maps.example.org/bluemap/ogc/") for h in links), links
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        assert nxt and "after=" in nxt[0]
        assert all(h.startswith("https://maps.example.org/bluemap/")
                   for h in _links(client.get("/ogc", headers=fwd).json))
        tj = client.get("/tiles/factories.json", headers=fwd).json
        assert tj["tiles"][0].startswith("https://maps.example.org/bluemap/tiles/factories/")
    finally:
        app.extensions["pool"].close()
