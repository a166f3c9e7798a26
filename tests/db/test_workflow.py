"""The accountability loop through HTTP with four users: enterprise (member), auditor, reviewer (admin), anonymous.

Claim -> approval -> explanation -> accepted (explained) -> audit request -> audit filed -> confirmed (rectified)
-> removal (removed); every step one history row with its actor and reason.
"""

from __future__ import annotations

import re
from datetime import date

import psycopg
import pytest

from tests.workflow_helpers import PDF, client_for, make_world, png, post


@pytest.fixture(scope="module")
def loop(app, db_url):
    """The world and the four users, walked through the whole loop once (the tests below check its traces)."""
    w = make_world(db_url)
    ent, ent_email = client_for(app, db_url, "member")
    rev, _ = client_for(app, db_url, "admin")
    aud, aud_email = client_for(app, db_url, "member")
    anon = app.test_client()
    v1, v2 = w["violations"][:2]
    steps = {}
    # 1. claim by USCC with a licence scan; the reviewer approves
    r = post(ent, "/api/workflow/claims", {"uscc": w["uscc"], "contact_name": "王经理", "position": "EHS manager",
                                           "contact_phone": "0471-1234567"}, files={"licence": (PDF, "licence.pdf")})
    assert r.status_code == 201, r.json
    steps["claim"] = r.json["id"]
    # before approval the enterprise cannot act
    r = post(ent, f"/api/workflow/records/{v1}/explanations", {"cause_zh": "设备故障"})
    assert r.status_code == 403, r.json
    r = post(rev, f"/api/review/claims/{steps['claim']}", json={"decision": "approved"})
    assert r.status_code == 200 and r.json["status"] == "approved", r.json
    # 2. explanations of v1 and v2 with evidence; v1 is returned once, then accepted
    r = post(ent, f"/api/workflow/records/{v1}/explanations",
             {"cause_zh": "脱硫设备故障导致超标", "measures_zh": "已更换设备", "cause_en": "Desulphuriser failure",
              "measures_en": "Equipment replaced", "completion_date": "2024-03-01", "contact": "0471-1234567"},
             files={"evidence": (png(), "photo.png")})
    assert r.status_code == 201, r.json
    first = r.json["id"]
    r = post(rev, f"/api/review/explanations/{first}", json={"decision": "returned", "comment": "附上检测报告"})
    assert r.status_code == 200, r.json
    r = post(ent, f"/api/workflow/records/{v1}/explanations",
             {"cause_zh": "脱硫设备故障导致超标", "measures_zh": "已更换设备并附检测报告",
              "cause_en": "Desulphuriser failure", "measures_en": "Equipment replaced; test report attached"},
             files={"evidence": (PDF, "report.pdf")})
    assert r.status_code == 201, r.json
    steps["explanation"] = r.json["id"]
    r = post(rev, f"/api/review/explanations/{steps['explanation']}", json={"decision": "accepted"})
    assert r.status_code == 200
    r = post(ent, f"/api/workflow/records/{v2}/explanations", {"cause_en": "Late report", "measures_en": "Filed"})
    assert post(rev, f"/api/review/explanations/{r.json['id']}", json={"decision": "accepted"}).status_code == 200
    # 3. an accredited organisation with our auditor; the enterprise requests an audit of v1
    r = post(rev, "/api/review/orgs", json={"name": "绿色审核有限公司", "accreditation_no": f"GCA-{w['name']}",
                                            "valid_from": "2024-01-01", "valid_to": "2030-12-31"})
    assert r.status_code == 201, r.json
    steps["org"] = r.json["id"]
    assert post(rev, f"/api/review/orgs/{steps['org']}/auditors", json={"email": aud_email}).status_code == 201
    r = post(ent, "/api/workflow/audit-requests", json={"violation_ids": [v1], "org_id": steps["org"]})
    assert r.status_code == 201, r.json
    steps["request"] = r.json["id"]
    # 4. the auditor files it; the reviewer confirms (rectified) and removes it (removed)
    aud.get("/logout")
    client_for(app, db_url, "auditor", aud_email)  # signs in again with the new role (same account)
    aud, _ = client_for(app, db_url, "auditor", aud_email)
    r = post(aud, f"/api/audits/requests/{steps['request']}",
             {"audit_type": "on_site", "audit_date": date.today().isoformat(), "result": "passed",
              "summary": "现场核查", f"finding_{v1}": "设备已更换，排放达标"}, files={"report": (PDF, "audit.pdf")})
    assert r.status_code == 201, r.json
    steps["audit"] = r.json["id"]
    r = post(rev, f"/api/review/audits/{steps['audit']}", json={"decision": "confirmed"})
    assert r.status_code == 200 and r.json["records"] == [v1], r.json
    r = post(rev, f"/api/review/records/{v1}/remove", json={"reason": "整改完成并通过第三方现场审核"})
    assert r.status_code == 200 and r.json["status"] == "removed", r.json
    return {"world": w, "ent": ent, "rev": rev, "aud": aud, "anon": anon, "steps": steps, "aud_email": aud_email,
            "ent_email": ent_email}


def test_every_transition_is_one_history_row_with_actor_and_reason(loop, db_url):
    v1, v2 = loop["world"]["violations"][:2]
    with psycopg.connect(db_url) as c:
        rows = c.execute("""SELECT violation_id, from_status::text, to_status::text, actor_role, actor_id IS NOT NULL,
                                   reason FROM violation_status_history WHERE violation_id = ANY(%s)
                              AND from_status IS NOT NULL ORDER BY violation_id, id""", ([v1, v2],)).fetchall()
        statuses = dict(c.execute("SELECT id, status::text FROM violations WHERE id = ANY(%s)", ([v1, v2],)))
    assert [(r[1], r[2]) for r in rows if r[0] == v1] == [("open", "explained"), ("explained", "rectified"),
                                                           ("rectified", "removed")]
    assert all(r[3] == "reviewer" and r[4] for r in rows)
    assert rows[2][5] == "整改完成并通过第三方现场审核"
    assert statuses == {v1: "removed", v2: "explained"}


def test_explanation_versions_are_kept(loop, db_url):
    v1 = loop["world"]["violations"][0]
    with psycopg.connect(db_url) as c:
        rows = c.execute("SELECT version, status, review_comment FROM explanations WHERE violation_id = %s "
                         "ORDER BY version", (v1,)).fetchall()
    assert rows == [(1, "returned", "附上检测报告"), (2, "accepted", None)]


def test_facility_summary_ignores_the_removed_record(loop, db_url):
    with psycopg.connect(db_url) as c:
        count, worst = c.execute("SELECT violation_count, worst_status FROM facilities WHERE id = %s",
                                 (loop["world"]["facility_id"],)).fetchone()
    assert (count, worst) == (3, "open")


def test_facility_page_shows_claimed_and_the_lifecycle(loop):
    w = loop["world"]
    v1, v2 = w["violations"][:2]
    page = loop["anon"].get(f"/facilities/{w['facility_id']}?lang=en").get_data(as_text=True)
    assert 'id="claimed-badge"' in page
    assert f'data-violation-id="{v2}"' in page and "Late report" in page  # v2's published explanation
    assert f'data-violation-id="{v1}"' not in page and "Desulphuriser failure" not in page  # v1 was removed
    assert "reviewer" in page  # the history names the actor's role
    assert 'class="button respond"' not in page
    own = loop["ent"].get(f"/facilities/{w['facility_id']}?lang=en").get_data(as_text=True)
    assert 'class="button respond"' in own
    assert f'data-violation-id="{v1}"' in own and "Equipment replaced; test report attached" in own
    assert "设备已更换，排放达标" in own and "on-site audit" in own and "passed" in own  # the confirmed audit
    zh = loop["ent"].get(f"/facilities/{w['facility_id']}?lang=zh").get_data(as_text=True)
    assert "脱硫设备故障导致超标" in zh and "现场审核" in zh


def test_company_review_and_audit_pages_render_in_both_languages(loop):
    for lang in ("zh", "en"):
        for who, path in (("ent", "/account/company"), ("rev", "/review"), ("aud", "/audits"),
                          ("ent", f"/account/company/records/{loop['world']['violations'][2]}/explain"),
                          ("ent", "/account/company/claim")):
            r = loop[who].get(f"{path}?lang={lang}")
            assert r.status_code == 200, (who, path, r.status_code)
            text = re.sub(r"<script.*?</script>", "", r.get_data(as_text=True), flags=re.S)
            assert not re.search(r"\b(wf|status|wf_claim|wf_expl)_[a-z_]+\b", text), (path, lang)
    assert loop["anon"].get("/review").status_code == 302
    assert loop["ent"].get("/review").status_code == 403


def test_review_queue_counts(loop):
    body = loop["rev"].get("/api/review").json
    assert set(body["counts"]) == {"claims", "explanations", "audits", "removable", "merges"}
    assert all(body["counts"][k] == len(body[k]) for k in body["counts"])


def test_removed_record_is_absent_from_every_public_surface_yet_present_for_those_involved(loop, db_url):
    import gzip

    import mapbox_vector_tile
    import mercantile

    w, anon = loop["world"], loop["anon"]
    fid, (v1, v2, v3, v4) = w["facility_id"], w["violations"]
    public = anon.get(f"/api/facilities/{fid}").json
    assert {v["id"] for v in public["violations"]} == {v2, v3, v4} and public["removed_count"] == 1
    for who in ("ent", "rev", "aud"):
        ids = {v["id"] for v in loop[who].get(f"/api/facilities/{fid}").json["violations"]}
        assert v1 in ids, who
    hits = anon.get("/api/search", query_string={"q": w["name"]}).json
    found = [h for h in hits.get("results", hits.get("facilities", [])) if h["id"] == fid]
    assert found and found[0]["violation_count"] == 3, hits
    near = anon.get("/api/near", query_string={"lon": w["lon"], "lat": w["lat"], "radius_m": 1000}).json
    assert [f["violation_count"] for f in near["facilities"] if f["id"] == fid] == [3]
    tile = mercantile.tile(w["lon"], w["lat"], 14)
    for query in ("", "?since=2024-01-01"):
        r = anon.get(f"/tiles/factories/14/{tile.x}/{tile.y}.mvt{query}")
        data = r.data if r.data[:2] != b"\x1f\x8b" else gzip.decompress(r.data)
        feats = mapbox_vector_tile.decode(data)["factories"]["features"]
        mine = [f["properties"] for f in feats if f["properties"].get("id", f.get("id")) == fid]
        assert mine and mine[0]["violation_count"] == 3, (query, mine)
    bbox = f"{w['lon'] - 0.01},{w['lat'] - 0.01},{w['lon'] + 0.01},{w['lat'] + 0.01}"
    import json as _json

    exported = _json.loads(anon.get(f"/exports/factories.geojson?bbox={bbox}").data)
    assert [f["properties"]["violation_count"] for f in exported["features"] if f["id"] == fid
            or f["properties"].get("id") == fid] == [3]
    item = anon.get(f"/ogc/collections/factories/items/{fid}").json
    assert item["properties"]["violation_count"] == 3
    dated = anon.get(f"/ogc/collections/factories/items?bbox={bbox}&datetime=2024-01-01/2024-01-31").json
    assert fid not in {f["id"] for f in dated["features"]}  # v1 (2024-01-15) was the only record in January
    # its evidence is no longer public; its enterprise and the reviewers still get it
    with psycopg.connect(db_url) as c:
        files = [r[0] for r in c.execute("""SELECT x.file_id FROM explanation_files x JOIN explanations e
                                            ON e.id = x.explanation_id WHERE e.violation_id = %s""", (v1,))]
    assert files and all(anon.get(f"/files/{f}").status_code == 404 for f in files)
    got = loop["ent"].get(f"/files/{files[-1]}")
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    # counted (not listed) in the statistics
    with psycopg.connect(db_url) as c:
        total = c.execute("SELECT count(*) FROM violations").fetchone()[0]
    stats = anon.get("/api/stats").json
    assert _json.dumps(stats).count(str(total)) >= 1


def test_illegal_transitions_answer_409_or_403_with_a_reason(loop, app, db_url):
    w, ent, rev, aud = loop["world"], loop["ent"], loop["rev"], loop["aud"]
    v1, v2, v3, _ = w["violations"]
    org = loop["steps"]["org"]
    cases = [
        (ent, "/api/workflow/audit-requests", {"violation_ids": [v3], "org_id": org}, 409, "only explained"),
        (rev, f"/api/review/records/{v2}/remove", {"reason": "x"}, 409, "only a rectified record"),
        (rev, f"/api/review/records/{v3}/remove", {"reason": "x"}, 409, "only a rectified record"),
        (rev, f"/api/review/records/{v1}/remove", {"reason": "again"}, 409, "removed"),
        (ent, f"/api/workflow/records/{v1}/explanations", {"cause_en": "x", "measures_en": "y"}, 409, "removed"),
        (rev, f"/api/review/explanations/{loop['steps']['explanation']}", {"decision": "returned", "comment": "c"},
         409, "already accepted"),
        (rev, f"/api/review/audits/{loop['steps']['audit']}", {"decision": "confirmed"}, 409, "already confirmed"),
        (rev, f"/api/review/claims/{loop['steps']['claim']}", {"decision": "rejected", "reason": "r"}, 409,
         "already approved"),
        (ent, f"/api/review/records/{v2}/remove", {"reason": "mine"}, 403, "administrators"),
        (ent, f"/api/audits/requests/{loop['steps']['request']}", {"audit_type": "desk"}, 403, "auditor"),
        (aud, f"/api/workflow/records/{v3}/explanations", {"cause_en": "x", "measures_en": "y"}, 403, "claim it"),
    ]
    for client, path, body, status, why in cases:
        r = post(client, path, json=body)
        assert r.status_code == status and why in r.json["error"], (path, r.status_code, r.json)
    # acting on another company's record
    other = make_world(db_url)
    r = post(ent, f"/api/workflow/records/{other['violations'][0]}/explanations", json={"cause_en": "x",
                                                                                      "measures_en": "y"})
    assert r.status_code == 403 and "do not act for this company" in r.json["error"]
    r = post(ent, "/api/workflow/audit-requests", json={"violation_ids": [other["violations"][0]], "org_id": org})
    assert r.status_code in (403, 409), r.json
    # a second claim of the same company, and a reviewer decision without its reason
    r = post(ent, "/api/workflow/claims", {"uscc": w["uscc"], "contact_name": "x", "position": "y",
                                           "contact_phone": "1"}, files={"licence": (PDF, "l.pdf")})
    assert r.status_code == 409
    r = post(ent, "/api/workflow/claims", {"uscc": other["uscc"], "contact_name": "x", "position": "y",
                                           "contact_phone": "1"}, files={"licence": (PDF, "l.pdf")})
    assert r.status_code == 201
    r = post(rev, f"/api/review/claims/{r.json['id']}", json={"decision": "rejected"})
    assert r.status_code == 400 and "reason" in r.json["error"]
    # an expired accreditation cannot receive requests, and its auditors cannot file
    r = post(rev, "/api/review/orgs", json={"name": "Old", "accreditation_no": f"OLD-{w['name']}",
                                            "valid_from": "2010-01-01", "valid_to": "2012-01-01"})
    assert r.status_code == 201
    r = post(ent, "/api/workflow/audit-requests", json={"violation_ids": [v2], "org_id": r.json["id"]})
    assert r.status_code == 400 and "current" in r.json["error"]
    assert post(rev, "/api/review/orgs", json={"name": "Bad", "accreditation_no": "B", "valid_from": "2020-01-02",
                                               "valid_to": "2020-01-01"}).status_code == 400


def test_claim_by_a_page_form_redirects_with_the_reason(loop):
    ent = loop["ent"]
    r = post(ent, "/api/workflow/claims", {"uscc": "91110000000000000X", "contact_name": "x", "position": "y",
                                           "contact_phone": "1", "_next": "/account/company"},
             files={"licence": (PDF, "l.pdf")})
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/company")
    page = ent.get("/account/company?lang=en").get_data(as_text=True)
    assert "uscc:" in page and "check digit" in page


def test_the_json_api_takes_bearer_tokens_without_csrf(loop, db_url, app):
    from accounts import users as accounts

    with psycopg.connect(db_url) as c:
        uid = c.execute("SELECT id FROM users WHERE email = %s", (loop["ent_email"],)).fetchone()[0]
        _, secret = accounts.create_token(c, uid, "workflow test")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    body = client.get("/api/workflow/company", headers=auth).json
    assert loop["world"]["company_id"] in body["companies"]
    assert {r["id"] for r in body["records"]} >= set(loop["world"]["violations"])
    r = client.post("/api/workflow/audit-requests", headers=auth,
                    json={"violation_ids": [loop["world"]["violations"][2]], "org_id": loop["steps"]["org"]})
    assert r.status_code == 409  # reached the rules without a CSRF token: that record is still open
    assert client.get("/api/review", headers=auth).status_code == 403
