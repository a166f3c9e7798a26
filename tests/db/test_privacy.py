"""Private supplier links are seen by the brand's own users and admins only: probed from every surface (tiles,
/api/*, pages, search, near, exports, OGC, reports, and every other GET endpoint the app has) by an anonymous
visitor and by a user of another brand, with the brand's own user as the control that the probes can see."""

from __future__ import annotations

import gzip
import io
import random
import re
import time

import mapbox_vector_tile
import mercantile
import psycopg
import pytest

from supply import lists as sl
from tests.supply_helpers import csv_bytes, login, make_brand, make_user, unique

VIEWERS = ("anonymous", "other_brand")


def _spot():
    return round(random.uniform(98, 103), 6), round(random.uniform(24, 28), 6)  # Yunnan, away from the rest


@pytest.fixture(scope="module")
def world(app, db_url):
    """Brand P with private links (a new facility S1; S3, a demo facility other brands list publicly) and
    public ones (S2, S4); chain S4 -> S2 -> S1 (S2 -> S1 is private: its buyer is). Brand Q, an admin."""
    p_id, p_slug = make_brand(db_url, "privtest")
    q_id, q_slug = make_brand(db_url, "othertest")
    users = {"own": make_user(db_url, "brand", p_id), "other_brand": make_user(db_url, "brand", q_id),
             "admin": make_user(db_url, "admin")}
    with psycopg.connect(db_url) as c:
        s3 = c.execute("""
            SELECT f.id, f.name_en, ST_X(f.geom), ST_Y(f.geom), f.name_zh FROM facilities f
            JOIN brand_facility_links l ON l.facility_id = f.id AND l.is_public AND l.active
            WHERE f.dataset_id = 'osh-fixture-lists' AND f.attrs->>'country' = 'China'
              AND length(f.name_en) > 12
              AND NOT EXISTS (SELECT 1 FROM facilities g WHERE g.id <> f.id
                              AND ST_DWithin(g.geom::geography, f.geom::geography, 3000))
            ORDER BY f.id LIMIT 1""").fetchone()
        assert s3, "the demo data has an isolated supplier listed publicly by a demo brand"
        s5 = c.execute("""
            SELECT f.id, f.name_zh, ST_X(f.geom), ST_Y(f.geom), f.name_en FROM facilities f
            WHERE f.dataset_id = 'gppd-china' AND f.name_zh IS NOT NULL AND f.name_en IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM brand_facility_links l WHERE l.facility_id = f.id)
              AND NOT EXISTS (SELECT 1 FROM facilities g WHERE g.id <> f.id
                              AND ST_DWithin(g.geom::geography, f.geom::geography, 3000))
            ORDER BY f.id DESC LIMIT 1""").fetchone()
        assert s5, "the bundled data has an isolated power plant no brand lists"
        (x1, y1), (x2, y2), (x4, y4) = _spot(), _spot(), _spot()
        s1_name, s2_name, s4_name = unique("Secretsupplier"), unique("Openplant"), unique("Rawmill")
        rows = [
            {"ref": "S1", "name": s1_name, "lon": x1, "lat": y1, "tier": "manufacturing_assembly",
             "parent": "", "public": "no"},
            {"ref": "S2", "name": s2_name, "lon": x2, "lat": y2, "tier": "processing", "parent": "S1",
             "public": "yes"},
            {"ref": "S3", "name": s3[1], "lon": s3[2], "lat": s3[3], "tier": "direct_supplier", "parent": "",
             "public": "no"},
            {"ref": "S5", "name": s5[1], "lon": s5[2], "lat": s5[3], "tier": "raw_materials", "parent": "",
             "public": "no"},
            {"ref": "S4", "name": s4_name, "lon": x4, "lat": y4, "tier": "raw_materials", "parent": "S2",
             "public": "yes"},
        ]
        up = sl.upload(c, p_id, csv_bytes(rows), "private.csv")
        assert up.status == "accepted", [(r.ref, r.outcome, r.reason) for r in up.rows]
        ids = {r.ref: r.facility_id for r in up.rows}
        assert ids["S3"] == s3[0] and ids["S5"] == s5[0], "the facilities on file are matched"
        version = c.execute("SELECT version FROM data_version").fetchone()[0]
    from app.extensions import tile_service as service

    with app.app_context():  # the app hears of the new data version (tile cache keys) before probing
        deadline = time.time() + 15
        while service().version.current() < version and time.time() < deadline:
            time.sleep(0.1)
    clients = {"anonymous": app.test_client()}
    for role, email in users.items():
        clients[role] = app.test_client()
        assert login(clients[role], email).status_code == 302
    return {"p_id": p_id, "p_slug": p_slug, "q_slug": q_slug, "ids": ids, "list_id": up.list_id,
            "names": {"S1": s1_name, "S2": s2_name, "S3": s3[1], "S4": s4_name, "S3zh": s3[4] or s3[1],
                      "S5": s5[1], "S5en": s5[4]},
            "points": {"S1": (x1, y1), "S2": (x2, y2), "S3": (s3[2], s3[3]), "S4": (x4, y4),
                       "S5": (s5[2], s5[3])},
            "clients": clients}


def _tile(client, spec, lon, lat, z, query=""):
    t = mercantile.tile(lon, lat, z)
    r = client.get(f"/tiles/{spec}/{z}/{t.x}/{t.y}.mvt{query}", headers={"Accept-Encoding": "gzip"})
    if r.status_code == 204:
        return {}
    assert r.status_code == 200, r.data
    data = gzip.decompress(r.data) if r.headers.get("Content-Encoding") == "gzip" else r.data
    return mapbox_vector_tile.decode(data)


def _suppliers(tile):
    """Single suppliers of a tile by facility id (clusters, below z10, are checked by `_clusters`)."""
    feats = tile.get("suppliers", {}).get("features", [])
    return {f["properties"]["facility_id"]: f["properties"] for f in feats if "facility_id" in f["properties"]}


def _clusters(tile):
    """The properties of a tile's supplier clusters (several suppliers drawn as one symbol)."""
    feats = tile.get("suppliers", {}).get("features", [])
    return [f["properties"] for f in feats if "facility_id" not in f["properties"]]


@pytest.mark.parametrize("viewer", VIEWERS + ("own",))
def test_tiles_never_carry_private_links(world, viewer):
    client = world["clients"][viewer]  # tiles are the same for everyone: the session plays no part
    ids, slug = world["ids"], world["p_slug"]
    for z in (3, 6, 10, 14):
        for ref in ("S1", "S3", "S5"):
            lon, lat = world["points"][ref]
            for spec in ("suppliers", "factories,suppliers"):
                tile = _tile(client, spec, lon, lat, z)
                feats = _suppliers(tile)
                assert ids["S1"] not in feats and ids["S5"] not in feats, (z, ref, spec)
                # a cluster names the brand only when one of its public links (S2, S4) lies in the tile
                here = mercantile.tile(lon, lat, z)
                if not any(mercantile.tile(*world["points"][r], z) == here for r in ("S2", "S4")):
                    for props in _clusters(tile):
                        assert slug not in props["brands"].split(","), (z, ref, spec)
                        assert props["icon"] != f"brand-{slug}", (z, ref, spec)
                for props in feats.values():
                    if props["facility_id"] not in (ids["S2"], ids["S4"]):
                        assert slug not in props["brands"].split(",")
                        assert f"brand-{slug}" not in props["icons"].split(",")
            if z >= 10 and ref == "S3":
                assert ids["S3"] in feats  # still shown: a demo brand lists it publicly
            filtered = _suppliers(_tile(client, "suppliers", lon, lat, z, f"?brand={slug}"))
            assert not {ids["S1"], ids["S3"], ids["S5"]} & set(filtered)
    # the public links do show, with the brand's logo
    lon, lat = world["points"]["S2"]
    feats = _suppliers(_tile(client, "suppliers", lon, lat, 12, f"?brand={slug}"))
    assert feats[ids["S2"]]["icon"] == f"brand-{slug}"


@pytest.mark.parametrize("viewer", VIEWERS)
def test_facility_api_and_pages_show_only_public_brands(world, viewer):
    client, ids, slug = world["clients"][viewer], world["ids"], world["p_slug"]
    assert client.get(f"/api/facilities/{ids['S1']}").status_code == 404  # made from private rows alone
    assert client.get(f"/api/facilities/{ids['S5']}").json["brands"] == []
    assert slug not in {b["slug"] for b in client.get(f"/api/facilities/{ids['S3']}").json["brands"]}
    assert slug in {b["slug"] for b in client.get(f"/api/facilities/{ids['S2']}").json["brands"]}
    for ref in ("S1", "S3", "S5"):
        html = client.get(f"/facilities/{ids[ref]}").get_data(as_text=True)
        assert slug not in html and f"Brand {slug}" not in html


@pytest.mark.parametrize("viewer,sees_private", [("anonymous", False), ("other_brand", False), ("own", True),
                                                 ("admin", True)])
def test_brand_surfaces_by_viewer(world, viewer, sees_private):
    client, ids, slug, names = world["clients"][viewer], world["ids"], world["p_slug"], world["names"]
    public = {ids["S2"], ids["S4"]}
    expected = public | ({ids["S1"], ids["S3"], ids["S5"]} if sees_private else set())
    sup = client.get(f"/api/brands/{slug}/suppliers")
    assert {f["id"] for f in sup.json["features"]} == expected
    assert sup.json["includes_private"] is sees_private
    assert "Cookie" in sup.headers["Vary"]
    if viewer != "anonymous":
        assert "private" in sup.headers["Cache-Control"]
    chain = {(f["properties"]["supplier_id"], f["properties"]["buyer_id"])
             for f in client.get(f"/api/brands/{slug}/chain").json["features"]}
    assert chain == ({(ids["S4"], ids["S2"])} | ({(ids["S2"], ids["S1"])} if sees_private else set()))
    assert client.get(f"/api/brands/{slug}").json["summary"]["suppliers"] == len(expected)
    html = client.get(f"/brands/{slug}?lang=en").get_data(as_text=True)
    report = client.get(f"/brands/{slug}/report.csv").data.decode("utf-8-sig")
    from openpyxl import load_workbook

    xlsx = load_workbook(io.BytesIO(client.get(f"/brands/{slug}/report.xlsx").data)).worksheets[0]
    xlsx_ids = {row[0] for row in xlsx.iter_rows(min_row=2, values_only=True)}
    assert xlsx_ids == expected
    for ref in ("S1", "S3", "S5en"):
        for body in (html, report):
            assert (names[ref] in body) is sees_private, (ref, viewer)
    assert names["S2"] in html and names["S2"] in report
    # the public directory counts public links only, whoever asks
    listed = {b["slug"]: b["public_suppliers"] for b in client.get("/api/brands").json["brands"]}
    assert listed[slug] == 2
    assert f'value="{slug}">Brand {slug} (2)' in client.get("/supply-chain?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_management_pages_are_closed(world, viewer):
    client, slug = world["clients"][viewer], world["p_slug"]
    expect = 302 if viewer == "anonymous" else 403
    for path in (f"/brands/{slug}/lists", f"/brands/{slug}/lists/{world['list_id']}",
                 f"/brands/{slug}/review", f"/brands/{slug}/manage"):
        assert client.get(path).status_code == expect, path
    for path in (f"/api/brands/{slug}/lists", f"/api/brands/{slug}/lists/{world['list_id']}",
                 f"/api/brands/{slug}/review"):
        r = client.get(path)
        assert r.status_code == (401 if viewer == "anonymous" else 403) and r.is_json, path


@pytest.mark.parametrize("viewer", VIEWERS)
def test_search_near_exports_and_ogc(world, viewer):
    client, ids, slug, names = world["clients"][viewer], world["ids"], world["p_slug"], world["names"]
    hits = client.get(f"/api/search?q={names['S1']}")
    assert hits.status_code == 200 and slug not in hits.get_data(as_text=True)
    assert slug not in client.get(f"/search?q={names['S1']}").get_data(as_text=True)
    for ref in ("S1", "S3", "S5"):
        lon, lat = world["points"][ref]
        near = client.get(f"/api/near?lon={lon}&lat={lat}&radius_m=5000")
        assert near.status_code == 200 and slug not in near.get_data(as_text=True)
    items = "/ogc/collections/suppliers/items"
    for url in ("/exports/suppliers.geojson", f"/exports/suppliers.geojson?brand={slug}",
                "/exports/suppliers.csv", f"{items}?limit=10000", f"{items}?brand={slug}",
                f"{items}/{ids['S1']}", f"{items}/{ids['S3']}"):
        r = client.get(url)
        body = r.get_data(as_text=True)
        assert names["S1"] not in body, url
        if r.status_code == 200 and url.endswith(".geojson") or "items?" in url:
            for f in (r.json or {}).get("features", []) if r.is_json else []:
                brands = str(f.get("properties", {}).get("brands", ""))
                fid = f.get("properties", {}).get("facility_id", f.get("id"))
                assert slug not in brands.split(",") or fid in (ids["S2"], ids["S4"]), (url, f)


# --- every GET endpoint, whatever it is ---------------------------------------------------------------------

SKIP = ("static", "pages.vendor", "styles.glyphs", "styles.sprite", "raster.tile", "raster.geotiff")


def _urls(app, world, ref, layer="suppliers", z=12):
    """A URL for every GET endpoint, its parameters pointing at facility `ref`, brand P and P's list (and at
    `layer` where a layer is named)."""
    ids, slug = world["ids"], world["p_slug"]
    lon, lat = world["points"][ref]
    t = mercantile.tile(lon, lat, z)
    by_name = {"facility_id": ids[ref], "fid": ids[ref], "slug": slug, "list_id": world["list_id"],
               "station_id": 1, "token": "x", "job_id": "x", "collection_id": layer,
               "spec": layer, "z": z, "x": t.x, "y": t.y, "fmt": "csv", "report_id": 1, "filename": "x.jpg",
               "pid": 1, "code": "110000", "version": "citi-v1", "violation_id": 1, "file_id": 1, "year": 2024,
               "upload_id": 1, "sub_id": 1, "name": "bluemap"}
    by_endpoint = {"styles.style": {"name": "supply-chain"}, "exports.export": {"name": f"{layer}.geojson"},
                   "tiles.tilejson_view": {"spec": layer}}
    # Parameters are probed apart: pages and APIs echo their query (links, request URLs), and an echoed name
    # beside the brand in the path is no leak.
    search = f"?q={world['names'][ref]}&lon={lon}&lat={lat}&radius_m=5000"
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP:
            continue
        values = {a: by_endpoint.get(rule.endpoint, {}).get(a, by_name.get(a)) for a in rule.arguments}
        if any(v is None for v in values.values()):
            raise AssertionError(f"no probe value for {rule.rule}: add one to the privacy test")
        path = rule.build(values, append_unknown=False)[1]
        out += [path, f"{path}?brand={slug}"] + ([path + search] if slug not in path else [])
    return out


def _text(r) -> str:
    """A response body as text, whatever it is (binary bodies too: names in them are UTF-8)."""
    data = r.data
    if r.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def _leaks(body: str, world, url: str) -> bool:
    """The brand and a supplier only it lists (privately) in one answer, the request's echoed query aside."""
    from urllib.parse import parse_qsl, quote, urlsplit

    for k, v in parse_qsl(urlsplit(url).query):
        for echo in (f"{k}={v}", f"{k}={quote(v)}", f'"{k}": "{v}"', f'"{k}":"{v}"'):
            body = body.replace(echo, "")
    slug = world["p_slug"]
    return bool(re.search(rf"\b{re.escape(slug)}\b", body)) and any(
        world["names"][r] in body for r in ("S1", "S5", "S5en"))


@pytest.mark.parametrize("viewer", VIEWERS)
def test_no_get_endpoint_pairs_the_brand_with_a_private_supplier(app, world, viewer):
    client = world["clients"][viewer]
    leaks = []
    for ref in ("S1", "S5"):
        for url in _urls(app, world, ref):
            if _leaks(_text(client.get(url)), world, url):
                leaks.append(url)
    assert leaks == [], "\n".join(leaks)


def test_the_probe_sees_what_the_brand_sees(app, world):
    """Control: the same probe, as the brand's own user, finds the private links (so it can see a leak)."""
    client = world["clients"]["own"]
    found = [url for url in _urls(app, world, "S1") if _leaks(_text(client.get(url)), world, url)]
    assert any(u.startswith(f"/api/brands/{world['p_slug']}/suppliers") for u in found)
    assert any(u.startswith(f"/brands/{world['p_slug']}/report.csv") for u in found)


# --- facilities made from private rows alone (issue 13) -----------------------------------------------------

def _bbox(point, d=0.05):
    lon, lat = point
    return f"{lon - d},{lat - d},{lon + d},{lat + d}"


def _factory_ids(tile):
    return {f["properties"].get("id") for f in tile.get("factories", {}).get("features", [])}


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_facility_made_from_private_rows_is_hidden_from_others(app, world, viewer):
    """S1 exists only because brand P listed it privately: no public surface shows it, nor counts it."""
    client, fid, name = world["clients"][viewer], world["ids"]["S1"], world["names"]["S1"]
    point = world["points"]["S1"]
    r = client.get(f"/api/facilities/{fid}")
    assert r.status_code == 404 and r.is_json
    assert client.get(f"/facilities/{fid}").status_code == 404
    assert fid not in {x["id"] for x in client.get(f"/api/search?q={name}").json["results"]}
    assert f"/facilities/{fid}" not in client.get(f"/search?q={name}").get_data(as_text=True)
    near = client.get(f"/api/near?lon={point[0]}&lat={point[1]}&radius_m=1000").json
    assert fid not in {x["id"] for x in near["facilities"]}
    for z in (0, 3, 6, 10, 12, 14):
        assert fid not in _factory_ids(_tile(client, "factories", *point, z)), z
        assert fid not in _factory_ids(_tile(client, "factories", *point, z, "?industry=other")), z
    bbox = _bbox(point)
    for url in (f"/exports/factories.geojson?bbox={bbox}", f"/exports/factories.csv?bbox={bbox}",
                f"/ogc/collections/factories/items?bbox={bbox}&limit=1000"):
        r = client.get(url)
        assert r.status_code == 200 and name not in r.get_data(as_text=True), url
    assert client.get(f"/ogc/collections/factories/items/{fid}").status_code == 404
    # every GET endpoint, pointed at S1 and the factories layer
    leaks = []
    for z in (6, 12):
        for url in _urls(app, world, "S1", "factories", z):
            body = _text(client.get(url))
            if "?q=" in url:  # the query (S1's name) is echoed: look for S1 itself
                if f"/facilities/{fid}\"" in body or f'"id": {fid},' in body or f'"id":{fid},' in body:
                    leaks.append(url)
            elif name in body:
                leaks.append(url)
    assert leaks == [], "\n".join(leaks)


@pytest.mark.parametrize("viewer", ("own", "admin"))
def test_the_brand_still_sees_its_own_facility(world, viewer):
    client, fid, name = world["clients"][viewer], world["ids"]["S1"], world["names"]["S1"]
    assert client.get(f"/api/facilities/{fid}").json["name_en"] == name
    assert name in client.get(f"/facilities/{fid}").get_data(as_text=True)
    assert fid in {f["id"] for f in client.get(f"/api/brands/{world['p_slug']}/suppliers").json["features"]}


def _cells_total(c) -> int:
    return c.execute("SELECT coalesce(sum(n), 0) FROM facility_cells WHERE z = 0").fetchone()[0]


def _visible(c) -> int:
    return c.execute("SELECT count(*) FROM facilities WHERE private_to_brand IS NULL").fetchone()[0]


def test_a_private_facility_is_the_brands_own_until_linked_publicly(app, db_url):
    """Another brand never matches, chooses or counts it; once its brand lists it publicly, everyone sees it."""
    a_id, _ = make_brand(db_url, "owner")
    b_id, _ = make_brand(db_url, "stranger")
    lon, lat = _spot()
    row = {"ref": "X", "name": unique("Hiddenworks"), "lon": lon, "lat": lat, "public": "no"}
    client = app.test_client()
    with psycopg.connect(db_url) as c:
        c.execute("SELECT refresh_facility_cells(true)")
        before = _cells_total(c)
        assert before == _visible(c)
        up = sl.upload(c, a_id, csv_bytes([row]), "a.csv")
        fid = up.rows[0].facility_id
        assert up.rows[0].outcome == "new_facility"
        assert c.execute("SELECT private_to_brand FROM facilities WHERE id = %s", (fid,)).fetchone()[0] == a_id
        assert _cells_total(c) == before == _visible(c)  # the cells trigger leaves it out
        c.commit()
        assert client.get(f"/api/facilities/{fid}").status_code == 404
        # another brand listing the same name and place makes a facility of its own, never sees A's
        up_b = sl.upload(c, b_id, csv_bytes([row]), "b.csv")
        assert up_b.rows[0].facility_id != fid
        assert fid not in {x["facility_id"] for x in up_b.rows[0].candidates}
        near = {**row, "lon": f"{float(lon) + 0.01:.6f}"}  # an uncertain match would offer A's as candidate
        up_b = sl.upload(c, b_id, csv_bytes([near]), "b2.csv")
        assert fid not in {x["facility_id"] for x in up_b.rows[0].candidates}
        with pytest.raises(sl.ListError, match="no facility"):
            c.execute("UPDATE supplier_list_rows SET outcome = 'review' WHERE list_id = %s", (up_b.list_id,))
            c.execute("UPDATE supplier_lists SET status = 'pending' WHERE id = %s", (up_b.list_id,))
            rid = c.execute("SELECT id FROM supplier_list_rows WHERE list_id = %s", (up_b.list_id,)).fetchone()[0]
            sl.decide(c, b_id, rid, "choose", None, fid)
        c.rollback()
        # A lists it publicly: it is matched (A's own) and shown to everyone, and counted in the cells
        up = sl.upload(c, a_id, csv_bytes([{**row, "public": "yes"}]), "a2.csv")
        assert up.status == "accepted" and up.rows[0].outcome == "linked" and up.rows[0].facility_id == fid
        assert c.execute("SELECT private_to_brand FROM facilities WHERE id = %s", (fid,)).fetchone()[0] is None
        assert _cells_total(c) == _visible(c)
        c.commit()
    assert client.get(f"/api/facilities/{fid}").json["name_en"] == row["name"]
