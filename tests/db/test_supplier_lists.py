"""Supplier lists: upload (CSV, XLSX), row checks, matching, review, versions, chain edges; demo brands."""

from __future__ import annotations

import io
import random

import psycopg
import pytest

from geo.datum import wgs84_to_gcj02
from supply import lists as sl
from tests.supply_helpers import (
    csrf_token,
    csv_bytes,
    login,
    make_brand,
    make_user,
    unique,
    upload,
    xlsx_bytes,
)


@pytest.fixture(scope="module")
def facilities(db_url):
    """A facility with a USCC, and isolated facilities with Chinese company names (one per test, so facilities
    one test makes from its rows never sit beside the next test's)."""
    with psycopg.connect(db_url) as c:
        with_uscc = c.execute("""SELECT f.id, c.uscc FROM facilities f JOIN companies c ON c.id = f.company_id
                                 WHERE c.uscc IS NOT NULL ORDER BY f.id LIMIT 1""").fetchone()
        named = c.execute("""
            SELECT f.id, f.name_zh, ST_X(f.geom), ST_Y(f.geom) FROM facilities f
            WHERE f.name_zh LIKE '%%有限公司' AND length(f.name_zh) >= 8
              AND ST_Y(f.geom) BETWEEN 22 AND 40 AND ST_X(f.geom) BETWEEN 105 AND 122
              AND NOT EXISTS (SELECT 1 FROM facilities g WHERE g.id <> f.id
                              AND ST_DWithin(g.geom::geography, f.geom::geography, 8000))
            ORDER BY f.id LIMIT 12""").fetchall()
    assert with_uscc and len(named) >= 7
    return [{"uscc_id": with_uscc[0], "uscc": with_uscc[1].strip(), "id": n[0], "name": n[1], "lon": n[2],
             "lat": n[3]} for n in named]


@pytest.fixture()
def known(facilities, request):
    """This test's own isolated facility."""
    order = ["test_upload_matches_every_row", "test_a_bad_row_imports_nothing_unless_asked",
             "test_review_choose_new_and_drop", "test_a_new_list_replaces_the_old_one",
             "test_upload_pages_and_json_api", "test_brand_page_shows_the_chain_and_report"]
    name = request.node.originalname
    return facilities[order.index(name) if name in order else len(order)]


@pytest.fixture()
def brand(db_url):
    bid, slug = make_brand(db_url, "lists")
    return bid, slug


def _rows(known, new_name):
    """A list exercising every outcome and a three-tier chain: N1 <- U2 <- S3, N1 <- R4."""
    lon, lat = 113.2 + random.random(), 23.0 + random.random() / 2  # somewhere new in Guangdong
    return [
        {"ref": "N1", "name": new_name, "address": "东莞市", "uscc": "", "lon": f"{lon:.6f}",
         "lat": f"{lat:.6f}", "crs": "wgs84", "tier": "manufacturing_assembly", "parent": "",
         "public": "yes"},
        {"ref": "U2", "name": "whatever the name", "address": "", "uscc": known["uscc"], "lon": "", "lat": "",
         "crs": "", "tier": "processing", "parent": "N1", "public": "yes"},
        {"ref": "S3", "name": known["name"], "address": "", "uscc": "", "lon": f"{known['lon']:.6f}",
         "lat": f"{known['lat']:.6f}", "crs": "wgs84", "tier": "raw_materials", "parent": "U2",
         "public": "no"},
        # the same company name, 3 km off: uncertain
        {"ref": "R4", "name": known["name"].replace("有限公司", "公司"), "address": "", "uscc": "",
         "lon": f"{known['lon'] + 0.03:.6f}", "lat": f"{known['lat']:.6f}", "crs": "wgs84",
         "tier": "packaging", "parent": "N1", "public": ""},
    ]


def spot() -> tuple[str, str]:
    """A random inland point (rows of different tests never share a place)."""
    return f"{random.uniform(104, 118):.6f}", f"{random.uniform(26, 38):.6f}"


def _links(conn, brand_id):
    return {r[0]: r[1:] for r in conn.execute(
        "SELECT facility_id, tier::text, is_public, active, list_id FROM brand_facility_links "
        "WHERE brand_id = %s", (brand_id,))}


def test_upload_matches_every_row(db_url, brand, known):
    new_name = unique("Dongguan Final Assembly")
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, brand[0], csv_bytes(_rows(known, new_name)), "list.csv")
        by_ref = {r.ref: r for r in up.rows}
        assert up.committed and up.status == "pending"  # R4 waits for review
        assert by_ref["N1"].outcome == "new_facility" and by_ref["N1"].facility_id
        assert by_ref["U2"].outcome == "linked" and by_ref["U2"].facility_id == known["uscc_id"]
        assert by_ref["U2"].confidence == 1.0 and "USCC" in by_ref["U2"].reason
        assert by_ref["S3"].outcome == "linked" and by_ref["S3"].facility_id == known["id"]
        assert by_ref["S3"].confidence >= sl.AUTO_LINK and by_ref["S3"].public is False
        r4 = by_ref["R4"]
        assert r4.outcome == "review" and sl.REVIEW <= r4.confidence < sl.AUTO_LINK
        assert r4.match_facility_id == known["id"] and r4.candidates[0]["distance_m"] > 2000
        assert up.summary == {"rows": 4, "linked": 2, "review": 1, "new_facility": 1, "rejected": 0,
                              "duplicates": 0, "read_as": "CSV, UTF-8"}
        # nothing shows before the list is accepted
        assert _links(c, brand[0]) == {}
        name_zh = c.execute("SELECT name_en, dataset_id FROM facilities WHERE id = %s",
                            (by_ref["N1"].facility_id,)).fetchone()
        assert name_zh == (new_name, "upload:supplier-lists")
        queue = sl.review_queue(c, brand[0])
        assert [q["line"] for q in queue] == [5]
        res = sl.decide(c, brand[0], queue[0]["id"], "accept", None)
        assert res["list_accepted"] and res["outcome"] == "linked"
        links = _links(c, brand[0])
        assert set(links) == {by_ref["N1"].facility_id, known["uscc_id"], known["id"]}
        assert links[known["id"]][1] is False  # S3 and R4 name the same facility: private wins
        assert links[known["uscc_id"]][:2] == ("processing", True)
        edges = set(c.execute("SELECT supplier_facility_id, buyer_facility_id FROM supplier_edges "
                              "WHERE list_id = %s", (up.list_id,)).fetchall())
        n1 = by_ref["N1"].facility_id
        assert edges == {(known["uscc_id"], n1), (known["id"], known["uscc_id"]), (known["id"], n1)}
        status = c.execute("SELECT status, accepted_at IS NOT NULL FROM supplier_lists WHERE id = %s",
                           (up.list_id,)).fetchone()
        assert status == ("accepted", True)
        decided = c.execute("SELECT decision, decided_at IS NOT NULL FROM supplier_list_rows WHERE id = %s",
                            (queue[0]["id"],)).fetchone()
        assert decided == ("accepted", True)


def test_a_bad_row_imports_nothing_unless_asked(db_url, brand, known):
    rows = _rows(known, unique("Factory"))
    rows[1]["uscc"] = known["uscc"][:-1] + ("0" if known["uscc"][-1] != "0" else "1")  # bad check digit
    rows.append({"ref": "X5", "name": "", "address": "", "uscc": "", "lon": "200", "lat": "30", "crs": "",
                 "tier": "", "parent": "", "public": ""})
    rows.append({"ref": "X6", "name": "Swapped", "address": "", "uscc": "", "lon": "30", "lat": "120",
                 "crs": "", "tier": "", "parent": "", "public": ""})
    rows.append({"ref": "X7", "name": "Bad tier", "address": "", "uscc": "", "lon": "113", "lat": "23",
                 "crs": "gcj02", "tier": "tier 9", "parent": "NOPE", "public": "maybe"})
    rows.append({"ref": "X8", "name": "No place", "address": "", "uscc": "", "lon": "", "lat": "",
                 "crs": "", "tier": "", "parent": "", "public": ""})
    with psycopg.connect(db_url) as c:
        before = c.execute("SELECT count(*) FROM facilities").fetchone()[0]
        up = sl.upload(c, brand[0], csv_bytes(rows), "bad.csv")
        assert not up.committed and up.status == "rejected"
        reasons = {r.ref: r.reason for r in up.rows}
        assert "check digit" in reasons["U2"]
        assert reasons["X5"].startswith("name:")
        assert "swapped" in reasons["X6"]
        assert reasons["X7"].startswith("tier:")
        assert "no coordinates" in reasons["X8"]
        assert all(r.outcome == "rejected" for r in up.rows) and "not imported" in reasons["N1"]
        assert c.execute("SELECT count(*) FROM facilities").fetchone()[0] == before
        assert _links(c, brand[0]) == {}
        kept = sl.list_rows(c, brand[0], up.list_id)  # the refused version keeps its row-level report
        assert len(kept) == len(rows) and all(r["reason"] for r in kept)
        up2 = sl.upload(c, brand[0], csv_bytes(rows), "bad.csv", skip_invalid=True)
        assert up2.committed and up2.summary["rejected"] == 5 and up2.summary["rows"] == 8
        s3 = next(r for r in up2.rows if r.ref == "S3")
        assert "parent row U2 was rejected" in s3.reason


def test_swapped_coordinates_are_a_row_issue_as_in_load_file(db_url, brand):
    """lon/lat given the wrong way round (a Xinjiang point read as the Arctic): the row is rejected with the
    reason `bluemap load-file` gives, the other rows are read."""
    from ingest import checks
    from ingest.report import RowError

    swapped = {"lon": "40.5", "lat": "80.2"}
    with pytest.raises(RowError) as expected:
        checks.point(swapped, "wgs84")
    lon, lat = spot()
    rows = [{"ref": "A", "name": unique("Kashgar Ginnery"), **swapped},
            {"ref": "B", "name": unique("Inland Mill"), "lon": lon, "lat": lat}]
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, brand[0], csv_bytes(rows), "swapped.csv")
        c.rollback()
    a, b = up.rows
    assert a.outcome == "rejected" and a.reason == f"{expected.value.column}: {expected.value.reason}"
    assert "swapped" in a.reason and "outside China" in a.reason
    assert not b.bad and not up.committed


def test_parent_errors_and_cycles_are_rejected(db_url, brand):
    rows = [{"ref": "A", "name": "Alpha Works", "lon": "110", "lat": "30", "parent": "B"},
            {"ref": "B", "name": "Beta Works", "lon": "110.5", "lat": "30", "parent": "A"},
            {"ref": "C", "name": "Gamma Works", "lon": "111", "lat": "30", "parent": "C"},
            {"ref": "C", "name": "Delta Works", "lon": "111.5", "lat": "30", "parent": ""},
            {"ref": "E", "name": "Epsilon Works", "lon": "112", "lat": "30", "parent": "Z"}]
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, brand[0], csv_bytes(rows), "cycles.csv")
    reasons = [r.reason for r in up.rows]
    assert "cycle" in reasons[0] and "cycle" in reasons[1]
    assert "own buyer" in reasons[2]
    assert "already the ref of line 4" in reasons[3]
    assert "no row with ref 'Z'" in reasons[4]


def test_header_problems_refuse_the_file(db_url, brand):
    with psycopg.connect(db_url) as c:
        with pytest.raises(sl.ListError, match="unknown column 'colour'"):
            sl.upload(c, brand[0], b"name,colour\nA,red\n", "x.csv")
        with pytest.raises(sl.ListError, match="'name' is missing"):
            sl.upload(c, brand[0], b"address\nsomewhere\n", "x.csv")
        with pytest.raises(sl.ListError, match="xlsx"):
            sl.upload(c, brand[0], b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "old.xls")
        with pytest.raises(sl.ListError, match="no rows"):
            sl.upload(c, brand[0], b"name,lon,lat\n", "x.csv")


def test_xlsx_with_chinese_headers_gcj02_and_gbk(db_url, brand):
    lon, lat = map(float, spot())
    glon, glat = wgs84_to_gcj02(lon, lat)
    name = unique("北京测试工厂")
    data = xlsx_bytes([{"名称": name, "经度": glon, "纬度": glat, "坐标系": "gcj02", "层级": "包装",
                        "公开": "是"}])
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, brand[0], data, "list.xlsx")
        assert up.status == "accepted" and up.summary["read_as"].startswith("XLSX")
        row = up.rows[0]
        assert row.outcome == "new_facility" and row.tier == "packaging" and row.public is True
        assert abs(row.lon - lon) < 1e-5 and abs(row.lat - lat) < 1e-5
        f = c.execute("SELECT name_zh, source_crs, area_code FROM facilities WHERE id = %s",
                      (row.facility_id,)).fetchone()
        assert f[:2] == (name, "gcj02") and f[2] is not None
        gbk = f"name,lon,lat\n{unique('广州测试厂')},{','.join(spot())}\n".encode("gbk")
        up = sl.upload(c, brand[0], gbk, "gbk.csv")
        assert up.committed and up.summary["read_as"] == "CSV, GB18030"
        # a USCC typed as a number loses digits in a spreadsheet
        data = xlsx_bytes([{"name": "Numeric USCC", "uscc": 914400020838052920, "lon": 113, "lat": 23}])
        up = sl.upload(c, brand[0], data, "n.xlsx")
        assert "format the column as text" in up.rows[0].reason


def test_review_choose_new_and_drop(db_url, brand, known):
    name = known["name"].replace("有限公司", "公司")
    rows = [{"ref": str(i), "name": name, "lon": f"{known['lon'] + 0.03 + i * 0.002:.6f}",
             "lat": f"{known['lat']:.6f}"} for i in range(1, 4)]  # 200 m apart: three suppliers, not duplicates
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, brand[0], csv_bytes(rows), "review.csv")
        c.commit()  # the workflow leaves committing to its caller
        assert up.summary["review"] == 3
        q = sl.review_queue(c, brand[0])
        other = c.execute("SELECT id FROM facilities WHERE id <> %s ORDER BY id LIMIT 1",
                          (known["id"],)).fetchone()[0]
        with pytest.raises(sl.ListError, match="no facility"):
            sl.decide(c, brand[0], q[0]["id"], "choose", None, 2**62)
        c.rollback()
        assert sl.decide(c, brand[0], q[0]["id"], "choose", None, other)["facility_id"] == other
        res = sl.decide(c, brand[0], q[1]["id"], "new", None)
        c.commit()
        assert res["outcome"] == "new_facility" and res["facility_id"] not in (other, known["id"])
        with pytest.raises(sl.ListError, match="does not wait"):
            sl.decide(c, brand[0], q[0]["id"], "accept", None)
        c.rollback()
        res = sl.decide(c, brand[0], q[2]["id"], "drop", None)
        assert res["list_accepted"] and res["summary"]["rejected"] == 1
        made = sl.list_rows(c, brand[0], up.list_id)[1]["facility_id"]
        assert made and set(_links(c, brand[0])) == {other, made}
        _, other_slug = make_brand(db_url)
        other_id = c.execute("SELECT id FROM brands WHERE slug = %s", (other_slug,)).fetchone()[0]
        with pytest.raises(sl.ListError, match="no row"):  # another brand's row
            sl.decide(c, other_id, q[2]["id"], "accept", None)


def test_a_new_list_replaces_the_old_one(db_url, brand, known):
    with psycopg.connect(db_url) as c:
        (x1, y1), (x2, y2), (x3, y3) = spot(), spot(), spot()
        first = sl.upload(c, brand[0], csv_bytes([{"name": unique("First Co"), "lon": x1, "lat": y1},
                                                  {"name": unique("Second Co"), "lon": x2, "lat": y2}]),
                          "v1.csv")
        assert first.status == "accepted" and first.version == 1
        old = _links(c, brand[0])
        assert len(old) == 2 and all(v[2] for v in old.values())
        # a pending version is replaced by a newer upload before it is ever accepted
        pending = sl.upload(c, brand[0], csv_bytes([{"name": known["name"].replace("有限公司", "公司"),
                                                     "lon": f"{known['lon'] + 0.03:.6f}",
                                                     "lat": f"{known['lat']:.6f}"}]), "v2.csv")
        assert pending.status == "pending" and pending.version == 2
        assert all(v[2] for v in _links(c, brand[0]).values())  # v1 still current
        second = sl.upload(c, brand[0], csv_bytes([{"name": unique("Third Co"), "lon": x3, "lat": y3}]),
                           "v3.csv")
        assert second.status == "accepted" and second.version == 3
        links = _links(c, brand[0])
        assert len(links) == 3  # old links kept, inactive
        assert {k for k, v in links.items() if v[2]} == {second.rows[0].facility_id}
        statuses = dict(c.execute("SELECT version, status FROM supplier_lists WHERE brand_id = %s",
                                  (brand[0],)))
        assert statuses == {1: "replaced", 2: "replaced", 3: "accepted"}
        assert sl.review_queue(c, brand[0]) == []
        # uploading the same list again finds the facilities the first upload made
        again = sl.upload(c, brand[0], csv_bytes([{"name": second.rows[0].name, "lon": x3, "lat": y3}]),
                          "v4.csv")
        assert again.rows[0].outcome == "linked" and again.rows[0].facility_id == second.rows[0].facility_id


def test_upload_pages_and_json_api(app, client, db_url, brand, known):
    user = make_user(db_url, "brand", brand[0])
    assert login(client, user).status_code == 302
    data = csv_bytes(_rows(known, unique("Web Upload Plant")))
    r = upload(client, brand[1], data, "web.csv", crs="wgs84")
    assert r.status_code == 302 and f"/brands/{brand[1]}/lists/" in r.headers["Location"]
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert html.count('<tr class="row-') == 4  # every row reported
    for outcome in ("row-new_facility", "row-linked", "row-review"):
        assert outcome in html
    review = client.get(f"/brands/{brand[1]}/review").get_data(as_text=True)
    assert known["name"] in review and 'value="accept"' in review
    row_id = int(review.split('data-row-id="')[1].split('"')[0])
    r = client.post(f"/brands/{brand[1]}/review/{row_id}",
                    data={"_csrf": csrf_token(client, f"/brands/{brand[1]}/review"), "action": "accept"})
    assert r.status_code == 302
    assert 'id="review-empty"' in client.get(f"/brands/{brand[1]}/review").get_data(as_text=True)
    lists = client.get(f"/api/brands/{brand[1]}/lists").json["versions"]
    assert lists[0]["status"] == "accepted" and lists[0]["summary"]["linked"] == 3
    rows = client.get(f"/api/brands/{brand[1]}/lists/{lists[0]['id']}").json["rows"]
    decided = [x for x in rows if x["decision"] == "accepted"]
    assert len(decided) == 1 and decided[0]["decided_by"] == user
    # JSON upload with the session's CSRF header; a refused file answers 422 with the row report
    bad = csv_bytes([{"name": "", "lon": "113", "lat": "23"}])
    r = client.post(f"/api/brands/{brand[1]}/lists", data={"file": (io.BytesIO(bad), "bad.csv")},
                    headers={"X-CSRF-Token": csrf_token(client, f"/brands/{brand[1]}/lists")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and r.json["rows"][0]["reason"].startswith("name:")
    r = client.post(f"/api/brands/{brand[1]}/lists", data={"file": (io.BytesIO(b"colour\nred\n"), "x.csv")},
                    headers={"X-CSRF-Token": csrf_token(client, f"/brands/{brand[1]}/lists")},
                    content_type="multipart/form-data")
    assert r.status_code == 400 and "unknown column" in r.json["error"]


def test_brand_page_shows_the_chain_and_report(app, db_url, brand, known):
    with psycopg.connect(db_url) as c:
        rows = _rows(known, unique("Chain Plant"))
        for r in rows:
            r["public"] = "yes"
        up = sl.upload(c, brand[0], csv_bytes(rows[:3]), "chain.csv")
        assert up.status == "accepted"
    client = app.test_client()
    sup = client.get(f"/api/brands/{brand[1]}/suppliers").json
    assert len(sup["features"]) == 3 and not sup["includes_private"]
    assert {f["properties"]["icon"] for f in sup["features"]} == {f"brand-{brand[1]}"}
    assert {f["properties"]["status"] for f in sup["features"]} <= {"open", "explained", "rectified", "none"}
    chain = client.get(f"/api/brands/{brand[1]}/chain").json
    assert len(chain["features"]) == 2
    assert all(f["geometry"]["type"] == "LineString" for f in chain["features"])
    summary = client.get(f"/api/brands/{brand[1]}").json["summary"]
    assert summary["suppliers"] == 3 and set(summary["by_tier"]) == {"manufacturing_assembly", "processing",
                                                                     "raw_materials"}
    tier = client.get(f"/api/brands/{brand[1]}/suppliers?tier=processing").json
    assert [f["id"] for f in tier["features"]] == [known["uscc_id"]]
    assert client.get(f"/api/brands/{brand[1]}/suppliers?tier=nope").status_code == 400
    report = client.get(f"/brands/{brand[1]}/report.csv")
    assert report.status_code == 200 and "attachment" in report.headers["Content-Disposition"]
    text = report.data.decode("utf-8-sig")
    assert text.count("/facilities/") == 3 and "open_12m" in text
    xlsx = client.get(f"/brands/{brand[1]}/report.xlsx")
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    assert ws.max_row == 4 and ws.cell(1, 1).value == "facility_id"
    html = client.get(f"/brands/{brand[1]}").get_data(as_text=True)
    assert html.count('data-facility-id="') == 3 and 'id="brand-summary"' in html


def test_status_counts_only_the_last_12_months(app, db_url, brand, known):
    """12-month counts run back from today; the status is the worst unresolved record whatever its age."""
    with psycopg.connect(db_url) as c:
        fid = known["uscc_id"]
        today = c.execute("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date").fetchone()[0]
        expected, unresolved = c.execute("""
            SELECT count(*) FILTER (WHERE status = 'open' AND violation_date > %s::date - interval '12 months'),
                   count(*) FILTER (WHERE status IN ('open', 'explained'))
            FROM violations WHERE facility_id = %s AND status <> 'removed' AND violation_date <= %s""",
                                         (today, fid, today)).fetchone()
        sl.upload(c, brand[0], csv_bytes([{"name": "x", "uscc": known["uscc"], "public": "yes"}]), "s.csv")
    feats = app.test_client().get(f"/api/brands/{brand[1]}/suppliers").json
    assert feats["as_of"] == today.isoformat()
    assert feats["features"][0]["properties"]["open"] == expected
    later = app.test_client().get(f"/api/brands/{brand[1]}/suppliers?as_of=2100-01-01").json
    assert later["features"][0]["properties"]["open"] == 0
    assert (later["features"][0]["properties"]["status"] in ("open", "explained")) == (unresolved > 0)


def test_demo_brands_work_on_the_pages(app, db_url):
    client = app.test_client()
    with psycopg.connect(db_url) as c:
        demo = c.execute("""SELECT b.slug, count(DISTINCT l.facility_id) FROM brands b
                            JOIN brand_facility_links l ON l.brand_id = b.id AND l.is_public AND l.active
                            WHERE b.dataset_id = 'osh-fixture-lists'
                            GROUP BY b.slug ORDER BY b.slug""").fetchall()
    assert len(demo) >= 10
    page = client.get("/supply-chain").get_data(as_text=True)
    for slug, n in demo:
        assert f'<option value="{slug}">' in page
        assert client.get(f"/brands/{slug}").status_code == 200
        assert len(client.get(f"/api/brands/{slug}/suppliers").json["features"]) == n
    listed = {b["slug"]: b["public_suppliers"] for b in client.get("/api/brands").json["brands"]}
    assert all(listed[s] == n for s, n in demo)


def test_review_through_the_json_api(app, client, db_url, brand, facilities):
    known = facilities[6]
    user = make_user(db_url, "brand", brand[0])
    with psycopg.connect(db_url) as c:
        row = {"name": known["name"].replace("有限公司", "公司"), "lon": f"{known['lon'] + 0.03:.6f}",
               "lat": f"{known['lat']:.6f}"}
        sl.upload(c, brand[0], csv_bytes([row]), "api.csv")
    assert login(client, user).status_code == 302
    rows = client.get(f"/api/brands/{brand[1]}/review").json["rows"]
    assert len(rows) == 1 and rows[0]["candidates"][0]["facility_id"] == known["id"]
    url = f"/api/brands/{brand[1]}/review/{rows[0]['id']}"
    assert client.post(url, json={"action": "accept"}).status_code == 403  # no CSRF header
    headers = {"X-CSRF-Token": csrf_token(client, f"/brands/{brand[1]}/lists")}
    assert client.post(url, json={"action": "maybe"}, headers=headers).status_code == 400
    for bad in ([1, 2], {"action": "choose", "facility_id": True}, {"action": ["accept"]},
                {"action": "choose", "facility_id": 2**63}):
        assert client.post(url, json=bad, headers=headers).status_code == 400, bad
    deep = client.post(url, data="[" * 5000 + "]" * 5000, content_type="application/json", headers=headers)
    assert deep.status_code == 400
    r = client.post(url, json={"action": "accept"}, headers=headers)
    assert r.status_code == 200 and r.json["list_accepted"] and r.json["facility_id"] == known["id"]
    assert client.get(f"/api/brands/{brand[1]}/review").json["rows"] == []


def test_a_refused_list_reports_the_rows_that_refused_it_first(client, db_url, brand):
    """The bad rows lead the report (JSON, the stored rows and the page), explained in the page's language."""
    lon, lat = spot()
    rows = [{"name": unique(f"Good {i}"), "lon": f"{float(lon) + i / 10:.6f}", "lat": lat, "tier": "Tier 2"}
            for i in range(4)]
    rows.insert(2, {"name": "", "lon": lon, "lat": lat, "tier": ""})
    rows.append({"name": "Bad tier", "lon": lon, "lat": lat, "tier": "tier 9"})
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, brand[0], csv_bytes(rows), "refused.csv")
        c.commit()
    assert up.status == "rejected" and up.summary["refused_by"] == [4, 7]
    assert [r["line"] for r in up.as_dict()["rows"]] == [4, 7, 2, 3, 5, 6]
    user = make_user(db_url, "brand", brand[0])
    assert login(client, user).status_code == 302
    body = client.get(f"/api/brands/{brand[1]}/lists/{up.list_id}").json
    assert [r["line"] for r in body["rows"]] == [4, 7, 2, 3, 5, 6]
    assert body["rows"][1]["reason"].startswith("tier: unknown tier 'tier 9'")
    zh = client.get(f"/brands/{brand[1]}/lists/{up.list_id}?lang=zh").get_data(as_text=True)
    assert "以下 2 行导致未导入（列在最前）：第 4, 7 行" in zh and "未导入：本文件有错误行" in zh
    assert "not imported:" not in zh
    assert zh.index('data-line="4"') < zh.index('data-line="7"') < zh.index('data-line="2"')
    en = client.get(f"/brands/{brand[1]}/lists/{up.list_id}?lang=en").get_data(as_text=True)
    assert "These 2 rows kept the file from being imported (listed first): lines 4, 7." in en


def test_duplicate_rows_are_reported_not_collapsed(db_url, brand, facilities):
    lon, lat = map(float, spot())
    name = unique("重复测试工厂有限公司")
    rows = [{"ref": "A", "name": name, "lon": f"{lon:.6f}", "lat": f"{lat:.6f}", "public": "yes"},
            {"ref": "B", "name": name.replace("有限公司", "公司"), "lon": f"{lon + 0.0004:.6f}",
             "lat": f"{lat:.6f}", "public": "no"},  # about 40 m east
            {"ref": "C", "name": "whatever", "uscc": facilities[0]["uscc"], "public": "yes"},
            {"ref": "D", "name": "whatever else", "uscc": facilities[0]["uscc"], "public": "yes"},
            {"ref": "E", "name": unique("Buyer"), "lon": f"{lon + 0.1:.6f}", "lat": f"{lat:.6f}", "parent": "B",
             "public": "yes"}]
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, brand[0], csv_bytes(rows, ["ref", "name", "uscc", "lon", "lat", "parent", "public"]),
                       "dups.csv")
        by_ref = {r.ref: r for r in up.rows}
        assert up.status == "accepted" and up.summary["duplicates"] == 2 and up.summary["rejected"] == 2
        assert by_ref["B"].duplicate_of == 2 and "duplicate of line 2" in by_ref["B"].reason
        assert by_ref["D"].duplicate_of == 4 and "duplicate of line 4" in by_ref["D"].reason
        assert by_ref["A"].outcome == "new_facility" and by_ref["A"].public is False
        links = _links(c, brand[0])
        assert set(links) == {by_ref["A"].facility_id, facilities[0]["uscc_id"], by_ref["E"].facility_id}
        assert links[by_ref["A"].facility_id][1] is False  # B asked for privacy
        edges = set(c.execute("SELECT supplier_facility_id, buyer_facility_id FROM supplier_edges "
                              "WHERE list_id = %s", (up.list_id,)).fetchall())
        assert edges == {(by_ref["E"].facility_id, by_ref["A"].facility_id)}
        stored = {r["ref"]: r for r in sl.list_rows(c, brand[0], up.list_id)}
        assert stored["B"]["outcome"] == "rejected" and "duplicate of line 2" in stored["B"]["reason"]


def test_a_synthetic_uscc_on_file_does_not_count_against_a_match(db_url, brand):
    from standards.uscc import make

    with psycopg.connect(db_url) as c:
        fid, name, lon, lat, code = c.execute("""
            SELECT f.id, f.name_zh, ST_X(f.geom), ST_Y(f.geom), c.uscc FROM facilities f
            JOIN companies c ON c.id = f.company_id
            WHERE c.synthetic AND (f.attrs->>'uscc_synthetic')::boolean AND f.private_to_brand IS NULL
              AND NOT EXISTS (SELECT 1 FROM facilities g WHERE g.id <> f.id
                              AND ST_DWithin(g.geom::geography, f.geom::geography, 3000))
            ORDER BY f.id LIMIT 1""").fetchone()
        real = make("440300", random.randrange(10**8))
        assert real != code.strip()
        row = {"name": name, "uscc": real, "lon": f"{lon:.6f}", "lat": f"{lat:.6f}", "public": "yes"}
        up = sl.upload(c, brand[0], csv_bytes([row]), "synthetic.csv")
        r = up.rows[0]
        assert r.outcome == "linked" and r.facility_id == fid and r.confidence >= sl.AUTO_LINK, r.reason
        assert r.candidates[0]["uscc_synthetic"] is True
        c.rollback()
        # a real USCC on file that names another company keeps the penalty
        lon2, lat2 = spot()
        first = {"name": unique("Registered Works"), "uscc": make("440300", random.randrange(10**8)),
                 "lon": lon2, "lat": lat2, "public": "yes"}
        made = sl.upload(c, brand[0], csv_bytes([first]), "real.csv").rows[0]
        assert made.outcome == "new_facility"
        other = {**first, "uscc": make("110000", random.randrange(10**8))}
        again = sl.upload(c, brand[0], csv_bytes([other]), "real2.csv").rows[0]
        assert again.outcome != "linked" and again.confidence < sl.AUTO_LINK
        assert again.candidates[0]["facility_id"] == made.facility_id and not again.candidates[0]["uscc_synthetic"]
        c.rollback()


def test_the_report_never_holds_a_formula(app, db_url, brand):
    """Supplier names that a spreadsheet would run are written as quoted text; numbers stay numbers."""
    payloads = ['=HYPERLINK("http://evil.example","x")', "=1+1", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3"]
    rows = [{"name": p + unique(" "), "address": p, "lon": spot()[0], "lat": spot()[1], "public": "yes"}
            for p in payloads]
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, brand[0], csv_bytes(rows), "formulas.csv")
        assert up.status == "accepted", [r.reason for r in up.rows]
    client = app.test_client()
    import csv as csvlib

    text = client.get(f"/brands/{brand[1]}/report.csv").data.decode("utf-8-sig")
    table = list(csvlib.reader(line for line in text.splitlines() if not line.startswith("#")))
    header, body = table[0], table[1:]
    assert len(body) == len(payloads)
    for line in body:
        for col in ("name_en", "address"):
            value = line[header.index(col)]
            assert value.startswith("'") and value[1] in "=+-@", value
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(client.get(f"/brands/{brand[1]}/report.xlsx").data)).worksheets[0]
    for cells in ws.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in cells)
        assert isinstance(cells[0].value, int) and cells[0].data_type == "n"  # the facility id stays a number
        head = [c.value for c in ws[1]]
        assert str(cells[head.index("name_en")].value).startswith("'")
        assert str(cells[head.index("address")].value).startswith("'")
