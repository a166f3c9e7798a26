"""Moderation of citizen reports through HTTP: who may moderate, publish / reject / merge / link / forward /
answer, and where reports appear: nowhere public before publication; in tiles, exports, the OGC API, the
GeoJSON API, the report page and the alerts outbox after it."""

from __future__ import annotations

import gzip
import io
import json
import time

import mapbox_vector_tile
import mercantile
import psycopg
import pytest
from PIL import Image

from tests.db.test_reports import fields, ip, jpeg_with_gps, post
from tests.supply_helpers import csrf_token, login, make_user

LON, LAT = 116.30512, 39.98123  # Haidian, Beijing


def _mvt_ids(client, lon, lat, z=14, query=""):
    t = mercantile.tile(lon, lat, z)
    r = client.get(f"/tiles/reports/{z}/{t.x}/{t.y}.mvt{query}")
    if r.status_code == 204:
        return set()
    assert r.status_code == 200, r.data
    data = gzip.decompress(r.data) if r.headers.get("Content-Encoding") == "gzip" else r.data
    layer = mapbox_vector_tile.decode(data).get("reports", {"features": []})
    return {f["properties"]["id"] for f in layer["features"]}


def _public_ids(client, report_id, lon, lat, photo_url, expect=None):
    """Every public surface that shows report `report_id` (by id or by its photo). Tile caches learn of a new
    data version by NOTIFY, a moment after the commit: with `expect`, asked again for up to 5 s until it holds."""
    for _ in range(50):
        seen = _surfaces(client, report_id, lon, lat, photo_url)
        if expect is None or seen == expect:
            break
        time.sleep(0.1)
    return seen


def _surfaces(client, report_id, lon, lat, photo_url):
    seen = set()
    if report_id in _mvt_ids(client, lon, lat):
        seen.add("tiles")
    if report_id in {f["id"] for f in client.get("/api/reports?limit=10000").json["features"]}:
        seen.add("api")
    export = client.get("/exports/reports.geojson")
    assert export.status_code == 200, export.data
    if report_id in {f["properties"]["id"] for f in json.loads(export.data)["features"]}:
        seen.add("export")
    if f",{report_id}," in client.get("/exports/reports.csv").get_data(as_text=True).replace("\n", ",\n"):
        seen.add("csv")
    items = client.get("/ogc/collections/reports/items?limit=10000")
    assert items.status_code == 200, items.data
    if report_id in {f["properties"].get("id", f.get("id")) for f in items.json["features"]}:
        seen.add("ogc")
    if client.get(f"/reports/{report_id}").status_code == 200:
        seen.add("page")
    if client.get(photo_url).status_code == 200:
        seen.add("photo")
    return seen


@pytest.fixture()
def moderator(app, db_url):
    client = app.test_client()
    login(client, make_user(db_url, "moderator"))
    return client, csrf_token(client, "/report")


def _act(moderator, report_id, **data):
    client, token = moderator
    return client.post(f"/api/reports/{report_id}/moderation", json=data, headers={"X-CSRF-Token": token})


def _new_report(client, seed, lon=LON, lat=LAT, **extra):
    r = post(client, fields(lon=str(lon), lat=str(lat), location_source="map", **extra), [jpeg_with_gps(seed=seed)])
    assert r.status_code == 201, r.json
    return r.json["id"], "/api/reports/photos/" + r.json["photos"][0]["filename"]


def test_only_moderators_and_admins_moderate(app, db_url, client):
    rid, _ = _new_report(client, 20)
    member = app.test_client()
    login(member, make_user(db_url, "member"))
    token = csrf_token(member, "/report")
    r = member.post(f"/api/reports/{rid}/moderation", json={"action": "publish"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 403
    assert client.post(f"/api/reports/{rid}/moderation", json={"action": "publish"}).status_code == 403
    assert member.get("/moderation").status_code == 403
    assert member.get(f"/api/reports/{rid}").status_code == 403
    admin = app.test_client()
    login(admin, make_user(db_url, "admin"))
    r = admin.post(f"/api/reports/{rid}/moderation", json={"action": "reject", "reason": "not pollution"},
                   headers={"X-CSRF-Token": csrf_token(admin, "/report")})
    assert r.status_code == 200


def test_unpublished_reports_are_nowhere_public_and_published_ones_everywhere(client, moderator, db_url):
    rid, photo = _new_report(client, 21, kind="wastewater", contact_email="secret-reporter@example.org")
    assert _public_ids(client, rid, LON, LAT, photo) == set()
    assert moderator[0].get(photo).status_code == 200  # moderators see the photo of a new report
    page = moderator[0].get("/moderation?lang=en").get_data(as_text=True)
    assert f'id="report-{rid}"' in page and "secret-reporter@example.org" in page
    assert f"{LAT:.6f}, {LON:.6f}" in page  # exact position for moderators

    assert _act(moderator, rid, action="publish").status_code == 200
    with psycopg.connect(db_url) as c:
        px, py = c.execute("SELECT ST_X(public_geom), ST_Y(public_geom) FROM reports WHERE id = %s", (rid,)).fetchone()
    everywhere = {"tiles", "api", "export", "csv", "ogc", "page", "photo"}
    assert _public_ids(client, rid, px, py, photo, everywhere) == everywhere
    feature = next(f for f in client.get("/api/reports?kind=wastewater").json["features"] if f["id"] == rid)
    assert feature["geometry"]["coordinates"] == pytest.approx([px, py]) and (px, py) != (LON, LAT)
    assert feature["properties"]["photos"] == [photo] and feature["properties"]["licence"] == "CC-BY-4.0"
    public_text = json.dumps(client.get("/api/reports").json) + client.get("/exports/reports.csv").get_data(True)
    assert "secret-reporter" not in public_text and f"{LON:.5f}" not in public_text
    stored = client.get(photo)
    assert stored.headers["Content-Disposition"].startswith("attachment") and not Image.open(
        io.BytesIO(stored.data)).getexif()
    # filters: another kind, or dates outside, leave it out of tiles and the API
    assert rid not in _mvt_ids(client, px, py, query="?kind=noise")
    assert rid in _mvt_ids(client, px, py, query="?kind=noise,wastewater&since=2026-11-28&until=2026-11-28")
    assert rid not in {f["id"] for f in client.get("/api/reports?since=2026-11-29").json["features"]}
    assert client.get("/tiles/reports/14/0/0.mvt?kind=fire").status_code == 400
    # the alerts outbox got one event for area and facility subscribers
    with psycopg.connect(db_url) as c:
        events = c.execute("SELECT area_code, payload->>'url' FROM alert_events WHERE kind = 'report_published' "
                           "AND (payload->>'report_id')::bigint = %s", (rid,)).fetchall()
    assert len(events) == 1 and events[0][1] == f"/reports/{rid}" and events[0][0].startswith("11")

    # rejecting a published report withdraws it from everything public; the reporter's reason is kept
    assert _act(moderator, rid, action="reject", reason="").status_code == 400
    assert _act(moderator, rid, action="reject", reason="private home, not a factory").status_code == 200
    assert _public_ids(client, rid, px, py, photo, set()) == set()


def test_merge_link_forward_and_answer(client, moderator, db_url):
    first, _ = _new_report(client, 22, kind="odour")
    second, _ = _new_report(client, 22, kind="odour")  # the same photo again: flagged as a duplicate
    dup = moderator[0].get(f"/api/reports/{second}").json
    assert dup["photos"][0]["duplicate_report"] == first and dup["contact_email"] is None
    assert _act(moderator, first, action="publish").status_code == 200
    assert _act(moderator, second, action="merge", into=second).status_code == 400
    assert _act(moderator, second, action="merge", into=first).status_code == 200
    assert _act(moderator, second, action="publish").status_code == 409  # merged reports stay merged
    feature = next(f for f in client.get("/api/reports").json["features"] if f["id"] == first)
    assert feature["properties"]["merged_reports"] == 1
    assert second not in {f["id"] for f in client.get("/api/reports").json["features"]}

    with psycopg.connect(db_url) as c:
        fid = c.execute("""SELECT id FROM facilities WHERE private_to_brand IS NULL
                           ORDER BY geom <-> ST_SetSRID(ST_MakePoint(%s, %s), 4326) LIMIT 1""",
                        (LON, LAT)).fetchone()[0]
    assert _act(moderator, first, action="link", facility_id=999999999).status_code == 404
    assert _act(moderator, first, action="link", facility_id=fid).status_code == 200
    feature = next(f for f in client.get("/api/reports").json["features"] if f["id"] == first)
    assert feature["properties"]["facility_id"] == fid
    assert [f["id"] for f in client.get(f"/api/reports?facility_id={fid}").json["features"]] == [first]
    assert 'id="facility-reports"' in client.get(f"/facilities/{fid}").get_data(as_text=True)

    r = _act(moderator, first, action="forward", forwarded_on="2026-11-29")
    assert r.status_code == 200, r.json
    fw = r.json["forward"]
    assert "12369" in fw["message"] and "北京市生态环境局" in fw["message"] and f"R{first}" in fw["message"]
    assert "/api/reports/photos/" in fw["message"] and f"{LAT:.5f}" in fw["message"]  # exact place for the bureau
    assert fw["forwarded_on"] == "2026-11-29"
    assert _act(moderator, first, action="answer", forward_id=fw["id"], answer="查处", answered_on="2026-11-01"
                ).status_code == 400  # before it was forwarded
    assert _act(moderator, first, action="answer", forward_id=fw["id"], answer="已责令停产整改",
                answered_on="2026-12-01").status_code == 200
    props = next(f for f in client.get("/api/reports").json["features"] if f["id"] == first)["properties"]
    assert props["forwarded_on"] == "2026-11-29" and props["bureau_answer"] == "已责令停产整改"
    assert props["answered_on"] == "2026-12-01" and props["bureau_zh"].startswith("北京市生态环境局")
    assert "已责令停产整改" in client.get(f"/reports/{first}").get_data(as_text=True)


def test_moderation_page_forms(moderator, client):
    rid, _ = _new_report(client, 23, kind="dust")
    mclient, token = moderator
    r = mclient.post(f"/moderation/{rid}", data={"_csrf": token, "action": "publish"})
    assert r.status_code == 302 and f"#report-{rid}" in r.headers["Location"]
    page = mclient.get("/moderation?status=published&lang=en").get_data(as_text=True)
    assert f'id="report-{rid}"' in page and "12369" in page
    r = mclient.post(f"/moderation/{rid}", data={"_csrf": token, "action": "publish"})
    assert r.status_code == 302  # a conflict is flashed, not a 500
    assert "only new or rejected" in mclient.get("/moderation?status=published").get_data(as_text=True)


def test_catalog_lists_the_layer_with_its_filters(client):
    layers = client.get("/tiles").json
    entry = next(la for la in (layers["layers"] if isinstance(layers, dict) else layers) if la["id"] == "reports")
    assert {f["name"] for f in entry["filters"]} == {"kind", "since", "until"}
    style = client.get("/styles/blue-map.json").json
    assert "reports" in style["sources"] and any(la["id"] == "reports-points" for la in style["layers"])
    assert client.get("/ogc/collections/reports").status_code == 200
    assert client.get("/api/reports?bbox=1,2").status_code == 400
    assert ip()  # helper import used
