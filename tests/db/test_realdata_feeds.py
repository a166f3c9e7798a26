"""Live air feeds: OpenAQ v3 (recorded responses, no network) and the national hourly snapshot CSV layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "openaq"


def _run(settings, *args, **env):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir), **env}
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.fixture()
def feeds_cleanup(db_url):
    yield
    with psycopg.connect(db_url) as c:  # leave the shared database as the bundled data made it
        ids = [r[0] for r in c.execute("SELECT id FROM stations WHERE code LIKE 'openaq-%' OR code LIKE 'TEST%'")]
        for table in ("air_daily", "air_aqi_hourly", "air_readings"):
            c.execute(f"DELETE FROM {table} WHERE station_id = ANY(%s)", (ids,))
        c.execute("DELETE FROM stations WHERE id = ANY(%s)", (ids,))


def test_openaq_replay_stores_stations_and_hours_once(settings, client, conn, feeds_cleanup):
    out = _run(settings, "fetch", "openaq", "--country", "CN", "--replay", str(FIXTURES))
    assert out.returncode == 0, out.stderr
    assert "1 locations" in out.stdout and "2 inserted" in out.stdout and "1 rejected" in out.stdout
    row = conn.execute("""SELECT s.id, s.name_en, round(ST_X(s.geom)::numeric, 4)::float8 FROM stations s
                          WHERE s.code = 'openaq-7001'""").fetchone()
    assert row[1:] == ("东四 Dongsi", 116.4174)
    first = conn.execute("""SELECT pm25, co, no2 FROM air_readings WHERE station_id = %s
                            AND observed_at = '2026-11-28 01:00+00'""", (row[0],)).fetchone()
    assert first[0] == pytest.approx(35.0) and first[1] == pytest.approx(0.8 * 28.010 / 24.45, rel=1e-5)
    assert first[2] == pytest.approx(0.021 * 46.0055 * 1000 / 24.45, rel=1e-5)
    aqi = conn.execute("SELECT count(*) FROM air_aqi_hourly WHERE station_id = %s", (row[0],)).fetchone()[0]
    assert aqi == 2  # AQI computed for the stored hours (the hour with PM2.5 -5 was rejected)
    again = _run(settings, "fetch", "openaq", "--replay", str(FIXTURES))
    assert again.returncode == 0 and "0 inserted" in again.stdout and "2 duplicate" in again.stdout
    api = client.get(f"/api/stations/{row[0]}").get_json()
    assert api["latest"]["aqi"] is not None and api["dataset"]["id"] == "openaq"


def test_openaq_needs_a_key_unless_replaying(settings):
    out = _run(settings, "fetch", "openaq", BLUEMAP_OPENAQ_API_KEY="")
    assert out.returncode == 2 and "BLUEMAP_OPENAQ_API_KEY" in out.stderr


def test_snapshot_csv_creates_stations_and_computes_aqi(settings, conn, feeds_cleanup, tmp_path):
    path = tmp_path / "snapshot.csv"
    path.write_text(
        "监测点编码,监测点名称,城市,经度,纬度,时间点,AQI,首要污染物,PM2.5,PM10,SO2,NO2,CO,O3,O3_8h\n"
        "TEST001A,万寿西宫,北京,116.366,39.878,2026-11-28 09:00,85,PM2.5,62,88,5,41,0.9,20,35\n"
        "TEST001A,万寿西宫,北京,116.366,39.878,2026-11-28 10:00,90,PM2.5,66,90,5,43,1.0,22,36\n"
        "TEST002A,天津站,天津,117.2,39.13,2026-11-28 09:00,60,PM10,30,70,8,30,0.7,40,55\n", encoding="utf-8")
    out = _run(settings, "load-file", "readings", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 new stations" in out.stdout
    rows = dict(conn.execute("""SELECT s.code, count(h.*) FROM stations s JOIN air_aqi_hourly h ON h.station_id = s.id
                                WHERE s.code LIKE 'TEST%%' GROUP BY s.code""").fetchall())
    assert rows == {"TEST001A": 2, "TEST002A": 1}
    name, lon = conn.execute("SELECT name_zh, ST_X(geom) FROM stations WHERE code = 'TEST002A'").fetchone()
    assert name == "天津站"  # the city is not repeated
    assert lon == pytest.approx(117.2)
