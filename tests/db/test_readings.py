"""Hourly readings in: CNEMC-style files and the push API, units, bad values, duplicates, rollups, tokens."""

import math
import os
import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import psycopg
import pytest

from accounts import tokens
from ingest import readings
from ingest.readings import load_readings_csv
from monitoring import rollups
from monitoring.hourly import compute_hourly_aqi
from monitoring.partitions import ensure_month_partitions
from standards import aqi

BJ = timezone(timedelta(hours=8))
HEADER = "StationCode,TimePoint,PM2_5,PM10,SO2,NO2,O3,CO\n"
# 2013-02-28 (Beijing) lies before the bundled readings, inside their first monthly partition.
FREE_DAY = "2013-02-28"
TEST_CODE = "TEST-AQ-PUSH"


def write(tmp_path, text, name="hourly.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def one(conn, sql, *args):
    return conn.execute(sql, args).fetchone()


# ---- parsing (no database) ----

def test_times_units_and_headers_parse():
    assert readings.parse_time("2016-03-01 08:00") == datetime(2016, 3, 1, 8, tzinfo=BJ)
    assert readings.parse_time("2016-03-01T00:00:00Z") == datetime(2016, 3, 1, 8, tzinfo=BJ)
    assert readings.parse_time("2016/3/1 8:00") == datetime(2016, 3, 1, 8, tzinfo=BJ)
    assert readings.parse_time("2016030108") == datetime(2016, 3, 1, 8, tzinfo=BJ)
    assert readings.parse_time("20160301", hour="23") == datetime(2016, 3, 1, 23, tzinfo=BJ)
    for bad in ("2016-03-01 08:30", "2016-13-01 08:00", "yesterday", "2016-03-01", "2999-01-01 00:00"):
        with pytest.raises(ValueError):
            readings.parse_time(bad)
    assert readings.unit_of("µg/m³") == readings.unit_of("ug/m3") == readings.unit_of("μg/m3") == "µg/m3"
    assert readings.unit_of("毫克/立方米") == "mg/m3" and readings.unit_of("ppm") is None
    assert readings.header_column("CO(µg/m3)") == ("co", "µg/m3")
    assert readings.header_column("PM2.5") == ("pm25", None)
    assert readings.header_column("PM2_5") == ("pm25", None)
    assert readings.header_column("co_ugm3") == ("co", "µg/m3")
    assert readings.header_column("AQI") == (None, None)


def test_values_normalised_and_implausible_ones_rejected_with_reasons():
    values, reasons = readings.check_values({"co": "800", "pm25": "35"}, {"co": "µg/m3"})
    assert values["co"] == pytest.approx(0.8) and values["pm25"] == 35 and not reasons
    _, reasons = readings.check_values({"pm25": "-3", "pm10": "20000", "so2": "abc", "co": "900"}, {})
    text = " | ".join(reasons)
    assert "pm25: negative" in text and "pm10: 20000" in text and "so2: not a number" in text
    assert "co: 900 mg/m3 is beyond the physical range" in text and "µg/m3?" in text
    assert readings.check_values({"pm25": "NA", "o3": ""}, {})[1] == ["no pollutant values"]


# ---- files ----

def test_good_file_stores_readings_hourly_aqi_and_daily_rollup(conn, tmp_path):
    rows = "".join(f"1001A,{FREE_DAY} {h:02d}:00,{30 + h},{60 + h},5,{40 + h},{50 + 2 * h},"
                   f"{0.5 + h / 100:.2f}\n" for h in range(24))
    report = load_readings_csv(conn, write(tmp_path, HEADER + rows), dataset_id="test-readings-file")
    assert report.stored and report.counts == {"inserted": 24, "duplicate": 0, "rejected": 0}, report.text()
    sid = one(conn, "SELECT id FROM stations WHERE code = '1001A'")[0]
    n, src = one(conn, f"""SELECT count(*), min(dataset_id) FROM air_readings WHERE station_id = %s
                           AND observed_at >= '{FREE_DAY} 00:00+08'
                           AND observed_at < '2013-03-01 00:00+08'""", sid)
    assert n == 24 and src == "test-readings-file"
    aqi_hours = one(conn, f"SELECT count(aqi) FROM air_aqi_hourly WHERE station_id = %s AND observed_at >= "
                          f"'{FREE_DAY} 00:00+08' AND observed_at < '2013-03-01 00:00+08'", sid)[0]
    assert aqi_hours == 24
    day = one(conn, "SELECT hours, pm25, n_pm25, co, aqi, version FROM air_daily WHERE station_id = %s "
                    "AND day = %s", sid, date.fromisoformat(FREE_DAY))
    assert day[0] == 24 and day[1] == pytest.approx(30 + 11.5) and day[2] == 24
    assert day[3] == pytest.approx(0.5 + 11.5 / 100, abs=1e-4)
    assert day[4] is not None and day[5] == "hj633_2012"


def test_co_in_micrograms_converted_by_header_or_unit_column(conn, tmp_path):
    text = ("StationCode,TimePoint,PM2_5,CO(µg/m3)\n"
            f"1002A,{FREE_DAY} 01:00,10,1200\n")
    assert load_readings_csv(conn, write(tmp_path, text)).counts["inserted"] == 1
    text = ("station_code,date,hour,pm25,co,co_unit\n"
            f"1002A,{FREE_DAY.replace('-', '')},2,10,700,ug/m3\n"
            f"1002A,{FREE_DAY.replace('-', '')},3,10,0.9,mg/m3\n")
    assert load_readings_csv(conn, write(tmp_path, text, "b.csv")).counts["inserted"] == 2
    got = dict(conn.execute("""SELECT extract(hour FROM observed_at AT TIME ZONE 'Asia/Shanghai')::int, co
                                FROM air_readings r JOIN stations s ON s.id = r.station_id
                                WHERE s.code = '1002A' AND observed_at < '2013-03-01 00:00+08'"""))
    assert got == {1: pytest.approx(1.2), 2: pytest.approx(0.7), 3: pytest.approx(0.9)}


BAD = HEADER + "".join([
    f"1003A,{FREE_DAY} 00:00,10,20,3,40,50,0.5\n",        # 2 good
    f"1003A,{FREE_DAY} 01:00,-1,20,3,40,50,0.5\n",        # 3 negative
    f"1003A,{FREE_DAY} 02:00,10,20,3,40,50,800\n",        # 4 CO in µg/m3 without saying so
    f"NOPE,{FREE_DAY} 03:00,10,20,3,40,50,0.5\n",         # 5 unknown station
    f"1003A,{FREE_DAY} 04:30,10,20,3,40,50,0.5\n",        # 6 not on the hour
    f"1003A,{FREE_DAY} 05:00,,,,,,\n",                    # 7 no values
    f"1003A,{FREE_DAY} 06:00,10,20\n",                    # 8 short row
    f"1003A,{FREE_DAY} 00:00,10,20,3,40,50,0.5\n",        # 9 repeats line 2
    "SYN-W001,2013-02-28 07:00,10,20,3,40,50,0.5\n",      # 10 a water station
    "1003A,2013-03-01 00:00,1,1,1,1,1,0.1\n",             # 11 already stored (bundled), different values
    "1003A,2099-01-01 00:00,10,20,3,40,50,0.5\n",         # 12 future
])


def test_bad_rows_reported_by_line_and_nothing_stored(conn, tmp_path):
    before = one(conn, "SELECT count(*) FROM air_readings")[0]
    report = load_readings_csv(conn, write(tmp_path, BAD))
    assert not report.stored and report.rows == 11
    c = report.counts
    assert c["inserted"] + c["duplicate"] + c["rejected"] == report.rows  # every row accounted for
    rejected = {o.ref: o.reason for o in report.outcomes if o.status == "rejected"}
    assert set(rejected) == {3, 4, 5, 6, 7, 8, 10, 12}
    assert "negative" in rejected[3] and "beyond the physical range" in rejected[4]
    assert "unknown station code 'NOPE'" in rejected[5] and "not on the hour" in rejected[6]
    assert rejected[7] == "no pollutant values" and "expected 8 cells" in rejected[8]
    assert "not an air station" in rejected[10] and "future" in rejected[12]
    dups = {o.ref: o.reason for o in report.outcomes if o.status == "duplicate"}
    assert dups == {11: "already stored with different values; the stored reading is kept"}
    assert one(conn, "SELECT count(*) FROM air_readings")[0] == before
    lines = report.rejects_path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "_line,_reason," + HEADER.strip() and len(lines) == 9
    assert "nothing stored" in report.text()


def test_skip_invalid_stores_valid_rows_and_reloading_changes_nothing(conn, tmp_path):
    path = write(tmp_path, BAD)
    report = load_readings_csv(conn, path, skip_invalid=True)
    assert report.stored and report.counts == {"inserted": 1, "duplicate": 2, "rejected": 8}
    again = load_readings_csv(conn, path, skip_invalid=True)
    assert again.counts == {"inserted": 0, "duplicate": 3, "rejected": 8}
    n = one(conn, """SELECT count(*) FROM air_readings r JOIN stations s ON s.id = r.station_id
                      WHERE s.code = '1003A' AND observed_at < '2013-03-01 00:00+08'""")[0]
    assert n == 1


def test_file_level_problems(conn, tmp_path):
    report = load_readings_csv(conn, write(tmp_path, "when,pm25\n2016-01-01 00:00,3\n"))
    assert not report.stored and any("station" in str(e) for e in report.errors)
    report = load_readings_csv(conn, write(tmp_path, "StationCode,TimePoint,CO(ppm)\n"))
    assert any("unknown unit" in str(e) for e in report.errors)
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("监测点编码,时间,PM2.5\n1001A,2013-02-28 09:00,35\n".encode("gbk"))
    assert any("--encoding gbk" in str(e) for e in load_readings_csv(conn, gbk).errors)
    assert load_readings_csv(conn, gbk, encoding="gbk").counts["inserted"] == 1


def _cli(settings, *args):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir)}
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_cli_load_file_readings(settings, tmp_path, conn):
    # Rows the bundled data already holds: the command succeeds and changes nothing.
    rows = conn.execute("""SELECT to_char(observed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),
                                  pm25, pm10, so2, no2, o3, co
                           FROM air_readings r JOIN stations s ON s.id = r.station_id
                           WHERE s.code = '1004A' ORDER BY observed_at LIMIT 5""").fetchall()
    text = HEADER + "".join("1004A," + ",".join("" if v is None else str(v) for v in r) + "\n" for r in rows)
    res = _cli(settings, "load-file", "readings", str(write(tmp_path, text)))
    assert res.returncode == 0, res.stderr
    assert "0 new readings, 5 duplicates, 0 rejected" in res.stdout
    res = _cli(settings, "load-file", "readings", str(write(tmp_path, BAD, "bad.csv")))
    assert res.returncode == 2 and "nothing stored" in res.stdout and "line 3: rejected" in res.stdout


# ---- rollups against the raw readings ----

def _raw_day(conn, sid, day):
    return conn.execute("""SELECT extract(hour FROM observed_at AT TIME ZONE 'Asia/Shanghai')::int, pm25,
                                  pm10, so2, no2, co, o3
                           FROM air_readings WHERE station_id = %s
                           AND (observed_at AT TIME ZONE 'Asia/Shanghai')::date = %s ORDER BY 1""",
                        (sid, day)).fetchall()


def _decimal(v):
    """A stored float4 reading as the decimal it was written as (its shortest round-trip form)."""
    return None if v is None else Decimal(str(np.float32(v)))


def _expected(raw, day):
    """The day's aggregates recomputed here from the raw hourly values (means exact, in decimal)."""
    cols = {p: [r[i] for r in raw] for i, p in enumerate(("pm25", "pm10", "so2", "no2", "co", "o3"), 1)}
    out = {}
    for p in ("pm25", "pm10", "so2", "no2", "co"):
        vals = [_decimal(v) for v in cols[p] if v is not None]
        out[p] = (float(sum(vals) / len(vals)) if vals else None, len(vals))
    by_hour = {r[0]: r[6] for r in raw}
    windows = []
    for end in range(7, 24):
        if end not in by_hour:
            continue
        vals = [by_hour.get(h) for h in range(end - 7, end + 1)]
        vals = [_decimal(v) for v in vals if v is not None]
        if len(vals) >= 6:
            windows.append(float(sum(vals) / len(vals)))
    o3 = [v for v in cols["o3"] if v is not None]
    out["o3_8h"] = (max(windows) if windows else None, len(windows))
    out["o3_1h"] = (max(o3) if o3 else None, len(o3))
    valid = {p: out[p][0] if out[p][1] >= 20 else None for p in ("pm25", "pm10", "so2", "no2", "co")}
    valid["o3_8h"] = out["o3_8h"][0] if out["o3_8h"][1] >= 14 else None
    valid["o3_1h"] = out["o3_1h"][0]  # no minimum count for the daily 1-hour maximum (GB 3095-2012 table 4)
    return out, aqi.daily_aqi(valid, aqi.version_for(day))


def test_daily_rollups_match_the_raw_readings(conn):
    rng = random.Random(7)
    keys = conn.execute("SELECT station_id, day FROM air_daily ORDER BY station_id, day").fetchall()
    # Random days, plus days with gaps (coverage below 20 hours for some pollutant).
    gaps = conn.execute("""SELECT station_id, day FROM air_daily
                           WHERE least(n_pm25, n_pm10, n_so2, n_no2, n_co, n_o3) < 20
                           ORDER BY station_id, day LIMIT 5""").fetchall()
    assert gaps, "the Beijing data has days with missing hours"
    for sid, day in rng.sample(keys, 25) + gaps:
        out, res = _expected(_raw_day(conn, sid, day), day)
        row = one(conn, """SELECT pm25, n_pm25, pm10, n_pm10, so2, n_so2, no2, n_no2, co, n_co, o3_8h_max,
                                  n_o3_8h, o3_1h_max, n_o3, aqi, iaqi, primary_pollutants, category, version
                           FROM air_daily WHERE station_id = %s AND day = %s""", sid, day)
        got = dict(zip(("pm25", "pm10", "so2", "no2", "co", "o3_8h", "o3_1h"),
                       [(row[i], row[i + 1]) for i in range(0, 14, 2)], strict=True))
        for p, (mean, n) in out.items():
            assert got[p][1] == n, (sid, day, p)
            if mean is None:
                assert got[p][0] is None
            else:
                assert math.isclose(got[p][0], mean, rel_tol=1e-5, abs_tol=1e-4), (sid, day, p)
        assert row[14] == res.aqi and row[15] == res.iaqi, (sid, day)
        assert row[16] == list(res.primary) and row[17] == (res.category.level if res.category else None)
        assert row[18] == res.version


def test_every_bundled_station_day_has_a_rollup(conn):
    days, hours = one(conn, "SELECT count(*), sum(hours) FROM air_daily a "
                            "JOIN stations s ON s.id = a.station_id "
                            "WHERE s.dataset_id = 'beijing-multisite-aq'")
    assert hours == 420768 and days == 12 * 1461  # 2013-03-01 .. 2017-02-28, Beijing days
    assert one(conn, "SELECT count(*) FROM air_daily WHERE aqi IS NOT NULL")[0] > 0.9 * days


def test_2012_days_and_hours_publish_the_aqi_of_the_pollutants_present(conn):
    # The 2026 NA rule (a pollutant missing and AQI <= 100) does not reach back to HJ 633-2012 dates.
    assert one(conn, "SELECT count(*) FROM air_daily WHERE version = 'hj633_2012' "
                     "AND aqi IS NULL AND iaqi <> '{}'")[0] == 0
    assert one(conn, "SELECT count(*) FROM air_daily WHERE version = 'hj633_2012' AND aqi IS NOT NULL "
                     "AND least(n_pm25, n_pm10, n_so2, n_no2, n_co) < 20")[0] > 900
    assert one(conn, "SELECT count(*) FROM air_aqi_hourly WHERE version = 'hj633_2012' "
                     "AND aqi IS NULL AND iaqi <> '{}'")[0] == 0


def test_o3_daily_1h_maximum_needs_no_20_hours(conn):
    # GB 3095-2012 table 4 sets the 20-hour minimum for 24-hour means only; O3's daily 1-hour maximum counts.
    rows = conn.execute("""SELECT o3_1h_max, iaqi FROM air_daily WHERE version = 'hj633_2012'
                           AND n_o3 BETWEEN 1 AND 19 AND n_o3_8h < 14""").fetchall()
    assert rows, "the Beijing data has days with few O3 hours"
    for o3_1h, iaqi in rows:
        assert iaqi["o3"] == aqi._round(aqi.iaqi("o3", "1h", o3_1h, "hj633_2012"))


def _hourly(conn, code, first, last):
    return conn.execute("""SELECT to_char(h.observed_at AT TIME ZONE 'Asia/Shanghai', 'HH24'), h.aqi, h.iaqi,
                                  h.version
                           FROM air_aqi_hourly h JOIN stations s ON s.id = h.station_id
                           WHERE s.code = %s AND h.observed_at BETWEEN %s AND %s ORDER BY h.observed_at""",
                        (code, first, last)).fetchall()


def test_2012_hourly_so2_above_800_uses_the_24h_moving_mean(conn, tmp_path):
    so2 = {3: 900, 23: 900}  # 03:00 has 4 hours behind it (no valid 24-hour mean), 23:00 has 24
    rows = "".join(f"1005A,{FREE_DAY} {h:02d}:00,10,10,{so2.get(h, 100)},10,10,0.5\n" for h in range(24))
    assert load_readings_csv(conn, write(tmp_path, HEADER + rows)).counts["inserted"] == 24
    first, last = datetime(2013, 2, 28, tzinfo=BJ), datetime(2013, 2, 28, 23, tzinfo=BJ)
    hours = {h: (a, i) for h, a, i, _ in _hourly(conn, "1005A", first, last)}
    mean = (22 * 100 + 2 * 900) / 24  # 166.67: 24-hour IAQI 100 + 50 * 16.67 / 325 = 102.6
    assert hours["23"] == (103, hours["23"][1]) and hours["23"][1]["so2"] == 103
    assert aqi._round(aqi.iaqi("so2", "24h", mean, "hj633_2012")) == 103
    assert hours["03"][0] is None and "so2" not in hours["03"][1]  # SO2 unknown: no AQI rather than 6
    # The bulk path (bundled loader) gives the same.
    conn.execute("DELETE FROM air_aqi_hourly h USING stations s WHERE s.id = h.station_id AND s.code = '1005A' "
                 "AND h.observed_at BETWEEN %s AND %s", (first, last))
    assert compute_hourly_aqi(conn) == 24
    assert {h: (a, i) for h, a, i, _ in _hourly(conn, "1005A", first, last)} == hours


def test_hourly_version_by_the_local_date(conn):
    # Beijing 2026-03-01 00:00-07:59 is 2026-02-28 in UTC: HJ 633-2026 applies by the local date.
    ensure_month_partitions(conn, "air_readings", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC))
    sid = one(conn, "SELECT id FROM stations WHERE code = '1006A'")[0]
    for h in (23, 24, 31, 32):  # 2026-02-28 23:00 .. 2026-03-01 08:00 Beijing
        conn.execute("INSERT INTO air_readings (station_id, observed_at, pm25, dataset_id) VALUES (%s, %s, 80, "
                     "'beijing-multisite-aq')", (sid, datetime(2026, 2, 28, tzinfo=BJ) + timedelta(hours=h)))
    assert compute_hourly_aqi(conn) == 4
    got = _hourly(conn, "1006A", datetime(2026, 2, 28, 23, tzinfo=BJ), datetime(2026, 3, 1, 8, tzinfo=BJ))
    assert [v for *_, v in got] == ["hj633_2012", "hj633_2026", "hj633_2026", "hj633_2026"]
    # PM2.5 80 alone: 2012 publishes 107; 2026 gives IAQI 119 (above 100, so published despite the gaps).
    assert [a for _, a, _, _ in got] == [107, 119, 119, 119]


# ---- push API ----

@pytest.fixture(scope="module")
def push_station(db_url):
    """A committed air station for push tests, far from Beijing; removed with everything pushed to it."""
    with psycopg.connect(db_url) as c:
        sid = c.execute("""INSERT INTO stations (code, kind, name_en, geom, dataset_id, synthetic)
                           VALUES (%s, 'air', 'Push test station', ST_SetSRID(ST_MakePoint(87.6, 43.8), 4326),
                                   'synthetic-demo', true) RETURNING id""", (TEST_CODE,)).fetchone()[0]
    yield sid, TEST_CODE
    with psycopg.connect(db_url) as c:
        for table in ("air_aqi_hourly", "air_daily", "air_readings"):
            c.execute(f"DELETE FROM {table} WHERE station_id = %s", (sid,))
        c.execute("DELETE FROM api_tokens WHERE label LIKE 'test-%%' OR station_id = %s", (sid,))
        c.execute("DELETE FROM datasets WHERE id LIKE 'push:test-%%'")
        c.execute("DELETE FROM stations WHERE id = %s", (sid,))


@pytest.fixture()
def token(db_url, push_station):
    with psycopg.connect(db_url) as c:
        return tokens.create(c, "test-client")[1]


def push(client, token, items, **extra):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/readings", json={"readings": items, **extra}, headers=headers)


def item(hour, **values):
    return {"station": TEST_CODE, "observed_at": f"2016-06-01T{hour:02d}:00:00+08:00",
            **({"pm25": 30, "pm10": 50, "so2": 5, "no2": 30, "o3": 80, "co": 0.6} | values)}


def test_push_needs_a_valid_token(client, push_station, db_url):
    r = client.post("/api/readings", json={"readings": [item(0)]})
    assert r.status_code == 401 and "Bearer" in r.headers["WWW-Authenticate"] and "token" in r.json["error"]
    assert push(client, "bm_not-a-token", [item(0)]).json == {"error": "unknown API token"}
    r = client.post("/api/readings", json={"readings": [item(0)]}, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and "Bearer" in r.json["error"]
    with psycopg.connect(db_url) as c:
        tid, secret = tokens.create(c, "test-revoked")
        assert tokens.revoke(c, tid)
    r = push(client, secret, [item(0)])
    assert r.status_code == 401 and "revoked" in r.json["error"]
    with psycopg.connect(db_url) as c:
        assert one(c, "SELECT count(*) FROM air_readings WHERE station_id = %s", push_station[0])[0] == 0
        stored = one(c, "SELECT token_hash FROM api_tokens WHERE id = %s", tid)[0]
    assert stored == tokens.hash_token(secret) and secret not in stored


def test_push_request_errors(client, token):
    h = {"Authorization": f"Bearer {token}"}
    r = client.post("/api/readings", data="{not json", headers=h, content_type="application/json")
    assert r.status_code == 400 and "not valid JSON" in r.json["error"]
    assert client.post("/api/readings", json={"items": []}, headers=h).status_code == 400
    assert client.post("/api/readings", json={"readings": []}, headers=h).status_code == 400
    r = push(client, token, [item(0)] * 1001)
    assert r.status_code == 413 and "at most 1000" in r.json["error"]
    assert push(client, token, [item(0)], units={"co": "ppm"}).status_code == 400
    deep = "[" * 5000 + "]" * 5000
    for url in ("/api/readings", "/api/emissions"):
        r = client.post(url, data=deep, headers=h, content_type="application/json")
        assert r.status_code == 400 and "nested too deeply" in r.json["error"]


def test_push_is_idempotent_and_says_what_happened_to_each_item(client, token, push_station, db_url):
    sid = push_station[0]
    batch = [item(0), item(1, co=800, units={"co": "µg/m3"}), item(1, pm25=31), item(2, pm25=-4),
             {"station": "NOPE", "observed_at": "2016-06-01T03:00:00+08:00", "pm25": 3},
             {"station": TEST_CODE, "observed_at": "2016-06-01T04:00", "pm2.5": 12, "colour": "red"}, "junk"]
    r = push(client, token, batch)
    assert r.status_code == 207, r.json
    assert (r.json["received"], r.json["inserted"], r.json["duplicate"], r.json["rejected"]) == (7, 2, 1, 4)
    st = {i["index"]: (i["status"], i.get("reason", "")) for i in r.json["items"]}
    assert st[0] == ("inserted", "") and st[1] == ("inserted", "")
    assert st[2] == ("duplicate", "repeats item 1 with different values; the first is kept")
    assert st[3][0] == "rejected" and "negative" in st[3][1]
    assert "unknown station code 'NOPE'" in st[4][1] and "unknown field 'colour'" in st[5][1]
    assert st[6] == ("rejected", "an item must be a JSON object")
    again = push(client, token, batch[:2])
    assert again.status_code == 200 and again.json["inserted"] == 0 and again.json["duplicate"] == 2
    assert {i["reason"] for i in again.json["items"]} == {"already stored"}
    with psycopg.connect(db_url) as c:
        rows = c.execute("SELECT co, dataset_id FROM air_readings WHERE station_id = %s ORDER BY observed_at",
                         (sid,)).fetchall()
        assert rows == [(pytest.approx(0.6), "push:test-client"), (pytest.approx(0.8), "push:test-client")]
        assert one(c, "SELECT count(aqi) FROM air_aqi_hourly WHERE station_id = %s", sid)[0] == 2
        daily = one(c, "SELECT hours, pm25, n_pm25, aqi FROM air_daily WHERE station_id = %s "
                       "AND day = '2016-06-01'", sid)
        # Two hours: too few for any 24-hour mean, but (HJ 633-2012, 2016) the O3 1-hour maximum (80) counts,
        # and 2012 publishes the AQI of the pollutants present.
        assert daily == (2, 30.0, 2, 25)
        used = "SELECT bool_or(last_used_at IS NOT NULL) FROM api_tokens WHERE label = 'test-client'"
        assert one(c, used)[0]
    hours = client.get(f"/api/stations/{sid}/readings?interval=hour&from=2016-06-01&to=2016-06-01").json
    assert hours["count"] == 2 and [r[0] for r in hours["rows"]] == ["2016-06-01T00:00:00+08:00",
                                                                     "2016-06-01T01:00:00+08:00"]


def test_a_full_pushed_day_gets_its_daily_aqi(client, token, push_station, db_url):
    sid = push_station[0]
    r = push(client, token, [{"station": TEST_CODE, "observed_at": f"2016-06-02T{h:02d}:00:00+08:00",
                              "pm25": 40 + h, "pm10": 70, "so2": 8, "no2": 35, "o3": 60 + 3 * h, "co": 0.7}
                             for h in range(24)])
    assert r.status_code == 200 and r.json["inserted"] == 24
    with psycopg.connect(db_url) as c:
        out, res = _expected(_raw_day(c, sid, date(2016, 6, 2)), date(2016, 6, 2))
        row = one(c, "SELECT pm25, o3_8h_max, aqi, iaqi FROM air_daily WHERE station_id = %s "
                     "AND day = '2016-06-02'", sid)
    assert row[0] == pytest.approx(out["pm25"][0]) and row[1] == pytest.approx(out["o3_8h"][0])
    assert row[2] == res.aqi is not None and row[3] == res.iaqi


def test_all_items_rejected_is_422_and_station_scoped_tokens(client, push_station, db_url):
    with psycopg.connect(db_url) as c:
        scoped = tokens.create(c, "test-scoped", "1001A")[1]
    r = push(client, scoped, [item(5)])
    assert r.status_code == 422 and "may not push readings for station" in r.json["items"][0]["reason"]
    r = push(client, scoped, [{"station": "1001A", "observed_at": "2016-06-01T05:00", "pm25": -1}])
    assert r.status_code == 422 and "negative" in r.json["items"][0]["reason"]


def test_cli_creates_a_token_shown_once(settings, client, push_station, db_url):
    res = _cli(settings, "tokens", "create", "--label", "test-cli")
    assert res.returncode == 0, res.stderr
    secret = res.stdout.strip().splitlines()[-1]
    assert secret.startswith("bm_")
    assert push(client, secret, [item(6)]).json["inserted"] == 1
    listing = _cli(settings, "tokens", "list").stdout
    assert "test-cli" in listing and secret not in listing
    with psycopg.connect(db_url) as c:
        tid = one(c, "SELECT id FROM api_tokens WHERE label = 'test-cli'")[0]
    assert _cli(settings, "tokens", "revoke", str(tid)).returncode == 0
    assert push(client, secret, [item(7)]).status_code == 401


def test_rollup_helpers_use_beijing_days():
    assert rollups.local_day(datetime(2016, 5, 31, 16, tzinfo=UTC)) == date(2016, 6, 1)


def test_concurrent_pushes_into_a_new_month_all_succeed(app, push_station, db_url):
    """20 clients push the first readings of a month with no partition yet: none deadlocks, none is a 5xx."""
    from concurrent.futures import ThreadPoolExecutor

    month = "2011-03"  # before every bundled reading: its partition does not exist yet
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT to_regclass('air_readings_2011_03')").fetchone()[0] is None
        secrets = [tokens.create(c, f"test-concurrent-{i}")[1] for i in range(20)]

    def one(i: int) -> int:
        body = {"readings": [{"station": TEST_CODE, "observed_at": f"{month}-{1 + i:02d}T10:00:00+08:00",
                              "pm25": 30, "pm10": 50, "so2": 5, "no2": 30, "o3": 80, "co": 0.6}]}
        return app.test_client().post("/api/readings", json=body,
                                      headers={"Authorization": f"Bearer {secrets[i]}"}).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(one, range(20)))
    assert statuses == [200] * 20
    with psycopg.connect(db_url) as c:
        c.execute("DROP TABLE IF EXISTS air_readings_2011_03")
