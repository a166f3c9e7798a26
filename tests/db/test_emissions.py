"""Online emission monitoring: permit limits, hourly readings, one violation record per exceedance episode."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import psycopg
import pytest

from accounts import tokens
from ingest import emissions

BEIJING = timezone(timedelta(hours=8))


def episodes(values: list[float | None], limit: float) -> int:
    """Exceedance episodes in an hourly series (None: no reading, which does not end an episode)."""
    count, inside = 0, False
    for v in values:
        if v is None:
            continue
        if v > limit and not inside:
            count += 1
        inside = v > limit
    return count


def test_demo_monitoring_is_synthetic_and_each_episode_is_one_record(conn):
    pairs = conn.execute("""SELECT l.facility_id, l.pollutant, l.limit_value, l.synthetic, f.key_monitored
                            FROM permit_limits l JOIN facilities f ON f.id = l.facility_id""").fetchall()
    assert len({p[0] for p in pairs}) == 40 and all(p[3] and p[4] for p in pairs)
    total = 0
    for fid, pollutant, limit, *_ in pairs:
        rows = conn.execute("""SELECT observed_at, value FROM emission_readings WHERE facility_id = %s
                               AND pollutant = %s ORDER BY observed_at""", (fid, pollutant)).fetchall()
        assert rows and all(r[0].minute == 0 for r in rows)
        total += episodes([v for _, v in rows], limit)
    records = conn.execute("""SELECT count(*), bool_and(synthetic), bool_and(status = 'open'),
                                     bool_and(dataset_id = 'synthetic-demo') FROM violations
                              WHERE source = 'online monitoring'""").fetchone()
    assert total > 10 and records == (total, True, True, True)
    assert conn.execute("SELECT bool_and(synthetic) FROM emission_readings").fetchone()[0]


@pytest.fixture()
def monitored(db_url):
    """A committed facility with a SO2 permit limit of 35 mg/m3 and a push token; removed afterwards (the pushes
    stay within the limit: violation records, once made, cannot be deleted)."""
    with psycopg.connect(db_url) as c:
        fid = c.execute("""INSERT INTO facilities (dataset_id, ext_id, name_en, industry, key_monitored, synthetic,
                                                   geom)
                           VALUES ('synthetic-demo', 'emission-test', 'Emission test plant', 'power_coal', true,
                                   true, ST_SetSRID(ST_MakePoint(87.5, 43.9), 4326)) RETURNING id""").fetchone()[0]
        c.execute("""INSERT INTO permit_limits (facility_id, pollutant, limit_value, unit, dataset_id, synthetic)
                     VALUES (%s, 'so2', 35, 'mg/m3', 'synthetic-demo', true)""", (fid,))
        secret = tokens.create(c, "test-emissions")[1]
    yield fid, {"Authorization": f"Bearer {secret}"}
    with psycopg.connect(db_url) as c:
        c.execute("DELETE FROM emission_readings WHERE facility_id = %s", (fid,))
        c.execute("DELETE FROM permit_limits WHERE facility_id = %s", (fid,))
        c.execute("DELETE FROM facilities WHERE id = %s", (fid,))
        c.execute("DELETE FROM api_tokens WHERE label = 'test-emissions'")
        c.execute("DELETE FROM datasets WHERE id LIKE 'push-emissions:test-%%'")


def item(fid, hour, value, pollutant="so2"):
    at = datetime(2025, 11, 3, tzinfo=BEIJING) + timedelta(hours=hour)
    return {"facility_id": fid, "pollutant": pollutant, "time": at.isoformat(), "value": value}


def emissions_dataset():
    from data.catalog import DATASETS

    return DATASETS["synthetic-demo"]


def records(conn, fid):
    return conn.execute("""SELECT violation_date, category, description, source, synthetic FROM violations
                           WHERE facility_id = %s ORDER BY ext_id""", (fid,)).fetchall()


def test_one_record_per_episode_and_loading_again_adds_nothing(conn):
    fid = conn.execute("""INSERT INTO facilities (dataset_id, ext_id, name_en, industry, key_monitored, geom)
                          VALUES ('synthetic-demo', 'emission-episodes', 'Episode plant', 'power_coal', true,
                                  ST_SetSRID(ST_MakePoint(87.5, 43.9), 4326)) RETURNING id""").fetchone()[0]
    conn.execute("""INSERT INTO permit_limits (facility_id, pollutant, limit_value, unit, dataset_id)
                    VALUES (%s, 'so2', 35, 'mg/m3', 'synthetic-demo')""", (fid,))
    ds = emissions_dataset()

    def load(items):
        return emissions.ingest(conn, ds, [emissions.parse_item(i) for i in items])

    batch = [item(fid, h, v) for h, v in enumerate([20, 30, 50, 80, 60, 20, 40])]  # two episodes: h2-4, h6
    report = load(batch)
    assert (report.count("inserted"), report.new_violations) == (7, 2)
    got = records(conn, fid)
    assert len(got) == 2 and all(g[3] == "online monitoring" and not g[4] for g in got)
    assert "3 小时" in got[0][2] and "peak 80.0 mg/m3" in got[0][2] and got[0][1] == "超标排放大气污染物"
    report = load(batch)
    assert (report.count("inserted"), report.count("duplicate"), report.new_violations) == (0, 7, 0)
    # The second episode goes on across an hour without data: still one record, now three hours over.
    report = load([item(fid, 8, 45), item(fid, 9, 70), item(fid, 10, 10)])
    assert (report.count("inserted"), report.new_violations) == (3, 0)
    got = records(conn, fid)
    assert len(got) == 2 and "3 h" in got[1][2] and "peak 70.0" in got[1][2]
    # A third episode; then a late reading of the hour before it: the same record, now two hours long.
    assert load([item(fid, 13, 50), item(fid, 14, 10)]).new_violations == 1
    report = load([item(fid, 12, 60)])
    assert (report.count("inserted"), report.new_violations) == (1, 0)
    got = records(conn, fid)
    assert len(got) == 3 and "2 h" in got[2][2] and "11-03 12:00" in got[2][2] and "peak 60.0" in got[2][2]
    # The facility's summary counts them (the violation triggers did their work).
    assert conn.execute("SELECT violation_count, worst_status FROM facilities WHERE id = %s",
                        (fid,)).fetchone() == (3, "open")


def test_push_api_is_idempotent(client, conn, monitored):
    fid, auth = monitored
    batch = [item(fid, h, v) for h, v in enumerate([20, 30, 25, 34.9, 35])]  # at the limit is not over it
    r = client.post("/api/emissions", json={"readings": batch}, headers=auth)
    assert r.status_code == 200, r.json
    assert (r.json["inserted"], r.json["new_violations"]) == (5, 0)
    r = client.post("/api/emissions", json={"readings": batch}, headers=auth)
    assert (r.json["inserted"], r.json["duplicate"]) == (0, 5)
    assert conn.execute("SELECT count(*) FROM emission_readings WHERE facility_id = %s", (fid,)).fetchone()[0] == 5


def test_bad_readings_are_rejected_with_reasons_and_the_rest_kept(client, conn, monitored):
    fid, auth = monitored
    batch = [item(fid, 20, 20), item(fid, 1, -3), item(fid, 2, 10**6), item(fid, 3, 20, "pm25"),
             item(fid, 4, 20, "nox"), {"facility_id": fid, "pollutant": "so2", "time": "2025-11-03T05:30+08:00",
                                       "value": 1}, "nonsense"]
    r = client.post("/api/emissions", json={"readings": batch}, headers=auth)
    assert r.status_code == 207
    assert (r.json["inserted"], r.json["rejected"]) == (1, 6)
    reasons = {o["index"]: " ".join(o.get("reasons", [])) for o in r.json["items"]}
    assert "negative" in reasons[1] and "physical range" in reasons[2] and "pollutant must be" in reasons[3]
    assert "no permit limit for nox" in reasons[4] and "whole hour" in reasons[5] and "object" in reasons[6]
    only_bad = client.post("/api/emissions", json={"readings": batch[1:3]}, headers=auth)
    assert only_bad.status_code == 422


@pytest.mark.parametrize("bad, words", [
    ({"facility_id": 2**63}, "facility_id must be an integer from 1 to"),
    ({"facility_id": -(2**63) - 1}, "facility_id must be an integer from 1 to"),
    ({"time": "0001-01-01T00:00+08:00"}, "before 1980"),
    ({"time": "9999-12-31T23:00-08:00"}, "in the future"),
    ({"time": "2099-01-01T00:00+08:00", "value": 500}, "in the future"),
])
def test_out_of_range_ids_and_times_are_rejected_not_500(client, conn, monitored, bad, words):
    fid, auth = monitored
    reading = item(fid, 0, 20) | bad
    r = client.post("/api/emissions", json={"readings": [reading]}, headers=auth)
    assert r.status_code == 422, r.data
    assert words in " ".join(r.json["items"][0]["reasons"])
    mixed = client.post("/api/emissions", json={"readings": [item(fid, 1, 20), reading]}, headers=auth)
    assert mixed.status_code == 207 and (mixed.json["inserted"], mixed.json["rejected"]) == (1, 1)
    assert conn.execute("SELECT count(*) FROM violations WHERE facility_id = %s", (fid,)).fetchone()[0] == 0


def test_a_reading_within_the_clock_skew_is_accepted(client, monitored):
    from datetime import UTC

    fid, auth = monitored
    soon = (datetime.now(UTC) + timedelta(minutes=50)).replace(minute=0, second=0, microsecond=0)
    r = client.post("/api/emissions", json={"readings": [item(fid, 0, 20) | {"time": soon.isoformat()}]},
                    headers=auth)
    assert r.status_code == 200 and r.json["inserted"] == 1


@pytest.mark.parametrize("headers,status", [({}, 401), ({"Authorization": "Bearer bm_nope"}, 401)])
def test_push_needs_a_token(client, headers, status):
    r = client.post("/api/emissions", json={"readings": [item(1, 0, 1)]}, headers=headers)
    assert r.status_code == status and "error" in r.json


def test_series_api_and_csv(client, conn):
    fid, n = conn.execute("""SELECT facility_id, count(*) FROM emission_readings GROUP BY facility_id
                             ORDER BY facility_id LIMIT 1""").fetchone()
    r = client.get(f"/api/facilities/{fid}/emissions")
    assert r.status_code == 200
    body = r.json
    assert body["synthetic"] and body["limits"] and body["fields"][:3] == ["observed_at", "pollutant", "value"]
    assert len(body["rows"]) == n  # the default span (14 days up to the latest reading) holds the demo data
    over = [row for row in body["rows"] if row[5]]
    assert all(row[2] > row[4] for row in over)
    csv = client.get(f"/api/facilities/{fid}/emissions?pollutant={body['limits'][0]['pollutant']}&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data.decode().splitlines()[0].startswith("facility_id,observed_at,pollutant,value")
    for url, status in ((f"/api/facilities/{fid}/emissions?pollutant=pm25", 400),
                        (f"/api/facilities/{fid}/emissions?from=2025-13-01", 400),
                        (f"/api/facilities/{fid}/emissions?from=2020-01-01&to=2025-01-01", 400),
                        (f"/api/facilities/{fid}/emissions?format=xml", 400),
                        ("/api/facilities/999999999/emissions", 404)):
        r = client.get(url)
        assert r.status_code == status and "error" in r.json, url


def test_facility_page_shows_the_monitoring_summary(client, conn):
    fid, episodes_ = conn.execute("""SELECT facility_id, count(*) FROM violations v
                                     JOIN permit_limits l USING (facility_id)
                                     WHERE v.source = 'online monitoring' GROUP BY facility_id
                                     ORDER BY 2 DESC, 1 LIMIT 1""").fetchone()
    html = client.get(f"/facilities/{fid}?lang=en").data.decode()
    assert 'id="emissions"' in html and "Permit limit" in html and "Exceedance episodes" in html
    api = client.get(f"/api/facilities/{fid}").json
    assert sum(m["episodes"] for m in api["monitoring"]) == conn.execute(
        "SELECT count(*) FROM violations WHERE facility_id = %s AND source = 'online monitoring' "
        "AND status <> 'removed'", (fid,)).fetchone()[0]
    assert all(m["synthetic"] for m in api["monitoring"])
