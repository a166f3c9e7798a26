"""Brand status, fixed: a supplier's status is its worst unresolved record whatever its age, the 12-month
counts run back from today (not from the newest record on file), and the report carries USCC, the brand's own
supplier reference (for the brand only) and correct synthetic marks."""

from __future__ import annotations

import csv
import io
import uuid

import psycopg

from standards import uscc as uscc_std
from tests.alerts_helpers import facility
from tests.supply_helpers import login, make_brand, make_user


def _uscc() -> str:
    body = "91310000" + "".join(str(int(c, 16) % 10) for c in uuid.uuid4().hex[:9])
    return body + uscc_std._check_digit(body)


def _record(c, fid: int, days_ago: int, status: str, synthetic: bool = False) -> None:
    c.execute("""INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category, source,
                                         status, synthetic)
                 VALUES ('synthetic-demo', %s, %s, current_date - %s, 'EPB', 'air', 'test', %s, %s)""",
              (f"bs-{uuid.uuid4().hex}", fid, days_ago, status, synthetic))


def test_status_is_the_worst_unresolved_record_whatever_its_age(app, db_url):
    bid, slug = make_brand(db_url, "status")
    with psycopg.connect(db_url) as c:
        old_open = facility(c, 120.1, 30.2, uscc=_uscc())
        old_explained = facility(c, 120.2, 30.2)
        recent_fixed = facility(c, 120.3, 30.2)
        old_fixed = facility(c, 120.4, 30.2)
        real = facility(c, 120.5, 30.2)
        c.execute("UPDATE facilities SET synthetic = false WHERE id = %s", (real,))
        c.execute("UPDATE companies SET synthetic = false WHERE id = (SELECT company_id FROM facilities "
                  "WHERE id = %s)", (old_open,))
        _record(c, old_open, 800, "open")
        _record(c, old_open, 30, "rectified")
        _record(c, old_explained, 500, "explained")
        _record(c, recent_fixed, 200, "rectified")
        _record(c, old_fixed, 400, "rectified")
        _record(c, real, 100, "rectified", synthetic=True)
        lid = c.execute("INSERT INTO supplier_lists (brand_id, name, dataset_id) VALUES (%s, 'l', 'synthetic-demo') "
                        "RETURNING id", (bid,)).fetchone()[0]
        for i, fid in enumerate((old_open, old_explained, recent_fixed, old_fixed, real)):
            c.execute("INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, dataset_id) "
                      "VALUES (%s, %s, %s, 'processing', true, 'synthetic-demo')", (bid, fid, lid))
            c.execute("INSERT INTO supplier_list_rows (list_id, line, ref, outcome, facility_id) "
                      "VALUES (%s, %s, %s, 'linked', %s)", (lid, i + 2, f"SUP-{i}", fid))
        uscc = c.execute("SELECT trim(uscc) FROM companies c JOIN facilities f ON f.company_id = c.id "
                         "WHERE f.id = %s", (old_open,)).fetchone()[0]
        today = c.execute("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date").fetchone()[0]
    client = app.test_client()
    feats = client.get(f"/api/brands/{slug}/suppliers").json
    assert feats["as_of"] == today.isoformat()
    props = {f["id"]: f["properties"] for f in feats["features"]}
    assert props[old_open]["status"] == "open" and props[old_open]["open"] == 0  # open for 800 days: still open
    assert props[old_explained]["status"] == "explained"
    assert props[recent_fixed]["status"] == "rectified" and props[recent_fixed]["rectified"] == 1
    assert props[old_fixed]["status"] == "none"
    assert props[real]["synthetic"] is True  # a real facility with a synthetic record is marked
    public = list(csv.DictReader(io.StringIO("\n".join(
        line for line in client.get(f"/brands/{slug}/report.csv").data.decode("utf-8-sig").splitlines()
        if not line.startswith("#")))))
    row = {int(r["facility_id"]): r for r in public}
    assert row[old_open]["uscc"] == uscc and row[old_open]["status"] == "open"
    assert row[old_open]["open_unresolved"] == "1" and row[old_open]["open_12m"] == "0"
    assert row[real]["synthetic_data"] == "yes" and row[old_fixed]["synthetic_data"] == "yes"
    assert {r["supplier_ref"] for r in public} == {""}  # the brand's own references stay with the brand
    login(client, make_user(db_url, "brand", bid))
    mine = client.get(f"/brands/{slug}/report.csv").data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO("\n".join(x for x in mine.splitlines() if not x.startswith("#")))))
    assert {int(r["facility_id"]): r["supplier_ref"] for r in rows}[old_explained] == "SUP-1"
