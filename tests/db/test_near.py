"""Honest near me: stations beyond the configured distance are not called near; reading ages; local bureaus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from geo import datum
from queries.stations import freshness
from tests.area_helpers import HANGZHOU_XIAOSHAN, areas_present

SHANGHAI = (121.4737, 31.2304)
BEIJING = (116.397, 39.909)
XIAOSHAN = (120.2645, 30.1850)  # Xiaoshan district, Hangzhou


def _near(client, **args):
    r = client.get("/api/near", query_string=args)
    assert r.status_code == 200, r.json
    return r.json


def test_shanghai_has_no_air_station_within_50_km_and_names_the_closest(client):
    body = _near(client, lon=SHANGHAI[0], lat=SHANGHAI[1], radius_m=3000)
    assert body["station_within_m"] == {"air": 50000, "water": 100000}
    assert body["air_stations"] == []
    closest = body["air_closest"]
    assert closest is not None and closest["distance_m"] > 1_000_000  # the bundled air stations are in Beijing
    assert closest["distance_m"] == pytest.approx(
        datum.haversine_m(*SHANGHAI, closest["lon"], closest["lat"]), rel=0.01)


def test_beijing_stations_are_within_the_distance_and_no_closest_is_named(client):
    body = _near(client, lon=BEIJING[0], lat=BEIJING[1], radius_m=1000)
    assert 1 <= len(body["air_stations"]) <= 3 and body["air_closest"] is None
    assert all(s["distance_m"] <= 50000 for s in body["air_stations"])
    assert all(s["distance_m"] <= 100000 for s in body["water_stations"])
    assert (body["water_closest"] is None) == bool(body["water_stations"])


def test_old_readings_carry_local_time_age_and_stale(client, conn):
    body = _near(client, lon=BEIJING[0], lat=BEIJING[1], radius_m=1000)
    reading = body["air_stations"][0]["latest"]
    code = body["air_stations"][0]["code"]
    latest = conn.execute("SELECT max(observed_at) FROM air_readings r JOIN stations s ON s.id = r.station_id "
                          "WHERE s.code = %s", (code,)).fetchone()[0]
    assert reading["observed_local"] == latest.astimezone(datum_zone()).strftime("%Y-%m-%d %H:%M")
    assert reading["stale"] is True and reading["age_s"] > 86400
    api = client.get(f"/api/stations/{body['air_stations'][0]['id']}").json["latest"]
    assert api["stale"] is True and api["observed_local"] == reading["observed_local"]


def datum_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def test_freshness_boundary():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    fresh = freshness(now - timedelta(hours=23, minutes=59), now)
    old = freshness(now - timedelta(days=1, seconds=1), now)
    assert fresh["stale"] is False and old["stale"] is True
    assert fresh["observed_local"] == "2026-02-28 20:01" and fresh["age_s"] == 23 * 3600 + 59 * 60
    assert freshness(datetime(2017, 2, 28, 15, tzinfo=UTC), now)["observed_local"] == "2017-02-28 23:00"


def test_distances_are_configurable(settings):
    from app import create_app

    app = create_app(settings.model_copy(update={"near_air_km": 2000.0, "near_water_km": 1.0}))
    try:
        body = _near(app.test_client(), lon=SHANGHAI[0], lat=SHANGHAI[1], radius_m=3000)
    finally:
        app.extensions["pool"].close()
    assert body["station_within_m"] == {"air": 2_000_000, "water": 1000}
    assert body["air_stations"] and body["air_closest"] is None
    assert body["water_stations"] == [] and body["water_closest"] is not None


@pytest.fixture()
def hangzhou(db_url):
    """Hangzhou (prefecture) and Xiaoshan (county) in admin_areas: the loaded rows, or squares made for the test."""
    with areas_present(db_url, HANGZHOU_XIAOSHAN):
        yield


def test_bureau_names_the_county_and_prefecture_then_the_province(client, hangzhou):
    b = _near(client, lon=XIAOSHAN[0], lat=XIAOSHAN[1], radius_m=1000)["bureau"]
    assert b["bureau_zh"] == "浙江省生态环境厅" and b["hotline"] == "12369"
    assert [x["level"] for x in b["local"]] == ["county", "prefecture"]
    county, prefecture = b["local"]
    assert county["area_code"] == "330109" and county["bureau_zh"] == "杭州市生态环境局萧山分局"
    assert county["bureau_en"].startswith("Xiaoshan Branch, Hangzhou Bureau")
    assert prefecture["bureau_zh"] == "杭州市生态环境局"


def test_bureau_without_local_levels_is_the_provincial_one(client):
    b = _near(client, lon=114.51, lat=38.04, radius_m=1000)["bureau"]  # Shijiazhuang: loaded or not, one province
    assert b["bureau_zh"] == "河北省生态环境厅"
    assert all(x["area_code"].startswith("13") for x in b["local"])
