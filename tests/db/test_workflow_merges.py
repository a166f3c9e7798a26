"""Duplicate-facility merges through HTTP against the real database: a claimant proposes, a reviewer merges.

Every row referring to the duplicate (records and their history, PRTR disclosures and forms, brand links and
list rows, supplier edges, permit limits and online-monitoring readings, citizen reports, alert subscriptions and
events) is counted by SQL before and after: what is not under the survivor afterwards is in the snapshot.
"""

from __future__ import annotations

import gzip
import re

import psycopg
import pytest

from tests.supply_helpers import make_brand, unique
from tests.workflow_helpers import PDF, client_for, make_world, post

# (table, column) pairs counted independently of the code under test (its own list comes from the catalog).
COUNTED = [("violations", "facility_id"), ("prtr_disclosures", "facility_id"), ("prtr_forms", "facility_id"),
           ("brand_facility_links", "facility_id"), ("supplier_list_rows", "facility_id"),
           ("permit_limits", "facility_id"), ("emission_readings", "facility_id"), ("reports", "facility_id"),
           ("alert_subscriptions", "facility_id"), ("alert_events", "facility_id")]


def _facility(c, w: dict, name: str, company_id: int | None, dlon: float = 0.0) -> int:
    return c.execute("""INSERT INTO facilities (dataset_id, ext_id, company_id, name_zh, name_en, industry, geom,
                        area_code, address) VALUES ('test:workflow', %s, %s, %s, %s, 'chemicals',
                        ST_SetSRID(ST_MakePoint(%s, %s), 4326), '150100', %s) RETURNING id""",
                     (name, company_id, name + "分厂", name, w["lon"] + dlon, w["lat"], name + "路1号")).fetchone()[0]


def _dress(c, w: dict, s: int, d: int, other: int, user_id: int) -> dict:
    """Give the duplicate everything a facility can have, with twins of some of it under the survivor."""
    tag = w["name"]
    vids = [c.execute("""INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category,
                         source) VALUES ('test:workflow', %s, %s, %s, '呼和浩特市生态环境局',
                         '超标排放', 'test') RETURNING id""", (f"{tag}:dup:{i}", d, f"2024-06-0{i + 1}")).fetchone()[0]
            for i in range(2)]
    c.execute("UPDATE violations SET status = 'explained' WHERE id = %s", (vids[0],))  # one more history row
    for fac, year in ((d, 2022), (d, 2023), (s, 2023)):
        c.execute("INSERT INTO prtr_disclosures (facility_id, year, dataset_id, energy_tce) VALUES "
                  "(%s, %s, 'test:workflow', %s)", (fac, year, float(fac % 1000)))
    c.execute("INSERT INTO prtr_forms (facility_id, year, version, status) VALUES (%s, 2023, 1, 'submitted')", (d,))
    b1, _ = make_brand(w["db_url"], "mergebrand")
    b2, _ = make_brand(w["db_url"], "mergebrand")
    lists = {b: c.execute("INSERT INTO supplier_lists (brand_id, name, dataset_id) VALUES (%s, %s, 'test:workflow') "
                          "RETURNING id", (b, unique("list"))).fetchone()[0] for b in (b1, b2)}
    for b, fac, public in ((b1, s, False), (b1, d, True), (b2, d, True)):
        c.execute("""INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, dataset_id)
                     VALUES (%s, %s, %s, 'direct_supplier', %s, 'test:workflow')""", (b, fac, lists[b], public))
    c.execute("INSERT INTO supplier_list_rows (list_id, line, ref, outcome, facility_id) VALUES (%s, 2, 'D-1', "
              "'linked', %s)", (lists[b1], d))
    c.execute("INSERT INTO supplier_edges (supplier_facility_id, buyer_facility_id, dataset_id) VALUES "
              "(%s, %s, 'test:workflow'), (%s, %s, 'test:workflow')", (d, other, s, d))
    for fac, pollutant in ((s, "so2"), (d, "so2"), (d, "nox")):
        c.execute("INSERT INTO permit_limits (facility_id, pollutant, limit_value, unit, dataset_id) VALUES "
                  "(%s, %s, 50, 'mg/m3', 'test:workflow')", (fac, pollutant))
    for fac, pollutant, hour in ((s, "so2", 1), (d, "so2", 1), (d, "so2", 2), (d, "nox", 1)):
        c.execute("INSERT INTO emission_readings (facility_id, pollutant, observed_at, value, dataset_id) VALUES "
                  "(%s, %s, '2024-05-01 00:00+08'::timestamptz + make_interval(hours => %s), 10, 'test:workflow')",
                  (fac, pollutant, hour))
    c.execute("""INSERT INTO reports (kind, observed_at, geom, public_geom, location_source, ip, facility_id)
                 VALUES ('smoke', now(), ST_SetSRID(ST_MakePoint(%s, %s), 4326), ST_SetSRID(ST_MakePoint(%s, %s),
                 4326), 'map', '127.0.0.1', %s)""", (w["lon"], w["lat"], w["lon"], w["lat"], d))
    c.execute("INSERT INTO alert_subscriptions (user_id, target, facility_id, kinds) VALUES (%s, 'facility', %s, "
              "ARRAY['new_record'])", (user_id, d))
    return {"violations": vids, "b1": b1, "b2": b2, "lists": lists}


def _count(c, s: int, d: int) -> dict:
    out = {}
    for table, col in COUNTED:
        out[table] = dict(c.execute(f"SELECT {col}, count(*) FROM {table} WHERE {col} = ANY(%s) GROUP BY 1",
                                    ([s, d],)).fetchall())
    out["history"] = c.execute("""SELECT count(*) FROM violation_status_history h JOIN violations v
                                  ON v.id = h.violation_id WHERE v.facility_id = ANY(%s)""", ([s, d],)).fetchone()[0]
    return out


@pytest.fixture(scope="module")
def merged(app, db_url):
    """A company with a survivor and a duplicate (dressed), a claimant, a reviewer; the proposal merged once."""
    w = make_world(db_url) | {"db_url": db_url}
    ent, ent_email = client_for(app, db_url, "member")
    rev, _ = client_for(app, db_url, "admin")
    stranger, _ = client_for(app, db_url, "member")
    r = post(ent, "/api/workflow/claims", {"uscc": w["uscc"], "contact_name": "李经理", "position": "EHS",
                                           "contact_phone": "0471-7654321"}, files={"licence": (PDF, "l.pdf")})
    assert post(rev, f"/api/review/claims/{r.json['id']}", json={"decision": "approved"}).status_code == 200
    other_world = make_world(db_url)
    s = w["facility_id"]
    with psycopg.connect(db_url) as c:
        d = _facility(c, w, w["name"] + "-dup", w["company_id"], 0.003)
        spare = _facility(c, w, w["name"] + "-spare", w["company_id"], -0.003)
        uid = c.execute("SELECT id FROM users WHERE email = %s", (ent_email,)).fetchone()[0]
        extra = _dress(c, w, s, d, other_world["facility_id"], uid)
        c.execute("SELECT refresh_facility_cells()")
    with psycopg.connect(db_url) as c:
        before = _count(c, s, d)
        mark = c.execute("SELECT coalesce(max(id), 0) FROM alert_events").fetchone()[0]
        version = c.execute("SELECT version FROM data_version").fetchone()[0]
    anon = app.test_client()
    seen_before = [h["id"] for h in anon.get("/api/search", query_string={"q": w["name"] + "-dup"}).json["results"]]
    r = post(ent, "/api/workflow/merge-proposals", json={"survivor_id": s, "duplicate_id": d,
                                                         "reason": "同一厂区，两次录入"})
    assert r.status_code == 201, r.json
    proposal = r.json["id"]
    return {"w": w, "ent": ent, "rev": rev, "stranger": stranger, "anon": anon, "s": s, "d": d, "spare": spare,
            "other": other_world, "extra": extra, "before": before, "mark": mark, "version": version,
            "proposal": proposal, "seen_before": seen_before}


def test_proposals_are_checked_with_reasons(merged):
    m = merged
    s, d, spare = m["s"], m["d"], m["spare"]
    r = post(m["stranger"], "/api/workflow/merge-proposals", json={"survivor_id": s, "duplicate_id": spare,
                                                                   "reason": "x"})
    assert r.status_code == 403 and "claim" in r.json["error"], r.json
    foreign = m["other"]["facility_id"]
    r = post(m["ent"], "/api/workflow/merge-proposals", json={"survivor_id": s, "duplicate_id": foreign, "reason": "x"})
    assert r.status_code in (403, 409) and "company" in r.json["error"], r.json
    r = post(m["ent"], "/api/workflow/merge-proposals", json={"survivor_id": m["other"]["facility_id"],
                                                              "duplicate_id": s, "reason": "x"})
    assert r.status_code == 403, r.json
    r = post(m["ent"], "/api/workflow/merge-proposals", json={"survivor_id": s, "duplicate_id": s, "reason": "x"})
    assert r.status_code == 409 and "itself" in r.json["error"], r.json
    r = post(m["ent"], "/api/workflow/merge-proposals", json={"survivor_id": spare, "duplicate_id": d, "reason": "x"})
    assert r.status_code == 409 and "waiting" in r.json["error"], r.json
    r = post(m["ent"], "/api/workflow/merge-proposals", json={"survivor_id": s, "duplicate_id": spare})
    assert r.status_code == 400 and "reason" in r.json["error"], r.json


def test_only_a_reviewer_decides_and_a_rejection_needs_a_reason(merged):
    m = merged
    r = post(m["ent"], f"/api/review/merges/{m['proposal']}", json={"decision": "merged"})
    assert r.status_code == 403
    r = post(m["rev"], f"/api/review/merges/{m['proposal']}", json={"decision": "rejected"})
    assert r.status_code == 400 and "reason" in r.json["error"], r.json
    # a second proposal (the spare into the survivor) is rejected; the spare stays
    r = post(m["ent"], "/api/workflow/merge-proposals", json={"survivor_id": m["s"], "duplicate_id": m["spare"],
                                                              "reason": "看起来重复"})
    assert r.status_code == 201, r.json
    r = post(m["rev"], f"/api/review/merges/{r.json['id']}", json={"decision": "rejected", "reason": "不同厂区"})
    assert r.status_code == 200 and r.json["status"] == "rejected", r.json
    assert m["anon"].get(f"/api/facilities/{m['spare']}").status_code == 200
    queue = m["rev"].get("/api/review?status=rejected").json
    assert any(x["id"] == r.json["id"] and x["decision_reason"] == "不同厂区" for x in queue["merges"])
    assert queue["merge_counts"]["rejected"] >= 1 and queue["counts"]["merges"] >= 1


def test_the_reviewer_merges_and_nothing_is_lost(merged, db_url):
    m = merged
    queue = m["rev"].get("/api/review").json
    assert m["proposal"] in [x["id"] for x in queue["merges"]]
    r = post(m["rev"], f"/api/review/merges/{m['proposal']}", json={"decision": "merged", "reason": "核实为同一厂区"})
    assert r.status_code == 200 and r.json["status"] == "merged", r.json
    s, d, before = m["s"], m["d"], m["before"]
    with psycopg.connect(db_url) as c:
        after = _count(c, s, d)
        snap = c.execute("SELECT snapshot FROM facility_merges WHERE id = %s", (m["proposal"],)).fetchone()[0]
        assert c.execute("SELECT count(*) FROM facilities WHERE id = %s", (d,)).fetchone()[0] == 0
        new_events = c.execute("""SELECT count(*) FROM alert_events WHERE id > %s
                                  AND kind IN ('prtr_form', 'list_accepted')""", (m["mark"],)).fetchone()[0]
        version = c.execute("SELECT version FROM data_version").fetchone()[0]
        summary = c.execute("SELECT violation_count, worst_status FROM facilities WHERE id = %s", (s,)).fetchone()
        counted = c.execute("SELECT count(*) FROM violations WHERE facility_id = %s AND status <> 'removed'",
                            (s,)).fetchone()[0]
    assert snap["facility"]["id"] == d and snap["facility"]["name_en"] == m["w"]["name"] + "-dup"
    dropped = {k.split(".")[0]: len(v) for k, v in snap["dropped"].items() if v}
    for table, _ in COUNTED:
        total = sum(before[table].values())
        assert d not in after[table], table
        assert after[table].get(s, 0) + dropped.get(table, 0) == total, (table, before[table], after[table], dropped)
    assert after["history"] == before["history"] and after["violations"][s] == before["violations"][s] + 2
    # the twins: PRTR 2023 and the so2 limit and reading of the same hour were the survivor's already
    assert dropped == {"prtr_disclosures": 1, "brand_facility_links": 1, "permit_limits": 1, "emission_readings": 1,
                       "supplier_edges": 1}
    assert summary == (counted, "open") and counted == 6
    assert new_events == 0  # a merge is neither a corrected PRTR form nor a supplier removed
    assert version > m["version"]


def test_a_brand_linked_to_both_keeps_one_public_link(merged, db_url):
    m = merged
    with psycopg.connect(db_url) as c:
        links = c.execute("""SELECT brand_id, facility_id, is_public FROM brand_facility_links
                             WHERE brand_id = ANY(%s) ORDER BY brand_id""", ([m["extra"]["b1"], m["extra"]["b2"]],)
                          ).fetchall()
        edges = c.execute("SELECT supplier_facility_id, buyer_facility_id FROM supplier_edges WHERE "
                          "supplier_facility_id = %s OR buyer_facility_id = %s", (m["s"], m["s"])).fetchall()
        row = c.execute("SELECT facility_id FROM supplier_list_rows WHERE list_id = %s AND ref = 'D-1'",
                        (m["extra"]["lists"][m["extra"]["b1"]],)).fetchone()
    assert links == [(m["extra"]["b1"], m["s"], True), (m["extra"]["b2"], m["s"], True)]
    assert edges == [(m["s"], m["other"]["facility_id"])]  # the edge between the two is gone (it is in the snapshot)
    assert row == (m["s"],)  # the brand's own supplier reference now names the survivor


def test_the_old_id_redirects_and_public_surfaces_forget_it(merged):
    import mapbox_vector_tile
    import mercantile

    m, anon = merged, merged["anon"]
    s, d, w = m["s"], m["d"], m["w"]
    r = anon.get(f"/api/facilities/{d}")
    assert r.status_code == 308 and r.headers["Location"].endswith(f"/api/facilities/{s}")
    r = anon.get(f"/facilities/{d}")
    assert r.status_code == 308 and r.headers["Location"].endswith(f"/facilities/{s}")
    body = anon.get(f"/api/facilities/{d}", follow_redirects=True).json
    assert body["id"] == s and len(body["violations"]) == 6
    assert d in m["seen_before"]
    hits = anon.get("/api/search", query_string={"q": w["name"] + "-dup"}).json["results"]
    assert d not in [h["id"] for h in hits]
    near = anon.get("/api/near", query_string={"lon": w["lon"], "lat": w["lat"], "radius_m": 1000}).json
    ids = [f["id"] for f in near["facilities"]]
    assert s in ids and d not in ids
    tile = mercantile.tile(w["lon"] + 0.003, w["lat"], 14)
    r = anon.get(f"/tiles/factories/14/{tile.x}/{tile.y}.mvt")
    data = r.data if r.data[:2] != b"\x1f\x8b" else gzip.decompress(r.data)
    layer = mapbox_vector_tile.decode(data).get("factories", {"features": []})
    assert d not in [f["properties"].get("id", f.get("id")) for f in layer["features"]]
    r = post(m["ent"], "/api/workflow/merge-proposals", json={"survivor_id": m["spare"], "duplicate_id": d,
                                                              "reason": "again"})
    assert r.status_code == 409 and "merged into" in r.json["error"], r.json


def test_pages_show_merges_in_both_languages(merged):
    m = merged
    for lang in ("zh", "en"):
        cases = ((m["rev"], "/review?kind=merges&status=merged", f'data-merge-id="{m["proposal"]}"'),
                 (m["ent"], "/account/company", 'id="merge-form"'))
        for client, path, marker in cases:
            r = client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            text = r.get_data(as_text=True)
            assert r.status_code == 200 and marker in text, (path, lang)
            shown = re.sub(r"<script.*?</script>", "", text, flags=re.S)  # the texts' JSON for scripts has keys
            raw = re.search(r"\bwf_[a-z_]+\b", shown)
            assert not raw, (path, lang, shown[max(0, raw.start() - 300):raw.end() + 100])
            assert ("已合并" if lang == "zh" else ">merged<") in text, (path, lang)
    assert m["rev"].get("/review?kind=merges&status=bogus").status_code == 400


def test_chains_resolve_to_the_last_survivor(merged, db_url):
    m = merged
    s, d, spare = m["s"], m["d"], m["spare"]
    r = post(m["ent"], "/api/workflow/merge-proposals", json={"survivor_id": spare, "duplicate_id": s,
                                                              "reason": "统一编号"})
    assert r.status_code == 201, r.json
    r = post(m["rev"], f"/api/review/merges/{r.json['id']}", json={"decision": "merged"})
    assert r.status_code == 200, r.json
    for old in (d, s):
        got = m["anon"].get(f"/api/facilities/{old}")
        assert got.status_code == 308 and got.headers["Location"].endswith(f"/api/facilities/{spare}"), old
    with psycopg.connect(db_url) as c:
        n = c.execute("SELECT count(*) FROM violations WHERE facility_id = %s", (spare,)).fetchone()[0]
        aliases = dict(c.execute("SELECT ext_id, survivor_id FROM facility_aliases WHERE dataset_id = "
                                 "'test:workflow' AND ext_id = ANY(%s)", ([m["w"]["name"], m["w"]["name"] + "-dup"],)))
    assert n == 6
    assert aliases == {m["w"]["name"]: spare, m["w"]["name"] + "-dup": spare}  # source keys follow the chain too
