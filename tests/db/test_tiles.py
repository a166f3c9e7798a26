"""Vector tiles decoded and compared with the database; HTTP semantics; every bad request answered 4xx."""

import gzip
import time

import mapbox_vector_tile
import mercantile
import pytest

from layers.registry import LAYERS

EXTENT = 4096


def decode(resp):
    assert resp.status_code == 200, resp.data
    data = resp.data
    if resp.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return mapbox_vector_tile.decode(data)


def features(client, layer, z, x, y, query=""):
    r = client.get(f"/tiles/{layer}/{z}/{x}/{y}.mvt{query}")
    if r.status_code == 204:
        return []
    return decode(r).get(layer, {"features": []})["features"]


def scalar(conn, sql, *args):
    return conn.execute(sql, args).fetchone()[0]


def inside(feature):
    x, y = feature["geometry"]["coordinates"]
    return 0 <= x < EXTENT and 0 <= y <= EXTENT


def test_catalog_and_tilejson_come_from_the_registry(client):
    cat = client.get("/tiles").json
    assert [la["id"] for la in cat["layers"]] == LAYERS.ids()
    assert {"factories", "suppliers", "carbon", "air_stations", "water_stations", "basemap"} <= set(LAYERS.ids())
    tj = client.get("/tiles/factories.json").json
    assert tj["tilejson"] == "3.0.0"
    assert tj["tiles"][0].split("?")[0].endswith("/tiles/factories/{z}/{x}/{y}.mvt")
    assert set(LAYERS.get("factories").properties) <= set(tj["vector_layers"][0]["fields"])
    assert "CC BY 4.0" in tj["attribution"] and "synthetic" in tj["attribution"]
    assert client.get("/tiles/factories.json").headers["Access-Control-Allow-Origin"] == "*"


def test_z0_clusters_add_up_to_the_whole_layer(client, conn):
    total = scalar(conn, "SELECT count(*) FROM facilities WHERE private_to_brand IS NULL")  # (0009: hidden)
    feats = features(client, "factories", 0, 0, 0)
    assert sum(f["properties"]["count"] for f in feats) == total
    assert sum(f["properties"]["violation_count"] for f in feats) == scalar(
        conn, "SELECT sum(violation_count) FROM facilities WHERE private_to_brand IS NULL")
    for f in feats:
        assert set(f["properties"]) <= set(LAYERS.get("factories").cluster_properties)


@pytest.mark.parametrize("query,where", [
    ("?industry=cement", "industry = 'cement'"),
    ("?industry=cement,steel", "industry IN ('cement', 'steel')"),
    ("?status=open", "worst_status = 'open'"),
    ("?key_monitored=true", "key_monitored"),
    ("?status=open,explained&industry=power_coal", "worst_status IN ('open', 'explained') AND industry = 'power_coal'"),
])
def test_filters_apply_to_cluster_counts(client, conn, query, where):
    # (facilities made from a brand's private list rows alone are hidden: 0009)
    expected = scalar(conn, f"SELECT count(*) FROM facilities WHERE ({where}) AND private_to_brand IS NULL")
    assert expected > 0
    assert sum(f["properties"]["count"] for f in features(client, "factories", 0, 0, 0, query)) == expected


def test_date_window_counts_only_records_inside_it(client, conn):
    expected_facilities, expected_records = conn.execute("""
        SELECT count(DISTINCT facility_id), count(*) FROM violations
        WHERE status <> 'removed' AND violation_date BETWEEN '2020-01-01' AND '2021-12-31'""").fetchone()
    feats = features(client, "factories", 0, 0, 0, "?since=2020-01-01&until=2021-12-31")
    assert sum(f["properties"]["count"] for f in feats) == expected_facilities
    assert sum(f["properties"]["violation_count"] for f in feats) == expected_records


def test_clusters_of_the_children_add_up_to_the_parent(client):
    parent = sum(f["properties"]["count"] for f in features(client, "factories", 3, 6, 3))
    children = sum(f["properties"]["count"] for t in mercantile.children(mercantile.Tile(6, 3, 3))
                   for f in features(client, "factories", t.z, t.x, t.y))
    assert parent == children > 0


def test_high_zoom_points_match_the_database(client, conn):
    t = None
    # The densest z12 tile around Beijing holding facilities.
    lon, lat = conn.execute("""SELECT ST_X(geom), ST_Y(geom) FROM facilities
                               WHERE geom && ST_MakeEnvelope(115.5, 39.4, 117.5, 40.6, 4326) LIMIT 1""").fetchone()
    t = mercantile.tile(lon, lat, 13)
    b = mercantile.xy_bounds(t)
    expected = scalar(conn, """SELECT count(*) FROM facilities WHERE ST_X(ST_Transform(geom, 3857)) >= %s
                               AND ST_X(ST_Transform(geom, 3857)) < %s AND ST_Y(ST_Transform(geom, 3857)) > %s
                               AND ST_Y(ST_Transform(geom, 3857)) <= %s""", b.left, b.right, b.bottom, b.top)
    feats = [f for f in features(client, "factories", t.z, t.x, t.y) if inside(f)]
    assert len(feats) == expected > 0
    declared = set(LAYERS.get("factories").properties)
    for f in feats:
        assert set(f["properties"]) <= declared
        assert {"id", "industry", "status", "violation_count", "synthetic", "key_monitored"} <= set(f["properties"])
        assert f["id"] == f["properties"]["id"]


def test_carbon_polygons_with_classes(client, conn):
    feats = features(client, "carbon", 0, 0, 0)
    assert len(feats) == scalar(conn, "SELECT count(DISTINCT area_code) FROM area_carbon WHERE year = 2020")
    assert {f["properties"]["class"] for f in feats} == {1, 2, 3, 4, 5}
    assert all(f["properties"]["year"] == 2020 for f in feats)
    per_cap = features(client, "carbon", 0, 0, 0, "?year=2019&metric=co2_per_capita_t&scheme=natural_breaks")
    assert all(f["properties"]["value"] == pytest.approx(f["properties"]["co2_per_capita_t"], abs=1e-3)
               for f in per_cap)
    # Inner Mongolia's per-capita CO2 is among the highest in China.
    nm = next(f for f in per_cap if f["properties"]["code"] == "150000")
    assert nm["properties"]["class"] == 5


def test_suppliers_layer_shows_public_links_only(client, conn):
    fid = conn.execute("""INSERT INTO facilities (dataset_id, ext_id, name_en, industry, geom)
                          VALUES ('osh-fixture-lists', 'test-private', 'Private supplier', 'apparel',
                                  ST_SetSRID(ST_MakePoint(121.47, 31.23), 4326)) RETURNING id""").fetchone()[0]
    brand, lst = conn.execute("SELECT brand_id, id FROM supplier_lists ORDER BY id LIMIT 1").fetchone()
    conn.execute("""INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, dataset_id)
                    VALUES (%s, %s, %s, 'direct_supplier', false, 'osh-fixture-lists')""", (brand, fid, lst))
    conn.execute("UPDATE data_version SET version = version + 1")
    conn.commit()
    try:
        public = scalar(conn, """SELECT count(DISTINCT facility_id) FROM brand_facility_links
                                 WHERE is_public AND active""")
        # z3 is clustered (layers/suppliers.py CLUSTER_BELOW): the counts add up to the public suppliers there.
        tiles = list(mercantile.tiles(73, 17, 135.5, 54, [3]))
        shown = sum(f["properties"]["count"] for t in tiles for f in features(client, "suppliers", t.z, t.x, t.y))
        w, s = mercantile.bounds(min(t.x for t in tiles), max(t.y for t in tiles), 3)[:2]
        e, n = mercantile.bounds(max(t.x for t in tiles), min(t.y for t in tiles), 3)[2:]
        in_tiles = scalar(conn, """SELECT count(DISTINCT l.facility_id) FROM brand_facility_links l
            JOIN facilities f ON f.id = l.facility_id WHERE l.is_public AND l.active
            AND ST_Intersects(f.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))""", w, s, e, n)
        assert shown == in_tiles <= public
        t = mercantile.tile(121.47, 31.23, 14)
        assert fid not in {f["properties"]["facility_id"] for f in features(client, "suppliers", 14, t.x, t.y)}
    finally:
        conn.execute("DELETE FROM brand_facility_links WHERE facility_id = %s", (fid,))
        conn.execute("DELETE FROM facilities WHERE id = %s", (fid,))
        conn.execute("UPDATE data_version SET version = version + 1")
        conn.commit()


def test_several_layers_in_one_tile(client):
    r = client.get("/tiles/factories,basemap,air_stations/5/26/12.mvt")
    layers = decode(r)
    assert {"factories", "basemap", "air_stations"} == set(layers)


def test_http_etag_304_gzip_cors(client, conn):
    lon, lat = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM facilities ORDER BY id LIMIT 1").fetchone()
    t = mercantile.tile(lon, lat, 12)
    url = f"/tiles/factories/{t.z}/{t.x}/{t.y}.mvt"
    r = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip"
    assert r.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert r.headers["Access-Control-Allow-Origin"] == "*" and "no-cache" in r.headers["Cache-Control"]
    etag = r.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith('W/')
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and plain.headers["ETag"] != etag
    assert gzip.decompress(r.data) == plain.data


def test_empty_tile_is_204(client):
    r = client.get("/tiles/factories/8/0/0.mvt")
    assert r.status_code == 204 and r.data == b""


@pytest.mark.parametrize("url,status,reason", [
    ("/tiles/nope/0/0/0.mvt", 404, "unknown layer"),
    ("/tiles/factories,nope/0/0/0.mvt", 404, "unknown layer"),
    ("/tiles/factories/a/0/0.mvt", 400, "integers"),
    ("/tiles/factories/1/2/0.mvt", 400, "does not exist"),
    ("/tiles/factories/1/-1/0.mvt", 400, "does not exist"),
    ("/tiles/factories/23/0/0.mvt", 400, "zoom"),
    ("/tiles/factories/0/0/0.mvt?industry=spaceships", 400, "industry"),
    ("/tiles/factories/0/0/0.mvt?since=yesterday", 400, "since"),
    ("/tiles/factories/0/0/0.mvt?key_monitored=maybe", 400, "key_monitored"),
    ("/tiles/factories/0/0/0.mvt?colour=red", 400, "colour"),
    ("/tiles/carbon/0/0/0.mvt?metric=happiness", 400, "metric"),
    ("/tiles/carbon/0/0/0.mvt?year=twenty", 400, "year"),
    ("/tiles/nope.json", 404, "unknown layer"),
])
def test_bad_requests_are_4xx_json(client, url, status, reason):
    r = client.get(url)
    assert r.status_code == status
    assert reason in r.json["error"]


def test_new_violation_shows_in_the_next_tile(client, conn, tmp_path):
    from ingest.files import load_csv

    fid, ext, lon, lat, n = conn.execute("""
        SELECT id, ext_id, ST_X(geom), ST_Y(geom), violation_count FROM facilities
        WHERE dataset_id = 'sfi-cement-steel' ORDER BY id LIMIT 1""").fetchone()
    t = mercantile.tile(lon, lat, 14)

    def count_in_tile():
        feats = features(client, "factories", 14, t.x, t.y)
        return next(f["properties"]["violation_count"] for f in feats if f["properties"]["id"] == fid)

    assert count_in_tile() == n  # now cached
    path = tmp_path / "v.csv"
    path.write_text("facility_ext_id,date,authority,category\n"
                    f"{ext},2025-11-01,测试市生态环境局,超标排放大气污染物\n", encoding="utf-8")
    report = load_csv(conn, "violations", path, dataset_id="upload-tile-test")
    assert report.committed and report.inserted == 1
    deadline = time.monotonic() + 3
    while count_in_tile() != n + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert count_in_tile() == n + 1
    # The low-zoom clusters (pre-aggregated cells) count it too.
    z3 = mercantile.tile(lon, lat, 3)
    assert sum(f["properties"]["violation_count"] for f in features(client, "factories", 3, z3.x, z3.y)) == scalar(
        conn, """SELECT sum(violation_count) FROM facilities WHERE geom && ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s,
                 3857), 4326) AND private_to_brand IS NULL""", *mercantile.xy_bounds(z3))


def _clusters(conn, z, x, y, mode, filters=None):
    """Cluster features of one factories tile rendered with the given mode's SQL."""
    from tiles.render import params
    from tiles.sql import build_query

    layer = LAYERS.get("factories")
    filters = filters or {}
    row = conn.execute(build_query(layer, mode, frozenset(filters)), params(layer, z, x, y) | filters).fetchone()
    data = bytes(row[0]) if row and row[0] else b""
    feats = mapbox_vector_tile.decode(data).get("factories", {"features": []})["features"] if data else []
    return sorted((tuple(sorted(f["properties"].items())), tuple(f["geometry"]["coordinates"])) for f in feats)


@pytest.mark.parametrize("filters,where", [({}, "true"), ({"status": ["open", "explained"]}, "worst_status = 'open'"),
                                           ({"key_monitored": True}, "key_monitored")])
def test_pre_aggregated_cells_equal_the_live_clusters(conn, filters, where):
    lon, lat = conn.execute(
        f"SELECT ST_X(geom), ST_Y(geom) FROM facilities WHERE {where} ORDER BY id LIMIT 1").fetchone()
    for z in range(0, LAYERS.get("factories").cluster_below):
        t = mercantile.tile(lon, lat, z)
        live = _clusters(conn, t.z, t.x, t.y, "clusters", filters)
        cells = _clusters(conn, t.z, t.x, t.y, "cells", filters)
        assert live and [p for p, _ in cells] == [p for p, _ in live], (z, filters)
        # Positions may differ by a unit where a mean falls on a pixel boundary (sums added in another order).
        for (_, a), (_, b) in zip(cells, live, strict=True):
            assert abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1


def test_cells_are_used_while_clean_and_cover_every_facility_once(conn):
    from tiles.render import tile_mode

    layer = LAYERS.get("factories")
    assert tile_mode(conn, layer, 3, frozenset()) == "cells"
    assert tile_mode(conn, layer, 3, frozenset({"status"})) == "cells"
    assert tile_mode(conn, layer, 3, frozenset({"industry"})) == "clusters"
    assert tile_mode(conn, layer, 3, frozenset({"since"})) == "clusters"
    assert tile_mode(conn, layer, layer.cluster_below, frozenset()) == "points"
    total = scalar(conn, "SELECT count(*) FROM facilities WHERE private_to_brand IS NULL")
    for z in (4, layer.cluster_below - 1):
        assert scalar(conn, "SELECT sum(n) FROM facility_cells WHERE z = %s", z) == total
    # Every facility is in exactly one z4 tile: the tiles' clusters add up to the whole layer.
    assert sum(c for (_, c) in conn.execute(
        "SELECT cx / 16 * 16 + cy / 16, sum(n) FROM facility_cells WHERE z = 4 GROUP BY 1").fetchall()) == total
    # A change to a facility updates the cells at once, in its own transaction.
    fid, lon, lat = conn.execute("""SELECT id, ST_X(geom), ST_Y(geom) FROM facilities WHERE NOT key_monitored
                                    ORDER BY id LIMIT 1""").fetchone()
    conn.execute("UPDATE facilities SET key_monitored = true, worst_status = 'open' WHERE id = %s", (fid,))
    conn.execute("""INSERT INTO facilities (dataset_id, ext_id, name_en, industry, geom)
                    VALUES ('synthetic-demo', 'cells-test', 'Cells test', 'other',
                            ST_SetSRID(ST_MakePoint(%s + 0.001, %s), 4326))""", (lon, lat))
    assert tile_mode(conn, layer, 3, frozenset()) == "cells"
    assert scalar(conn, "SELECT sum(n) FROM facility_cells WHERE z = 11") == total + 1
    for z in (5, 11):
        t = mercantile.tile(lon, lat, z)
        for filters in ({}, {"key_monitored": True}, {"status": ["open"]}):
            assert [p for p, _ in _clusters(conn, z, t.x, t.y, "cells", filters)] == \
                [p for p, _ in _clusters(conn, z, t.x, t.y, "clusters", filters)]
    # Marked dirty (as a bulk load or a TRUNCATE does), tiles use the live aggregate until the version bump.
    conn.execute("UPDATE facility_cells_state SET dirty = true")
    assert tile_mode(conn, layer, 3, frozenset()) == "clusters"
    from db.staging import bump_data_version

    bump_data_version(conn)
    assert tile_mode(conn, layer, 3, frozenset()) == "cells"
    assert scalar(conn, "SELECT count(*) FROM facility_cells WHERE n = 0") == 0


def _edge_point(kind):
    """A z5 point on one kind of tile edge (or world edge) and the tiles whose envelopes touch it."""
    # z5 tile 24 | 25 share lon 101.25; rows 12 | 13 share the latitude of tile 13's top edge.
    lat_mid, lon_mid = 36.0, 106.0  # inside z5 tile (25, 12)
    assert mercantile.tile(lon_mid, lat_mid, 5) == mercantile.Tile(25, 12, 5)
    lat_edge = mercantile.ul(25, 13, 5).lat
    world = mercantile.ul(0, 0, 5).lat
    return {
        "vertical": ((101.25, lat_mid), [(24, 12), (25, 12)]),
        "horizontal": ((lon_mid, lat_edge), [(25, 12), (25, 13)]),
        "corner": ((101.25, lat_edge), [(24, 12), (25, 12), (24, 13), (25, 13)]),
        "world west": ((-180.0, lat_mid), [(0, 12), (31, 12)]),
        "world east": ((180.0, lat_mid), [(0, 12), (31, 12)]),
        "world north": ((lon_mid, world), [(25, 0)]),
        "world south": ((lon_mid, -world), [(25, 31)]),
    }[kind]


@pytest.mark.parametrize("kind", ["vertical", "horizontal", "corner", "world west", "world east", "world north",
                                  "world south"])
@pytest.mark.parametrize("mode,filters", [("clusters", {"industry": ["power_hydro"]}), ("clusters", {}),
                                          ("cells", {})])
def test_a_point_on_a_tile_edge_is_counted_in_exactly_one_tile(conn, kind, mode, filters):
    (lon, lat), tiles = _edge_point(kind)

    def total():
        return sum(dict(p)["count"] for x, y in tiles for p, _ in _clusters(conn, 5, x, y, mode, filters))

    before = total()
    conn.execute("""INSERT INTO facilities (dataset_id, ext_id, name_en, industry, geom)
                    VALUES ('synthetic-demo', 'edge-test', 'Edge test', 'power_hydro',
                            ST_SetSRID(ST_MakePoint(%s, %s), 4326))""", (lon, lat))
    assert total() == before + 1, (kind, mode)
