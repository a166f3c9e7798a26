"""Taiwan MOENV penalty decisions as real records, GHG facility figures, placement precision."""

from __future__ import annotations

import csv

from data.catalog import BUNDLED

PEN = BUNDLED / "tw-moenv-penalties-ems-p-46" / "ems_p_46.csv"


def test_all_thousand_decisions_are_records_with_their_published_fields(conn):
    n, = conn.execute("SELECT count(*) FROM violations WHERE dataset_id = 'tw-moenv-penalties'").fetchone()
    assert n == 1000
    with open(PEN, encoding="utf-8-sig") as fh:
        first = next(csv.DictReader(fh))
    row = conn.execute("""SELECT v.description, v.legal_basis, v.details, v.status, f.name_zh
                          FROM violations v JOIN facilities f ON f.id = v.facility_id
                          WHERE v.dataset_id = 'tw-moenv-penalties' AND v.ext_id = %s""",
                       (first["document_no"] + "#1",)).fetchone()
    desc, law, details, status, name = row
    assert desc == first["openinfor"] and law == first["transgress_law"] and name == first["fac_name"]
    assert "臺" in desc or "環境" in desc  # Traditional characters kept as published
    assert details["fine"] == float(first["penalty_money"]) and details["currency"] == "TWD"
    assert details["tax_id"] == first["ban"] and details["control_no"] == first["ems_no"]
    assert details["improvement"] == first["is_improve"]
    statuses = dict(conn.execute("SELECT status::text, count(*) FROM violations WHERE dataset_id = "
                                 "'tw-moenv-penalties' GROUP BY 1").fetchall())
    assert statuses["open"] == 36 and statuses["removed"] == 2 and sum(statuses.values()) == 1000
    # the published outcome is one transition from open, dated by the decision (Beijing/Taipei noon)
    steps = conn.execute("""SELECT h.to_status::text, (h.changed_at AT TIME ZONE 'Asia/Taipei')::date::text
                            FROM violation_status_history h JOIN violations v ON v.id = h.violation_id
                            WHERE v.dataset_id = 'tw-moenv-penalties' AND v.ext_id = %s ORDER BY h.id""",
                         (first["document_no"] + "#1",)).fetchall()
    assert [s for s, _ in steps] == ["open", status] and steps[-1][1] == first["penalty_date"]


def test_placement_exact_by_control_number_else_county(conn):
    counts = dict(conn.execute("""SELECT location_precision, count(*) FROM facilities
                                  WHERE dataset_id IN ('tw-moenv-ghg', 'tw-moenv-penalties') GROUP BY 1""").fetchall())
    assert counts["county"] > 0 and counts["exact"] + counts.get("street", 0) == 89  # GHG facilities in the coal file
    shared = conn.execute("""SELECT count(DISTINCT v.facility_id) FROM violations v JOIN facilities f ON
                             f.id = v.facility_id WHERE v.dataset_id = 'tw-moenv-penalties'
                             AND f.dataset_id = 'tw-moenv-ghg'""").fetchone()[0]
    assert shared == 2  # the two control numbers in both files share one facility
    lon, lat = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM facilities WHERE dataset_id = 'tw-moenv-penalties' "
                            "AND location_precision = 'county' LIMIT 1").fetchone()
    assert 118 < lon < 122.5 and 21.8 < lat < 26.5


def test_ghg_figures_per_facility_and_year(conn):
    n, facs, lo, hi = conn.execute("""SELECT count(*), count(DISTINCT p.facility_id), min(year), max(year)
        FROM prtr_disclosures p JOIN facilities f ON f.id = p.facility_id WHERE p.dataset_id = 'tw-moenv-ghg'
        AND NOT p.synthetic""").fetchone()
    assert (facs, lo, hi) == (628, 2015, 2024) and n >= 3600
    t, = conn.execute("""SELECT ghg_tco2e FROM prtr_disclosures p JOIN facilities f ON f.id = p.facility_id
                         WHERE f.ext_id = 'B2313780' AND year = 2015""").fetchone()
    assert t == 1168575.0


def test_records_show_on_page_search_and_map(client, conn):
    fid, name = conn.execute("""SELECT f.id, f.name_zh FROM facilities f WHERE f.dataset_id = 'tw-moenv-penalties'
                                AND f.location_precision = 'county' ORDER BY f.id LIMIT 1""").fetchone()
    page = client.get(f"/facilities/{fid}?lang=en").get_data(as_text=True)
    assert name in page and "TWD" in page and 'data-precision="county"' in page
    assert "not the factory" in page
    api = client.get(f"/api/facilities/{fid}").get_json()
    assert api["violations"] and api["violations"][0]["details"]["currency"] == "TWD"
    found = client.get("/api/search", query_string={"q": name[:4]}).get_json()
    assert any(r["id"] == fid for r in found["results"])
