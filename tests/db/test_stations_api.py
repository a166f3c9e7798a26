"""The stations API over the bundled data: lists, one station, hourly and daily series, CSV, bad params."""

import csv
import io

import pytest

from monitoring.rollups import BEIJING
from standards import aqi, water


def one(conn, sql, *args):
    return conn.execute(sql, args).fetchone()


@pytest.fixture(scope="module")
def station(db_url):
    import psycopg

    with psycopg.connect(db_url) as c:
        return one(c, "SELECT id, code FROM stations WHERE code = '1001A'")


def get(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:300])
    return r


def test_list_with_latest_aqi_and_its_scale(client, conn):
    body = get(client, "/api/stations?kind=air").json
    real = [s for s in body["stations"] if not s["synthetic"]]
    assert len(real) == 12 and body["count"] == len(body["stations"])
    latest_at = one(conn, "SELECT max(observed_at) FROM air_aqi_hourly")[0]
    for s in real:
        la = s["latest"]
        assert la["observed_at"] == latest_at.astimezone(BEIJING).isoformat()
        assert la["scale"] == "China AQI (HJ 633-2012)"
        h = one(conn, "SELECT aqi, category FROM air_aqi_hourly WHERE station_id = %s "
                      "ORDER BY observed_at DESC LIMIT 1", s["id"])
        assert (la["aqi"], la["category"]) == h
        if h[1]:
            cat = aqi.CATEGORIES[h[1] - 1]
            assert (la["colour"], la["category_zh"]) == (cat.colour, cat.name_zh)
    every = get(client, "/api/stations").json
    water_stations = get(client, "/api/stations?kind=water").json["stations"]
    assert every["count"] == body["count"] + len(water_stations)
    assert all(s["kind"] == "water" and s["water_body_type"] for s in water_stations)
    assert get(client, "/api/stations?kind=soil", 400).json["error"].startswith("kind must be air or water")


def test_one_station(client, station, conn):
    sid, code = station
    body = get(client, f"/api/stations/{sid}").json
    assert body["code"] == code and body["kind"] == "air" and body["coords_approximate"]
    assert body["data"]["first_day"] == "2013-03-01" and body["data"]["last_day"] == "2017-02-28"
    assert body["data"]["hours"] == 35064 and body["data"]["units"]["co"] == "mg/m3"
    assert body["dataset"]["licence"] == "CC BY 4.0"
    assert body["latest"]["scale"] == aqi.scale_name("hj633_2012")
    get(client, "/api/stations/999999999", 404)
    get(client, f"/api/stations/{2**63}", 404)
    wid = one(conn, "SELECT id FROM stations WHERE kind = 'water' ORDER BY id LIMIT 1")[0]
    w = get(client, f"/api/stations/{wid}").json
    assert w["kind"] == "water" and w["data"]["units"]["do_mg"] == "mg/L"


def test_a_year_of_hours_matches_the_raw_readings(client, station, conn):
    sid, _ = station
    body = get(client, f"/api/stations/{sid}/readings?interval=hour&from=2016-01-01&to=2016-12-31").json
    assert body["count"] == len(body["rows"]) == 8784  # 2016 is a leap year
    assert body["from"] == "2016-01-01T00:00:00+08:00" and body["before"] == "2017-01-01T00:00:00+08:00"
    assert body["scales"]["hj633_2012"] == "China AQI (HJ 633-2012)"
    assert [c["colour"] for c in body["categories"]] == [c.colour for c in aqi.CATEGORIES]
    f = {name: i for i, name in enumerate(body["fields"])}
    rows = {r[f["observed_at"]]: r for r in body["rows"]}
    raw = conn.execute("""
        SELECT to_char(r.observed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'), r.pm25,
               r.co, h.aqi, h.category, h.iaqi, h.primary_pollutants, h.version
        FROM air_readings r JOIN air_aqi_hourly h USING (station_id, observed_at)
        WHERE r.station_id = %s
          AND r.observed_at >= '2016-01-01 00:00+08' AND r.observed_at < '2017-01-01 00:00+08'
        ORDER BY random() LIMIT 200""", (sid,)).fetchall()
    for at, pm25, co, a, cat, iaqi, primary, version in raw:
        r = rows[at]
        assert r[f["pm25"]] == pytest.approx(pm25) if pm25 is not None else r[f["pm25"]] is None
        assert r[f["co"]] == pytest.approx(co) if co is not None else r[f["co"]] is None
        assert (r[f["aqi"]], r[f["category"]], r[f["primary_pollutants"]]) == (a, cat, primary)
        assert {p: r[f[f"iaqi_{p}"]] for p in iaqi} == iaqi
        assert r[f["scale"]] == aqi.scale_name(version)
        assert r[f["colour"]] == (aqi.CATEGORIES[cat - 1].colour if cat else None)
    assert list(rows) == sorted(rows)


def test_window_edges_inside_days_and_defaults(client, station, conn):
    sid, _ = station
    url = f"/api/stations/{sid}/readings?interval=hour&from=2016-03-01T05:00&to=2016-03-03T10:00%2B08:00"
    body = get(client, url).json
    assert body["count"] == 19 + 24 + 11
    assert body["rows"][0][0] == "2016-03-01T05:00:00+08:00"
    assert body["rows"][-1][0] == "2016-03-03T10:00:00+08:00"
    # The same hours whether they come from the rollups' ready rows or are formatted live.
    whole = get(client, f"/api/stations/{sid}/readings?interval=hour&from=2016-03-01&to=2016-03-03").json
    assert whole["rows"][5:5 + 54] == body["rows"]
    short = get(client, f"/api/stations/{sid}/readings?from=2016-03-01T05:00&to=2016-03-01T07:00").json
    assert [r[0][11:13] for r in short["rows"]] == ["05", "06", "07"]
    default = get(client, f"/api/stations/{sid}/readings").json
    assert default["interval"] == "hour" and default["count"] == 7 * 24
    assert default["rows"][-1][0] == "2017-02-28T23:00:00+08:00"
    days = get(client, f"/api/stations/{sid}/readings?interval=day").json
    assert days["to"] == "2017-02-28" and days["count"] == 366


def test_days_with_coverage_and_daily_aqi(client, station, conn):
    sid, _ = station
    body = get(client, f"/api/stations/{sid}/readings?interval=day&from=2016-01-01&to=2016-12-31").json
    assert body["count"] == 366 and (body["from"], body["to"]) == ("2016-01-01", "2016-12-31")
    f = {name: i for i, name in enumerate(body["fields"])}
    db = {d.isoformat(): rest for d, *rest in conn.execute(
        """SELECT day, hours, pm25, n_pm25, o3_8h_max, n_o3_8h, aqi, iaqi, over_standard, version
           FROM air_daily WHERE station_id = %s AND day BETWEEN '2016-01-01' AND '2016-12-31'""", (sid,))}
    for r in body["rows"]:
        hours, pm25, n_pm25, o3_8h, n_o3_8h, a, iaqi, over, version = db[r[f["day"]]]
        assert (r[f["hours"]], r[f["hours_pm25"]], r[f["o3_8h_windows"]]) == (hours, n_pm25, n_o3_8h)
        assert r[f["pm25"]] == pytest.approx(pm25)
        assert r[f["aqi"]] == a and r[f["over_standard"]] == over
        assert {p: r[f[f"iaqi_{p}"]] for p in iaqi} == iaqi and r[f["scale"]] == aqi.scale_name(version)


def test_csv_downloads(client, station):
    sid, code = station
    r = get(client, f"/api/stations/{sid}/readings?interval=hour&from=2016-07-01&to=2016-07-02&format=csv")
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert len(rows) == 48 and rows[0]["station_code"] == code
    assert rows[0]["observed_at"] == "2016-07-01T00:00:00+08:00" and rows[0]["scale"].startswith("China AQI")
    for row in rows:
        if row["category"]:
            cat = aqi.CATEGORIES[int(row["category"]) - 1]
            assert (row["category_zh"], row["colour"]) == (cat.name_zh, cat.colour)
    d = get(client, f"/api/stations/{sid}/readings?interval=day&from=2016-07-01&to=2016-07-31&format=csv")
    days = list(csv.DictReader(io.StringIO(d.get_data(as_text=True))))
    assert len(days) == 31 and {"hours_pm25", "o3_8h_windows", "aqi", "iaqi_o3", "scale"} <= set(days[0])


@pytest.mark.parametrize("query, reason", [
    ("interval=week", "interval must be hour or day"),
    ("format=xml", "format must be json or csv"),
    ("from=2016-13-01", "from must be a date"),
    ("to=tomorrow", "to must be a date"),
    ("from=2016-03-02&to=2016-03-01", "from must be before to"),
    ("from=2015-01-01&to=2016-06-01", "at most 366 days"),
    ("interval=day&from=2000-01-01&to=2016-06-01", "at most 3660 days"),
    ("from=1900-01-01T00:00", "between 1980 and 2100"),
])
def test_bad_parameters_are_400_with_a_reason(client, station, query, reason):
    sid, _ = station
    r = get(client, f"/api/stations/{sid}/readings?{query}", 400)
    assert reason in r.json["error"]


def test_water_station_series(client, conn):
    wid = one(conn, "SELECT id FROM stations WHERE kind = 'water' ORDER BY id LIMIT 1")[0]
    body = get(client, f"/api/stations/{wid}/readings").json
    assert body["fields"][:2] == ["observed_at", "ph"] and "scales" not in body
    assert body["count"] == len(body["rows"])
    assert all(r[body["fields"].index("scale")] == water.SCALE_NAME for r in body["rows"])
    assert "water stations" in get(client, f"/api/stations/{wid}/readings?interval=day", 400).json["error"]
    get(client, "/api/stations/999999999/readings", 404)
    text = get(client, f"/api/stations/{wid}/readings?format=csv").get_data(as_text=True)
    assert text.startswith("station_code,observed_at,ph,")


def test_daily_sub_indices_come_from_exact_means(client, conn):
    # A CO day mean of exactly 0.96 mg/m3 (IAQI 24): kept as float4 it was 0.96000004, whose IAQI is 25.
    sid = one(conn, """SELECT station_id FROM air_readings
                       WHERE observed_at >= '2016-05-31T00:00+08' AND observed_at < '2016-06-01T00:00+08'
                       GROUP BY station_id HAVING avg(co::numeric) = 0.96 AND count(co) >= 20
                       ORDER BY station_id LIMIT 1""")[0]
    body = get(client, f"/api/stations/{sid}/readings?from=2016-05-31&to=2016-05-31&interval=day").json
    row = dict(zip(body["fields"], body["rows"][0], strict=True))
    assert row["co"] == 0.96 and row["iaqi_co"] == 24
    # Every stored sub-index agrees with its stored mean (no float4 rounding between them).
    for p in ("pm25", "pm10", "so2", "no2", "co"):
        bad = [(d, v, i) for d, v, i in conn.execute(
            f"SELECT day, {p}, (iaqi->>'{p}')::int FROM air_daily WHERE iaqi ? '{p}' AND n_{p} >= 20 "
            "AND version = 'hj633_2012'") if aqi._round(aqi.iaqi(p, "24h", v, "hj633_2012")) != i]
        assert not bad, (p, bad[:3])
