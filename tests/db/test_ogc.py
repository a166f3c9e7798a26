"""OGC API - Features: the documents, paging, filters and errors, and GDAL's OAPIF driver reading every
collection from a live server."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from exports import selection
from tests.conftest import _unavailable, served

CONFORMANCE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


def scalar(conn, q, *args):
    return conn.execute(q, args).fetchone()[0]


def expected_ids(conn):
    latest = scalar(conn, "SELECT max(year) FROM area_carbon")
    return {
        "factories": {r[0] for r in conn.execute("SELECT id FROM facilities WHERE private_to_brand IS NULL")},
        "suppliers": {r[0] for r in conn.execute(
            "SELECT DISTINCT facility_id FROM brand_facility_links WHERE is_public AND active")},
        "carbon": {r[0] for r in conn.execute(
            "SELECT DISTINCT a.code::text FROM admin_areas a JOIN area_carbon c ON c.area_code = a.code "
            "WHERE a.level = 'province' AND c.year = %s", (latest,))},
        "air_stations": {r[0] for r in conn.execute("SELECT id FROM stations WHERE kind = 'air'")},
        "water_stations": {r[0] for r in conn.execute("SELECT id FROM stations WHERE kind = 'water'")},
        "reports": {r[0] for r in conn.execute("SELECT id FROM reports WHERE status = 'published'")},
    }


def test_landing_conformance_api_collections(client):
    landing = client.get("/ogc").json
    rels = {link["rel"]: link for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"].startswith("application/vnd.oai.openapi+json")
    conf = client.get("/ogc/conformance").json["conformsTo"]
    assert {CONFORMANCE + c for c in ("core", "geojson", "oas30")} <= set(conf)
    api = client.get("/ogc/api")
    assert api.headers["Content-Type"].startswith("application/vnd.oai.openapi+json")
    doc = api.json
    assert doc["openapi"].startswith("3.0")
    ids = [la.id for la in selection.exportable()]
    for cid in ids:
        params = {p["name"] for p in doc["paths"][f"/collections/{cid}/items"]["get"]["parameters"]}
        assert {"limit", "bbox"} <= params
    factories = {p["name"] for p in doc["paths"]["/collections/factories/items"]["get"]["parameters"]}
    assert {"datetime", "industry", "status", "since", "until", "key_monitored"} <= factories
    cols = client.get("/ogc/collections").json["collections"]
    assert [c["id"] for c in cols] == ids and "basemap" not in ids
    for c in cols:
        assert any(link["rel"] == "items" and link["type"] == "application/geo+json" for link in c["links"])
        assert c["extent"]["spatial"]["crs"].endswith("CRS84")
    assert client.get("/ogc/collections/factories").json["id"] == "factories"


def test_paging_returns_every_feature_once(client, conn):
    for cid, ids in expected_ids(conn).items():
        url = f"/ogc/collections/{cid}/items?limit=1000"
        seen: list = []
        while url:
            page = client.get(url)
            assert page.status_code == 200 and page.headers["Content-Type"] == "application/geo+json"
            body = page.json
            assert body["numberMatched"] == len(ids), cid  # on every page, not only the first
            assert body["numberReturned"] == len(body["features"]) <= 1000
            seen += [f["id"] for f in body["features"]]
            nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
            url = nxt[0].replace("http://localhost", "") if nxt else None
        assert len(seen) == len(set(seen)) and set(seen) == ids, cid


def test_filters_bbox_datetime_and_one_item(client, conn):
    bbox = "115.4,39.4,117.5,41.1"
    got = client.get(f"/ogc/collections/factories/items?limit=10000&bbox={bbox}&industry=cement").json
    assert {f["id"] for f in got["features"]} == {r[0] for r in conn.execute(
        "SELECT id FROM facilities WHERE industry = 'cement' "
        "AND geom && ST_MakeEnvelope(115.4, 39.4, 117.5, 41.1, 4326)")}
    dated = client.get("/ogc/collections/factories/items?limit=10000&datetime=2020-01-01/2020-12-31").json
    assert {f["id"] for f in dated["features"]} == {r[0] for r in conn.execute(
        "SELECT DISTINCT facility_id FROM violations WHERE status <> 'removed' "
        "AND violation_date BETWEEN '2020-01-01' AND '2020-12-31'")}
    open_end = client.get("/ogc/collections/factories/items?limit=5&datetime=2020-06-01T00:00:00Z/..")
    assert open_end.status_code == 200
    fid = min(f["id"] for f in got["features"])
    one = client.get(f"/ogc/collections/factories/items/{fid}")
    assert one.status_code == 200 and one.json["id"] == fid and one.json["type"] == "Feature"
    assert one.json["properties"]["industry"] == "cement"
    code = client.get("/ogc/collections/carbon/items/110000").json
    assert code["properties"]["code"] == "110000" and code["geometry"]["type"] == "MultiPolygon"


@pytest.mark.parametrize("url, status", [
    ("/ogc/collections/nowhere", 404),
    ("/ogc/collections/basemap/items", 404),
    ("/ogc/collections/factories/items?limit=0", 400),
    ("/ogc/collections/factories/items?limit=10001", 400),
    ("/ogc/collections/factories/items?limit=99999999999", 400),
    ("/ogc/collections/factories/items?bbox=1,2,3", 400),
    ("/ogc/collections/factories/items?bbox=0,95,10,100", 400),
    ("/ogc/collections/factories/items?datetime=yesterday", 400),
    ("/ogc/collections/air_stations/items?datetime=2020-01-01", 400),
    ("/ogc/collections/factories/items?colour=red", 400),
    ("/ogc/collections/factories/items?f=html", 400),
    ("/ogc/collections/factories/items?bbox-crs=EPSG:3857&bbox=0,0,1,1", 400),
    ("/ogc/collections/factories/items/abc", 404),
    ("/ogc/collections/factories/items/999999999", 404),
    ("/ogc/conformance?foo=1", 400),
])
def test_bad_requests(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status, resp.data
    assert resp.json["error"]


@pytest.fixture(scope="module")
def live(app):
    with served(app) as url:
        yield f"{url}/ogc"


def gdal(*args):
    exe = shutil.which(args[0])
    if not exe:
        _unavailable(f"{args[0]} (gdal-bin) is not installed; make test installs it")
    return subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=600)


def test_gdal_lists_every_collection(live):
    res = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{live}")
    assert res.returncode == 0, res.stderr
    for la in selection.exportable():
        assert f": {la.id} (title: {la.title})" in res.stdout


def test_gdal_reads_every_collection(live, conn, tmp_path):
    ids = expected_ids(conn)
    for cid, expected in ids.items():
        out = tmp_path / f"{cid}.geojson"
        res = gdal("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{live}", cid, "-oo", "PAGE_SIZE=1000")
        assert res.returncode == 0, res.stderr
        features = json.loads(out.read_text())["features"]
        key = "code" if cid == "carbon" else ("facility_id" if cid == "suppliers" else "id")
        got = {f["properties"][key] for f in features}
        assert got == expected, cid
    # Filters pass through: GDAL sends the bbox and the attribute filter to the server.
    res = gdal("ogrinfo", "-ro", "-al", "-so", f"OAPIF:{live}", "factories", "-where", "industry = 'cement'",
               "-spat", "115.4", "39.4", "117.5", "41.1")
    assert res.returncode == 0, res.stderr
    n = scalar(conn, "SELECT count(*) FROM facilities WHERE industry = 'cement' "
                     "AND geom && ST_MakeEnvelope(115.4, 39.4, 117.5, 41.1, 4326)")
    assert f"Feature Count: {n}" in res.stdout


def test_a_degenerate_bbox_is_a_query_not_an_error(client):
    resp = client.get("/ogc/collections/factories/items?f=json&bbox=0,0,0,0")
    assert resp.status_code == 200 and resp.json["features"] == []
    assert client.get("/ogc/collections/factories/items?f=json&bbox=1,0,0,0").status_code == 400
