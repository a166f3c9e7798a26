"""Exports read back with pyogrio/GDAL and compared with the database: every format, filters, provenance,
private supplier links, limits, the CLI, and the map exports (PNG, HTML, PMTiles)."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas  # noqa: F401 - loaded before the export modules, as in the web process
import pyogrio
import pytest

from exports import pmtiles, selection

BEIJING = (114.0, 37.5, 119.5, 42.0)
BBOX = ",".join(map(str, BEIJING))
GDAL_FORMATS = ("gpkg", "shp", "kml", "fgb")


def scalar(conn, q, *args):
    return conn.execute(q, args).fetchone()[0]


def db_factories(conn, where="true", *args):
    """id -> (lon, lat, name_zh, industry, status, synthetic) straight from the tables."""
    rows = conn.execute(f"""
        SELECT f.id, ST_X(f.geom), ST_Y(f.geom), f.name_zh, f.industry, f.worst_status,
               (f.synthetic OR f.violations_synthetic
                OR coalesce((f.attrs->>'name_zh_synthetic')::boolean, false))
        FROM facilities f WHERE ({where}) AND f.private_to_brand IS NULL""", args).fetchall()
    return {r[0]: r[1:] for r in rows}


def in_beijing(conn):
    return db_factories(conn, "f.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", *BEIJING)


def save(resp, tmp_path, name):
    assert resp.status_code == 200, resp.data[:500]
    path = tmp_path / name
    path.write_bytes(resp.data)
    return path


def read(path: Path, fmt: str):
    """The export as a GeoDataFrame (Shapefile zips through /vsizip/)."""
    target = f"/vsizip/{path}/factories.shp" if fmt == "shp" else str(path)
    return pyogrio.read_dataframe(target)


@pytest.mark.parametrize("fmt", ["geojson", "csv", *GDAL_FORMATS])
def test_each_format_reads_back_equal_to_the_database(client, conn, tmp_path, fmt):
    expected = in_beijing(conn)
    assert len(expected) > 100
    resp = client.get(f"/exports/factories.{fmt}?bbox={BBOX}")
    path = save(resp, tmp_path, f"f.{fmt}" if fmt != "shp" else "f.zip")
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=\"bluemap-factories-")
    if fmt == "csv":
        import csv

        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        got = {int(r["id"]): r for r in rows}
        assert got.keys() == expected.keys()
        for fid, (lon, lat, name_zh, industry, status, synthetic) in list(expected.items())[:200]:
            r = got[fid]
            assert abs(float(r["lon"]) - lon) < 1e-6 and abs(float(r["lat"]) - lat) < 1e-6
            assert r["wkt"].startswith("POINT(") and r["name_zh"] == (name_zh or "")
            assert (r["industry"], r["status"], r["synthetic"]) == (industry, status, str(synthetic).lower())
        return
    df = read(path, fmt)
    assert len(df) == len(expected)
    assert df.crs is not None and (df.crs.to_epsg() == 4326 or "CRS84" in df.crs.to_string())
    cols = {c[:10]: c for c in df.columns}  # Shapefile DBF names are cut to 10 characters
    if fmt == "kml":
        cols["name_zh"] = "Name"  # KML's <name> holds name_zh
        cols["id"] = "id2"  # GDAL's LIBKML reader keeps the Placemark id as `id`
    ids = df[cols["id"]].astype(int) if "id" in cols else None
    assert ids is not None and set(ids) == set(expected)
    for i, fid in enumerate(ids[:300]):
        lon, lat, name_zh, industry, status, synthetic = expected[fid]
        geom = df.geometry.iloc[i]
        assert abs(geom.x - lon) < 1e-6 and abs(geom.y - lat) < 1e-6
        got = df[cols["name_zh"]].iloc[i]
        assert (None if got is None or got != got or got == "" else got) == name_zh  # NaN or empty: no name
        assert df[cols["industry"]].iloc[i] == industry and df[cols["status"]].iloc[i] == status
        assert truthy(df[cols["synthetic"]].iloc[i]) == synthetic


def truthy(v) -> bool:
    return v.lower() in ("true", "1") if isinstance(v, str) else bool(v)


def test_every_layer_exports_every_row(client, conn):
    latest = scalar(conn, "SELECT max(year) FROM area_carbon")
    expected = {
        "factories": scalar(conn, "SELECT count(*) FROM facilities WHERE private_to_brand IS NULL"),
        "suppliers": scalar(conn, "SELECT count(DISTINCT facility_id) FROM brand_facility_links "
                                  "WHERE is_public AND active"),
        "carbon": scalar(conn, "SELECT count(DISTINCT a.code) FROM admin_areas a JOIN area_carbon c "
                               "ON c.area_code = a.code WHERE a.level = 'province' AND c.year = %s", latest),
        "air_stations": scalar(conn, "SELECT count(*) FROM stations WHERE kind = 'air'"),
        "water_stations": scalar(conn, "SELECT count(*) FROM stations WHERE kind = 'water'"),
        "reports": scalar(conn, "SELECT count(*) FROM reports WHERE status = 'published'"),
    }
    assert set(expected) == {la.id for la in selection.exportable()}
    for layer, n in expected.items():
        body = json.loads(client.get(f"/exports/{layer}.geojson").data)
        assert body["type"] == "FeatureCollection"
        assert len(body["features"]) == n == body["metadata"]["rows"], layer
        if not n:  # no citizen report published (yet) in this session
            continue
        feature = body["features"][0]
        assert "synthetic" in feature["properties"], layer
        if layer == "carbon":  # RFC 7946: exterior rings counter-clockwise
            from shapely.geometry import shape

            poly = shape(feature["geometry"]).geoms[0]
            assert poly.exterior.is_ccw


def test_provenance_in_every_format(client, tmp_path):
    body = json.loads(client.get(f"/exports/factories.geojson?bbox={BBOX}&industry=cement").data)
    meta = body["metadata"]
    assert meta["filters"] == {"industry": ["cement"], "bbox": list(BEIJING)}
    assert meta["crs"]["epsg"] == 4326 and meta["generated_at"].endswith("Z")
    licences = {d["id"]: d["licence"] for d in meta["datasets"]}
    assert licences["gppd-china"] == "CC BY 4.0" and licences["synthetic-demo"].startswith("CC0")
    assert "synthetic" in meta["synthetic"] and "not real" in meta["attribution"]
    assert meta["data_version"]["version"] >= 1

    csv_resp = client.get(f"/exports/factories.csv?bbox={BBOX}")
    link = csv_resp.headers["Link"]
    assert 'rel="describedby"' in link
    url = link[1:link.index(">")].replace("http://localhost", "")
    side = client.get(url).json
    assert side["layer"] == "factories" and side["filters"]["bbox"] == list(BEIJING)

    gpkg = save(client.get(f"/exports/factories.gpkg?bbox={BBOX}"), tmp_path, "p.gpkg")
    layers = [name for name, _ in pyogrio.list_layers(gpkg)]
    assert layers == ["factories", "bluemap_metadata"]
    table = pyogrio.read_dataframe(gpkg, layer="bluemap_metadata")
    kv = dict(zip(table["key"], table["value"], strict=True))
    assert json.loads(kv["datasets"])[0]["licence"] and kv["layer"] == "factories"
    info = pyogrio.read_info(gpkg, layer="factories")
    assert "CC BY 4.0" in info["layer_metadata"]["ATTRIBUTION"]
    import sqlite3

    with sqlite3.connect(gpkg) as db:
        assert db.execute("SELECT count(*) FROM gpkg_metadata").fetchone()[0] >= 1

    shp = save(client.get(f"/exports/factories.shp?bbox={BBOX}"), tmp_path, "p.zip")
    with zipfile.ZipFile(shp) as z:
        names = set(z.namelist())
        assert {"factories.shp", "factories.shx", "factories.dbf", "factories.prj", "factories.cpg",
                "metadata.json"} <= names
        assert z.read("factories.cpg").decode().strip().upper().replace("-", "") == "UTF8"
        m = json.loads(z.read("metadata.json"))
        assert m["shapefile_fields"]["violation_count"] == "violation_"

    kml = client.get(f"/exports/factories.kml?bbox={BBOX}").data.decode()
    assert "<ExtendedData><Data name=\"provenance\">" in kml and "CC BY 4.0" in kml

    fgb = save(client.get(f"/exports/factories.fgb?bbox={BBOX}"), tmp_path, "p.fgb")
    assert "PROVENANCE" in pyogrio.read_info(fgb)["layer_metadata"]


def test_csv_bom_for_excel(client):
    with_bom = client.get(f"/exports/factories.csv?bbox={BBOX}&bom=true").data
    without = client.get(f"/exports/factories.csv?bbox={BBOX}").data
    assert with_bom.startswith(b"\xef\xbb\xbf") and not without.startswith(b"\xef\xbb\xbf")
    assert with_bom[3:].split(b"\r\n")[0] == b"lon,lat,wkt,id,name_zh,name_en,industry,violation_count," \
                                             b"latest_violation,status,key_monitored,synthetic," \
                                             b"location_precision"


def test_filters_match_the_database(client, conn):
    def ids(url):
        return {f["id"] for f in json.loads(client.get(url).data)["features"]}

    cement = ids("/exports/factories.geojson?industry=cement")
    assert cement == set(db_factories(conn, "f.industry = 'cement'"))
    opened = ids(f"/exports/factories.geojson?status=open&bbox={BBOX}")
    assert opened and opened == {k for k, v in in_beijing(conn).items() if v[4] == "open"}
    window = ids("/exports/factories.geojson?since=2020-01-01&until=2020-12-31")
    assert window == {r[0] for r in conn.execute(
        "SELECT DISTINCT facility_id FROM violations WHERE status <> 'removed' "
        "AND violation_date BETWEEN '2020-01-01' AND '2020-12-31'")}
    triangle = {"type": "Polygon", "coordinates": [[[116, 39.5], [117, 39.5], [116.5, 40.5], [116, 39.5]]]}
    from urllib.parse import quote

    inside = ids("/exports/factories.geojson?polygon=" + quote(json.dumps(triangle)))
    assert inside == set(db_factories(conn, "ST_Intersects(f.geom, ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))",
                                      json.dumps(triangle)))
    assert inside
    area = ids("/exports/factories.geojson?area=110000")
    assert area and area == set(db_factories(
        conn, "ST_Intersects(f.geom, (SELECT geom FROM admin_areas WHERE code = '110000'))"))
    provinces = json.loads(client.get("/exports/carbon.geojson?area=110000").data)["features"]
    assert [f["properties"]["code"] for f in provinces] == ["110000"]  # neighbours sharing a border are out


def test_private_supplier_links_never_leave(client, conn, db_url):
    import psycopg

    with psycopg.connect(db_url) as c:
        fid = scalar(c, "SELECT min(id) FROM facilities f WHERE NOT EXISTS "
                        "(SELECT 1 FROM brand_facility_links l WHERE l.facility_id = f.id)")
        brand, list_id = c.execute("SELECT brand_id, id FROM supplier_lists ORDER BY id LIMIT 1").fetchone()
        link = c.execute("INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, "
                         "dataset_id) VALUES (%s, %s, %s, 'processing', false, 'synthetic-demo') "
                         "RETURNING id",
                         (brand, fid, list_id)).fetchone()[0]
        c.commit()
    try:
        geo = json.loads(client.get("/exports/suppliers.geojson").data)
        assert fid not in {f["properties"]["facility_id"] for f in geo["features"]}
        csv_text = client.get("/exports/suppliers.csv").data.decode()
        assert not any(line.split(",")[3] == str(fid) for line in csv_text.splitlines()[1:])
        assert client.get(f"/ogc/collections/suppliers/items/{fid}").status_code == 404
        page = client.get("/ogc/collections/suppliers/items?limit=10000").json
        assert fid not in {f["id"] for f in page["features"]}
        public = scalar(conn, "SELECT count(DISTINCT facility_id) FROM brand_facility_links "
                              "WHERE is_public AND active")
        assert len(geo["features"]) == public
    finally:
        with psycopg.connect(db_url) as c:
            c.execute("DELETE FROM brand_facility_links WHERE id = %s", (link,))


@pytest.mark.parametrize("url, status, words", [
    ("/exports/nowhere.geojson", 404, "unknown layer"),
    ("/exports/basemap.geojson", 404, "Natural Earth"),
    ("/exports/factories.xlsx", 400, "unknown format"),
    ("/exports/factories", 404, "{layer}.{format}"),
    ("/exports/factories.geojson?bbox=1,2,3", 400, "4 comma-separated"),
    ("/exports/factories.geojson?bbox=a,b,c,d", 400, "numbers"),
    ("/exports/factories.geojson?bbox=-200,10,20,30", 400, "-180..180"),
    ("/exports/factories.geojson?bbox=10,-95,20,30", 400, "-90..90"),
    ("/exports/factories.geojson?bbox=120,30,110,40", 400, "west < east"),
    ("/exports/factories.geojson?polygon=notjson", 400, "GeoJSON"),
    ("/exports/factories.geojson?polygon=%7B%22type%22%3A%22Point%22%2C%22coordinates%22%3A%5B1%2C2%5D%7D",
     400, "Polygon"),
    ("/exports/factories.geojson?polygon=%7B%22type%22%3A%22Polygon%22%2C%22coordinates%22%3A%5B%5B%5B0%2C0%5D%2C"
     "%5B1%2C1%5D%2C%5B1%2C0%5D%2C%5B0%2C1%5D%2C%5B0%2C0%5D%5D%5D%7D", 400, "not valid"),
    ("/exports/factories.geojson?area=11", 400, "6-digit"),
    ("/exports/factories.geojson?area=999999", 400, "no area"),
    ("/exports/factories.geojson?status=bogus", 400, "status"),
    ("/exports/factories.geojson?since=2020-13-01", 400, "date"),
    ("/exports/factories.geojson?since=2021-01-01&until=2020-01-01", 400, "after"),
    ("/exports/factories.geojson?colour=red", 400, "no filter 'colour'"),
    ("/exports/factories.geojson?bom=true", 400, "no filter 'bom'"),
    ("/exports/factories.csv?bom=maybe", 400, "bom"),
    ("/exports/factories.png?width=100000", 400, "width"),
    ("/exports/factories.pmtiles?minzoom=9&maxzoom=3", 400, "minzoom"),
])
def test_bad_requests_are_4xx_json(client, url, status, words):
    resp = client.get(url)
    assert resp.status_code == status, resp.data
    assert words in resp.json["error"]


@pytest.mark.parametrize("url", [
    "/tiles/carbon/4/13/6.mvt?year=2147483648",
    "/tiles/carbon/4/13/6.mvt?year=-2147483649",
    "/exports/carbon.csv?year=2147483648",
    "/exports/carbon.geojson?year=99999999999999999999",
    "/exports/carbon.metadata.json?year=2147483648",
    "/ogc/collections/carbon/items?year=2147483648",
])
def test_integer_filters_beyond_the_column_type_are_400_before_any_byte(client, url):
    """An `integer` column's range bounds every int filter: refused up front, never a 500 or a 200 cut short."""
    resp = client.get(url)
    assert resp.status_code == 400, resp.data[:300]
    assert "year must be an integer from -2147483648 to 2147483647" in resp.json["error"]
    assert client.get("/exports/carbon.csv?year=2147483647").status_code == 200  # in range: a valid, empty year


@pytest.fixture()
def small_app(settings):
    """The app with a 10-row limit for direct exports."""
    from app import create_app

    application = create_app(settings.model_copy(update={"export_max_rows": 10, "export_max_tiles": 3}))
    yield application
    application.extensions["pool"].close()


def test_large_export_is_413_with_a_job_offer(small_app, conn):
    """Jobs themselves are tested in test_export_jobs.py."""
    client = small_app.test_client()
    resp = client.get(f"/exports/factories.gpkg?bbox={BBOX}")
    assert resp.status_code == 413
    offer = resp.json
    n = len(in_beijing(conn))
    assert offer["rows"] == n and offer["limit"] == 10 and "job" in offer["error"]
    assert offer["job"]["body"] == {"layer": "factories", "format": "gpkg", "filters": {"bbox": BBOX}}
    assert client.get("/exports/factories.pmtiles").status_code == 413


def test_cli_export_with_progress(settings, conn, tmp_path):
    out = tmp_path / "cli.gpkg"
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir)}
    res = subprocess.run([sys.executable, "-m", "ops.cli", "export", "factories", "--format", "gpkg",
                          "--bbox", BBOX, "-f", "industry=power_coal", "-o", str(out)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    n = len(db_factories(conn, "f.industry = 'power_coal' "
                               "AND f.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
                         *BEIJING))
    assert f"{n} rows written" in res.stdout
    assert len(pyogrio.read_dataframe(out, layer="factories")) == n
    csv_out = tmp_path / "cli.csv"
    res = subprocess.run([sys.executable, "-m", "ops.cli", "export", "air_stations", "--format", "csv",
                          "-o", str(csv_out)], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "cli.csv.metadata.json").read_text())["layer"] == "air_stations"
    bad = subprocess.run([sys.executable, "-m", "ops.cli", "export", "factories", "--bbox", "1,2", "-o",
                          str(out)], capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode != 0 and "bbox" in bad.stderr


def test_png_map_view(client):
    from PIL import Image

    resp = client.get(f"/exports/factories.png?bbox={BBOX}&width=640&height=480&status=open")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/png"
    img = Image.open(io.BytesIO(resp.data))
    assert img.size == (640, 480)
    colours = {c for _, c in img.convert("RGB").getcolors(1 << 20)}
    assert (0xd7, 0x30, 0x1f) in colours or any(abs(r - 0xd7) < 8 and g < 80 for r, g, b in colours)
    carbon = Image.open(io.BytesIO(client.get("/exports/carbon.png?width=300&height=200").data))
    assert carbon.size == (300, 200)


def test_html_map_is_standalone(client, conn):
    resp = client.get("/exports/air_stations.html")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html")
    html = resp.data.decode()
    start = html.index('<script type="application/json" id="bluemap-metadata">') + 54
    meta = json.loads(html[start:html.index("</script>", start)])
    assert meta["layer"] == "air_stations" and meta["rows"] == scalar(
        conn, "SELECT count(*) FROM stations WHERE kind = 'air'")
    assert "bluemap-legend" in html and "CC BY 4.0" in html
    assert "offline" in meta
    if "embedded" in meta["offline"]:
        assert "cdn.jsdelivr.net" not in html and "code.jquery.com" not in html


def _pmtiles_tile(blob: bytes, z: int, x: int, y: int) -> bytes | None:
    """A minimal PMTiles v3 reader: the tile's bytes, via the root and leaf directories."""
    h = pmtiles.read_header(blob)
    assert h["magic"] == b"PMTiles" and h["version"] == 3

    def varints(buf, pos):
        v = shift = 0
        while True:
            b = buf[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v, pos

    def directory(raw):
        buf = gzip.decompress(raw)
        n, pos = varints(buf, 0)
        cols = []
        for _ in range(4):
            col = []
            for _ in range(n):
                v, pos = varints(buf, pos)
                col.append(v)
            cols.append(col)
        ids, runs, lengths, offsets = cols
        out, tid, prev_end = [], 0, 0
        for i in range(n):
            tid += ids[i]
            off = prev_end if offsets[i] == 0 and i > 0 else offsets[i] - 1
            prev_end = off + lengths[i]
            out.append((tid, off, lengths[i], runs[i]))
        return out

    want = pmtiles.tile_id(z, x, y)
    entries = directory(blob[h["root_offset"]:h["root_offset"] + h["root_length"]])
    for _ in range(4):
        hit = None
        for tid, off, length, run in entries:
            if tid <= want:
                hit = (tid, off, length, run)
        if hit is None:
            return None
        tid, off, length, run = hit
        if run == 0:
            start = h["leaf_offset"] + off
            entries = directory(blob[start:start + length])
            continue
        if want >= tid + run:
            return None
        start = h["data_offset"] + off
        return gzip.decompress(blob[start:start + length])
    return None


def test_pmtiles_archive_holds_the_rendered_tiles(client, conn, tmp_path):
    from tiles.render import render

    resp = client.get("/exports/factories.pmtiles?area=110000&minzoom=5&maxzoom=9")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/vnd.pmtiles"
    blob = resp.data
    h = pmtiles.read_header(blob)
    assert (h["min_zoom"], h["max_zoom"], h["tile_type"], h["tile_compression"]) == (5, 9, 1, 2)
    assert h["addressed_tiles"] >= 5 and h["clustered"] == 1
    meta = json.loads(gzip.decompress(blob[h["metadata_offset"]:h["metadata_offset"] + h["metadata_length"]]))
    assert meta["vector_layers"][0]["id"] == "factories" and "CC BY 4.0" in meta["attribution"]
    import mercantile

    from layers.registry import LAYERS

    within = pmtiles._keep_selected(conn, selection.source(conn, selection.parse("factories", {"area": "110000"})))
    for z in (5, 7, 9):
        t = mercantile.tile(116.4, 39.9, z)
        expected = render(conn, LAYERS.get("factories"), z, t.x, t.y, {}, within)
        assert _pmtiles_tile(blob, z, t.x, t.y) == expected
    path = tmp_path / "b.pmtiles"
    path.write_bytes(blob)
    info = pyogrio.read_info(path, layer="factories")  # GDAL's own PMTiles reader
    assert info["features"] > 0


def test_pmtiles_leaf_directories():
    import random

    rnd = random.Random(6)
    entries, tid, off = [], 0, 0
    for _ in range(60_000):
        tid += rnd.randint(1, 50)
        length = rnd.randint(50, 5000)
        entries.append(pmtiles.Entry(tid, off, length, 1))
        off += length
    root, leaves = pmtiles.build_directories(entries)
    assert pmtiles.HEADER_LEN + len(root) <= 16_384 and leaves
    blob = bytearray(pmtiles.HEADER_LEN) + root + leaves
    import struct

    struct.pack_into("<7sBQQQQQQQQ", blob, 0, b"PMTiles", 3, pmtiles.HEADER_LEN, len(root), 0, 0,
                     pmtiles.HEADER_LEN + len(root), len(leaves), len(blob), 0)
    blob += bytes(off)  # tile data of zeros: not gzip, so look the entry up only
    h = pmtiles.read_header(bytes(blob))
    assert h["leaf_length"] == len(leaves) and h["root_length"] == len(root)


def test_html_map_embeds_leaflet_when_installed(client, tmp_path, monkeypatch):
    from exports import maps

    (tmp_path / "leaflet.js").write_text("window.L = {version: 'test \\\\ backslash'};")
    (tmp_path / "leaflet.css").write_text(".leaflet-container{}")
    monkeypatch.setattr(maps, "LEAFLET_DIRS", (tmp_path,))
    html = client.get("/exports/water_stations.html").data.decode()
    assert "window.L = {version: 'test \\\\ backslash'};" in html and ".leaflet-container{}" in html
    assert "cdn.jsdelivr.net/npm/leaflet" not in html and "code.jquery.com" not in html
    assert "Leaflet is embedded" in html


@pytest.mark.parametrize("query", ["area=110000", f"bbox={BBOX}&industry=power_coal"])
def test_pmtiles_tiles_hold_only_the_selection(client, conn, query):
    """Every zoom's clusters add up to the GeoJSON export of the same selection, not to the whole layer."""
    import mapbox_vector_tile

    expected = len(client.get(f"/exports/factories.geojson?{query}").json["features"])
    assert 0 < expected < scalar(conn, "SELECT count(*) FROM facilities")
    blob = client.get(f"/exports/factories.pmtiles?{query}&minzoom=0&maxzoom=6").data
    h = pmtiles.read_header(blob)
    w, s, e, n = (h[k] / 1e7 for k in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7"))
    import mercantile

    for z in range(7):
        counts = 0
        for t in mercantile.tiles(w, s, e, n, [z]):
            raw = _pmtiles_tile(blob, z, t.x, t.y)
            if raw:
                layer = mapbox_vector_tile.decode(raw)["factories"]
                counts += sum(f["properties"]["count"] for f in layer["features"])
        assert counts == expected, (z, query)


VALIDATE_GPKG = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")


@pytest.mark.parametrize("layer,query", [("factories", f"?bbox={BBOX}"), ("carbon", "?year=2020")])
def test_geopackage_passes_gdal_validator(client, tmp_path, layer, query):
    """GDAL's validate_gpkg.py (run by Debian's python3, which has the osgeo bindings) finds nothing."""
    if not VALIDATE_GPKG.exists():
        pytest.fail("validate_gpkg.py is missing: scripts/system-deps.sh test installs python3-gdal")
    resp = client.get(f"/exports/{layer}.gpkg{query}")
    assert resp.status_code == 200, resp.data[:300]
    path = tmp_path / f"{layer}.gpkg"
    path.write_bytes(resp.data)
    run = subprocess.run(["/usr/bin/python3", str(VALIDATE_GPKG), "-k", "--extra", "--warning-as-error", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "bluemap_metadata" in [name for name, _ in pyogrio.list_layers(path)]


def test_csv_cells_that_would_run_as_formulas_are_quoted(conn):
    """OWASP CSV injection: text starting with = + - @ tab CR gets a leading quote; numbers stay numbers."""
    import csv

    from exports import writers

    names = ["=HYPERLINK(\"http://x.example\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\tTab", "\rCR",
             "Plain name", "a=b"]
    for i, name in enumerate(names):
        conn.execute("""INSERT INTO facilities (dataset_id, ext_id, name_en, name_zh, industry, geom)
                        VALUES ('synthetic-demo', %s, %s, %s, 'other', ST_SetSRID(ST_MakePoint(%s, -0.5), 4326))""",
                     (f"formula-{i}", name, name, -1 - i / 100))
    src = selection.source(conn, selection.parse("factories", {"bbox": "-2,-1,-0.9,0"}))
    text = b"".join(writers.csv_stream(conn, src)).decode()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(names)
    by_lon = sorted(rows, key=lambda r: -float(r["lon"]))
    for name, row in zip(names, by_lon, strict=True):
        expected = name if name[0] not in "=+-@\t\r" else "'" + name
        assert row["name_en"] == expected and row["name_zh"] == expected, row
        assert row["lat"] == "-0.5" and row["lon"].startswith("-")  # numbers: no quote
        assert row["violation_count"] == "0" and row["wkt"].startswith("POINT(")


@pytest.mark.parametrize("size", [(640, 480), (400, 900)])
def test_png_map_shows_the_whole_area_and_names_it(client, conn, size):
    """The area's outline lies inside the image, clear of the title bar and the attribution; the title names it."""
    from PIL import Image

    from exports.map_png import AREA_OUTLINE, _title_height

    width, height = size
    resp = client.get(f"/exports/factories.png?area=130000&width={width}&height={height}")
    assert resp.status_code == 200
    img = Image.open(io.BytesIO(resp.data))
    name_zh, name_en = conn.execute("SELECT name_zh, name_en FROM admin_areas WHERE code = '130000'").fetchone()
    assert name_en in img.info["Title"] and name_zh in img.info["Title"] and "130000" not in img.info["Title"]
    rgb = img.convert("RGB")
    target = tuple(int(AREA_OUTLINE[i:i + 2], 16) for i in (1, 3, 5))
    xs, ys = [], []
    for y in range(height):
        for x in range(width):
            if rgb.getpixel((x, y)) == target:
                xs.append(x)
                ys.append(y)
    assert xs, "the area's outline is drawn"
    assert min(xs) > 0 and max(xs) < width - 1
    assert min(ys) > _title_height(width) and max(ys) < height - 20  # above the attribution strip
