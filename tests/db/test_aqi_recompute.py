"""`bluemap aqi recompute`: stored hourly AQI and daily rollups redone, per station, by the configured cut-over."""

import os
import subprocess
import sys
from datetime import date

import psycopg
import pytest

from monitoring.recompute import recompute
from standards import aqi

TARGET, OTHER = "1003A", "1004A"  # Dongsi and Tiantan (bundled Beijing stations)
FIRST, LAST = "2015-01-10", "2015-01-12"
HOURS = """SELECT observed_at, aqi, category, primary_pollutants, iaqi, version FROM air_aqi_hourly h
           JOIN stations s ON s.id = h.station_id WHERE s.code = %s
           AND (observed_at AT TIME ZONE interval '08:00')::date BETWEEN %s AND %s ORDER BY observed_at"""
DAYS = """SELECT day, to_jsonb(d) - 'updated_at' FROM air_daily d JOIN stations s ON s.id = d.station_id
          WHERE s.code = %s AND day BETWEEN %s AND %s ORDER BY day"""


def run(settings, *args, **env):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir), **env}
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def snapshot(conn, code):
    return (conn.execute(HOURS, (code, FIRST, LAST)).fetchall(), conn.execute(DAYS, (code, FIRST, LAST)).fetchall())


@pytest.fixture()
def db(db_url):
    with psycopg.connect(db_url, autocommit=True) as c:
        yield c


def corrupt(conn, code):
    """Wrong AQIs on the middle day: 999 and category 1, hourly and daily; returns what to put back."""
    hours = conn.execute("""UPDATE air_aqi_hourly h SET aqi = 999, category = 1 FROM stations s
        WHERE s.id = h.station_id AND s.code = %s AND (observed_at AT TIME ZONE interval '08:00')::date = '2015-01-11'
        RETURNING h.station_id, h.observed_at""", (code,)).fetchall()
    days = conn.execute("""UPDATE air_daily d SET aqi = 999, category = 1 FROM stations s
        WHERE s.id = d.station_id AND s.code = %s AND day = '2015-01-11' RETURNING d.station_id""", (code,)).fetchall()
    return len(hours), len(days)


def restore(conn, code, before):
    """Put the AQI columns of the corrupted rows back as they were."""
    hours, days = before
    sid = conn.execute("SELECT id FROM stations WHERE code = %s", (code,)).fetchone()[0]
    with conn.cursor() as cur:
        cur.executemany("UPDATE air_aqi_hourly SET aqi = %s, category = %s WHERE station_id = %s AND observed_at = %s",
                        [(r[1], r[2], sid, r[0]) for r in hours])
        cur.executemany("UPDATE air_daily SET aqi = %s, category = %s WHERE station_id = %s AND day = %s",
                        [(r[1]["aqi"], r[1]["category"], sid, r[0]) for r in days])


def test_recompute_repairs_the_station_and_leaves_the_others(settings, db):
    target, other = snapshot(db, TARGET), snapshot(db, OTHER)
    assert len(target[0]) == 72 and len(target[1]) == 3 and all(h[1] != 999 for h in target[0])
    try:
        n_hours, n_days = corrupt(db, TARGET)
        corrupt(db, OTHER)
        assert n_hours == 24 and n_days == 1 and snapshot(db, TARGET) != target
        res = run(settings, "aqi", "recompute", "--station", TARGET, "--from", FIRST, "--to", LAST)
        assert res.returncode == 0, res.stderr
        assert "24 hours and 1 days changed (cut-over 2026-03-01)" in res.stdout
        assert snapshot(db, TARGET) == target  # back to what monitoring computed when the data was loaded
        hours, days = snapshot(db, OTHER)
        assert {h[1] for h in hours if aqi.local_date(h[0]) == date(2015, 1, 11)} == {999}
        assert [d[1]["aqi"] for d in days] == [other[1][0][1]["aqi"], 999, other[1][2][1]["aqi"]]
        again = run(settings, "aqi", "recompute", "--station", TARGET, "--from", FIRST, "--to", LAST)
        assert "0 hours and 0 days changed" in again.stdout
    finally:
        restore(db, TARGET, target)
        restore(db, OTHER, other)
    assert snapshot(db, OTHER) == other


def test_recompute_under_a_new_cutover_changes_the_version(settings, db):
    before = snapshot(db, TARGET)
    assert {h[5] for h in before[0]} == {"hj633_2012"}
    try:
        res = run(settings, "aqi", "recompute", "--station", TARGET, "--from", FIRST, "--to", LAST,
                  BLUEMAP_AQI_CUTOVER="2015-01-11")
        assert res.returncode == 0, res.stderr
        assert "48 hours and 2 days changed (cut-over 2015-01-11)" in res.stdout
        hours, days = snapshot(db, TARGET)
        assert [h[5] for h in hours] == ["hj633_2012"] * 24 + ["hj633_2026"] * 48
        assert [d[1]["version"] for d in days] == ["hj633_2012", "hj633_2026", "hj633_2026"]
    finally:
        sid = db.execute("SELECT id FROM stations WHERE code = %s", (TARGET,)).fetchone()[0]
        recompute(db, aqi.CUTOVER, [sid], date(2015, 1, 10), date(2015, 1, 12))
    assert snapshot(db, TARGET) == before


def test_recompute_rejects_an_unknown_station_and_bad_days(settings):
    res = run(settings, "aqi", "recompute", "--station", "nope")
    assert res.returncode != 0 and "no air station with code 'nope'" in res.stderr
    res = run(settings, "aqi", "recompute", "--from", "2015-02-30")
    assert res.returncode != 0 and "impossible date" in res.stderr
    res = run(settings, "aqi", "recompute", "--from", "2015-01-12", "--to", "2015-01-10")
    assert res.returncode != 0 and "after" in res.stderr


def test_the_bundled_beijing_loader_takes_the_configured_cutover():
    from data.loaders import beijing_aq, registry

    assert registry()["beijing-aq"] is beijing_aq.load
    loader = registry(date(2015, 1, 11))["beijing-aq"]
    assert loader.func is beijing_aq.load and loader.keywords == {"cutover": date(2015, 1, 11)}
