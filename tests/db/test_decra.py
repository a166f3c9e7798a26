"""DECRA: portfolio upload and matching, review, risk levels computed by hand, reports, institution privacy."""

import io
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from core.datasets import Dataset
from db.staging import register_dataset
from indices import decra
from standards import uscc
from tests.supply_helpers import csrf_token, csv_bytes, login, make_user, unique, xlsx_bytes

DS = Dataset("test:decra", "DECRA test fixture", "CC0", None, "test", None, synthetic=True)
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _code() -> str:
    return uscc.make("330100", random.randrange(10**7, 10**8))


def _company_facility(c, name: str, code: str | None, lon=120.3, lat=30.3, key=False) -> int:
    cid = None
    if code:
        cid = c.execute("INSERT INTO companies (uscc, name_zh, dataset_id) VALUES (%s, %s, %s) RETURNING id",
                        (code, name, DS.id)).fetchone()[0]
    return c.execute(
        """INSERT INTO facilities (dataset_id, ext_id, company_id, name_zh, name_en, industry, area_code,
               key_monitored, geom) VALUES (%s, %s, %s, %s, %s, 'textiles', '330100', %s,
               ST_SetSRID(ST_MakePoint(%s, %s), 4326)) RETURNING id""",
        (DS.id, unique("f"), cid, name, name, key, lon, lat)).fetchone()[0]


def _violation(c, fid, days_ago, status="open", penalty=None, ext=None, description=None) -> int:
    return c.execute(
        """INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category,
               penalty_cny, description, source, status) VALUES (%s, %s, %s, %s, 'bureau', 'air', %s, %s, 'test', %s)
           RETURNING id""",
        (DS.id, ext or unique("v"), fid, TODAY - timedelta(days=days_ago), penalty, description, status)).fetchone()[0]


@pytest.fixture(scope="module")
def world(db_url):
    """Two institutions with a lender each; a risky company, a clean one and a name for review."""
    risky, clean = _code(), _code()
    review_name = unique("蓝天印染审核样本有限公司")
    with psycopg.connect(db_url) as c:
        register_dataset(c, DS)
        a = _company_facility(c, unique("风险样本纺织"), risky, key=True)
        _company_facility(c, unique("清洁样本纺织"), clean)
        _company_facility(c, review_name, None, lon=120.5, lat=30.5)
        _violation(c, a, 30, "open", penalty=150000)          # recent, open, no explanation
        v2 = _violation(c, a, 60, "explained")                 # recent, explained
        c.execute("INSERT INTO explanations (violation_id, submitted_at, body, dataset_id) VALUES (%s, now(), 'x', %s)",
                  (v2, DS.id))
        _violation(c, a, 500, "rectified")                     # 13-36 months ago
        _violation(c, a, 20, "rectified", ext=unique("om:x"), description="SO2 over the limit for 30 h, peak 9")
        _violation(c, a, 2000, "open")                         # outside the 36-month window
        c.execute("INSERT INTO prtr_disclosures (facility_id, year, dataset_id) VALUES (%s, %s, %s)",
                  (a, TODAY.year, DS.id))
        i1 = decra.create_institution(c, unique("Bank A"))
        i2 = decra.create_institution(c, unique("Bank B"))
    l1, l2 = make_user(db_url, "lender"), make_user(db_url, "lender")
    with psycopg.connect(db_url) as c:
        decra.add_member(c, l1, i1)
        decra.add_member(c, l2, i2)
    rows = [{"borrower": "风险样本", "uscc": risky, "lon": "", "lat": "", "exposure": "1000000"},
            {"borrower": "清洁样本", "uscc": clean, "lon": "", "lat": "", "exposure": "250000.5"},
            {"borrower": review_name, "uscc": "", "lon": "120.5", "lat": "30.527", "exposure": "300"},
            {"borrower": unique("查无此企业"), "uscc": "", "lon": "", "lat": "", "exposure": "42"}]
    return {"rows": rows, "l1": l1, "l2": l2, "review_name": review_name}


def _lender(app, email):
    client = app.test_client()
    login(client, email)
    return client


def _upload(client, data: bytes, name="p.csv"):
    return client.post("/api/decra/portfolios", data={"file": (io.BytesIO(data), name)},
                       headers={"X-CSRF-Token": csrf_token(client, "/decra")}, content_type="multipart/form-data")


def test_upload_match_and_risk_by_hand(app, world):
    client = _lender(app, world["l1"])
    r = _upload(client, csv_bytes(world["rows"]))
    assert r.status_code == 201, r.get_data(as_text=True)
    p = client.get(r.get_json()["url"]).get_json()
    by_line = {row["line"]: row for row in p["rows"]}
    risky, clean, rev, none = by_line[2], by_line[3], by_line[4], by_line[5]
    # recent 2 x 3 = 6; older 1 x 1 = 1; repeat (3 records in 36 months) 3; open unexplained 1 x 2 = 2;
    # exceedance 30 h >= 24 -> 2; penalties 150,000 >= 100,000 -> 2; key-monitored 1; PRTR -1: total 16 -> high
    assert risky["outcome"] == "matched" and risky["risk_points"] == 16 and risky["risk_level"] == "high"
    got = {x["rule"]: x["points"] for x in risky["risk_reasons"] if x["status"] == "ok"}
    assert got == {"recent_records": 6, "older_records": 1, "repeat": 3, "open_unexplained": 2,
                   "exceedance_hours": 2, "penalties": 2, "key_monitored": 1, "prtr_disclosed": -1}
    assert any(x["rule"] == "passed_audit" and x["status"] == "missing" for x in risky["risk_reasons"])
    assert clean["risk_level"] == "low" and clean["risk_points"] == 0
    # the same name 3 km away: 0.65 x 1 + 0.35 x closeness(3 km) ~ 0.74 -> review
    assert rev["outcome"] == "review" and rev["risk_level"] == "unknown"
    assert none["outcome"] == "unmatched" and none["risk_level"] == "unknown"
    s = p["summary"]
    assert s["level"]["high"] == {"count": 1, "exposure": 1000000.0}
    assert s["level"]["unknown"]["count"] == 2 and s["total"]["exposure"] == 1000000 + 250000.5 + 300 + 42
    # review: accepting the candidate matches the row and assesses it
    token = csrf_token(client, "/decra")
    bad = client.post(f"/api/decra/portfolios/{p['id']}/rows/{rev['id']}", json={"action": "accept",
                      "facility_id": risky["facility_id"]}, headers={"X-CSRF-Token": token})
    assert bad.status_code == 400
    ok = client.post(f"/api/decra/portfolios/{p['id']}/rows/{rev['id']}",
                     json={"action": "accept", "facility_id": rev["candidates"][0]["facility_id"]},
                     headers={"X-CSRF-Token": token})
    assert ok.status_code == 200
    again = {row["line"]: row for row in client.get(f"/api/decra/portfolios/{p['id']}").get_json()["rows"]}
    assert again[4]["outcome"] == "matched" and again[4]["risk_level"] == "low"
    assert client.post(f"/api/decra/portfolios/{p['id']}/rows/{risky['id']}", json={"action": "watch"},
                       headers={"X-CSRF-Token": token}).status_code == 200
    # watching follows the facility in the alerts (the lender's inbox); unwatching stops it
    subs = client.get("/api/alerts/subscriptions").get_json()["subscriptions"]
    mine = [x for x in subs if x["target"] == "facility" and x["facility_id"] == risky["facility_id"]]
    assert len(mine) == 1 and mine[0]["inbox"]
    assert client.post(f"/api/decra/portfolios/{p['id']}/rows/{risky['id']}", json={"action": "unwatch"},
                       headers={"X-CSRF-Token": token}).status_code == 200
    subs = client.get("/api/alerts/subscriptions").get_json()["subscriptions"]
    assert not [x for x in subs if x["target"] == "facility" and x["facility_id"] == risky["facility_id"]]


def test_bad_rows_import_nothing_and_are_named(app, world, db_url):
    client = _lender(app, world["l1"])
    with psycopg.connect(db_url) as c:
        before = c.execute("SELECT count(*) FROM decra_portfolios").fetchone()[0]
    rows = [{"borrower": "a", "uscc": "91330100MA27XXXX1X", "exposure": "1"}, {"borrower": "", "uscc": "",
            "exposure": "5"}, {"borrower": "c", "uscc": "", "exposure": "-3"}, {"borrower": "d", "uscc": "",
            "exposure": "lots"}]
    r = _upload(client, csv_bytes(rows))
    body = r.get_json()
    assert r.status_code == 400 and "nothing was imported" in body["error"]
    assert [x["line"] for x in body["rows"]] == [2, 3, 4, 5]
    assert [x["column"] for x in body["rows"]] == ["uscc", "borrower", "exposure", "exposure"]
    missing = _upload(client, b"name,address\nx,y\n")
    assert missing.status_code == 400 and "'exposure' is missing" in missing.get_json()["error"]
    assert _upload(client, b"").status_code == 400
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM decra_portfolios").fetchone()[0] == before


def test_xlsx_upload_and_reports(app, world):
    client = _lender(app, world["l1"])
    xlsx_rows = [{"借款人": r["borrower"], "统一社会信用代码": r["uscc"], "敞口": r["exposure"]}
                 for r in world["rows"][:2]]
    r = _upload(client, xlsx_bytes(xlsx_rows), "p.xlsx")
    assert r.status_code == 201, r.get_data(as_text=True)
    pid = r.get_json()["id"]
    page = client.get(f"/decra/{pid}?lang=en").get_data(as_text=True)
    assert "High" in page and "Records in the last 12 months" in page and "input missing" in page
    zh = client.get(f"/decra/{pid}?lang=zh").get_data(as_text=True)
    assert "近 12 个月的违规记录" in zh
    x = client.get(f"/decra/{pid}/report.xlsx?lang=en")
    assert x.status_code == 200 and x.data[:2] == b"PK" and "attachment" in x.headers["Content-Disposition"]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(x.data))
    cells = [c.value for row in wb["companies"].iter_rows() for c in row]
    assert "High" in cells and 1000000 in cells
    pdf = client.get(f"/decra/{pid}/report.pdf?lang=zh")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_portfolios_are_private_to_their_institution(app, world, db_url):
    mine = _lender(app, world["l1"])
    pid = _upload(mine, csv_bytes(world["rows"][:1])).get_json()["id"]
    other = _lender(app, world["l2"])
    token = csrf_token(other, "/decra")
    for path in (f"/decra/{pid}", f"/api/decra/portfolios/{pid}", f"/decra/{pid}/report.xlsx",
                 f"/decra/{pid}/report.pdf"):
        assert other.get(path).status_code == 404, path
    assert other.post(f"/api/decra/portfolios/{pid}/rows/1", json={"action": "watch"},
                      headers={"X-CSRF-Token": token}).status_code == 404
    assert pid not in [p["id"] for p in other.get("/api/decra/portfolios").get_json()]
    assert world["rows"][0]["borrower"] not in other.get("/decra").get_data(as_text=True)
    anon = app.test_client()
    assert anon.get(f"/api/decra/portfolios/{pid}").status_code == 401
    assert anon.get("/decra").status_code == 302
    for role in ("admin", "member"):
        c = _lender(app, make_user(db_url, role))
        assert c.get(f"/api/decra/portfolios/{pid}").status_code == 403
    orphan = _lender(app, make_user(db_url, "lender"))  # a lender of no institution
    assert orphan.get("/api/decra/portfolios").status_code == 403
