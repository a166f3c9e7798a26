"""HJ 633 AQI: the reference vectors, every breakpoint, footnotes, categories, primary pollutants, NA."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from standards import aqi


@pytest.mark.parametrize("pollutant,avg,value,version,expected", [
    ("pm25", "24h", 75, "hj633_2012", 100),
    ("pm25", "24h", 75, "hj633_2026", 114),
    ("pm10", "24h", 150, "hj633_2012", 100),
    ("pm10", "24h", 150, "hj633_2026", 112),
    ("pm25", "24h", 80, "hj633_2012", 107),
    ("no2", "1h", 350, "hj633_2012", 115),
    ("o3", "8h", 200, "hj633_2012", 137),
    ("co", "24h", 5, "hj633_2012", 105),
    ("so2", "1h", 500, "hj633_2012", 100),
])
def test_reference_vectors(pollutant, avg, value, version, expected):
    raw = aqi.iaqi(pollutant, avg, value, version)
    assert aqi._round(raw) == expected


@pytest.mark.parametrize("version", aqi.VERSIONS)
def test_every_breakpoint_maps_to_its_node(version):
    for (pollutant, avg), table in aqi.BREAKPOINTS[version].items():
        for node, bp in zip(aqi.IAQI_NODES, table, strict=True):
            if bp is not None:
                assert aqi.iaqi(pollutant, avg, bp, version) == pytest.approx(node), (pollutant, avg, bp)


def test_so2_1h_node_is_500_not_475():
    assert aqi.iaqi("so2", "1h", 475, "hj633_2012") < 100


def test_footnotes_so2_and_o3_beyond_800():
    assert aqi.iaqi("so2", "1h", 900, "hj633_2012") is None
    assert aqi.iaqi("so2", "1h", 900, "hj633_2026") == 200
    assert aqi.iaqi("o3", "8h", 900, "hj633_2012") is None
    assert aqi.iaqi("o3", "8h", 900, "hj633_2026") == 300
    r = aqi.hourly_aqi({"so2": 900, "so2_24h": 500, "no2": 10, "co": 0.5, "o3": 10, "pm10": 10, "pm25": 10},
                       "hj633_2012")
    assert r.iaqi["so2"] == aqi._round(aqi.iaqi("so2", "24h", 500, "hj633_2012"))
    daily = aqi.daily_aqi({"so2": 5, "no2": 5, "co": 0.5, "pm10": 5, "pm25": 5, "o3_8h": 900, "o3_1h": 1000},
                          "hj633_2012")
    assert daily.iaqi["o3"] == 400


@pytest.mark.parametrize("value,level", [(0, 1), (50, 1), (51, 2), (100, 2), (101, 3), (150, 3), (151, 4),
                                         (200, 4), (201, 5), (300, 5), (301, 6), (500, 6)])
def test_categories(value, level):
    assert aqi.category_for(value).level == level


def test_category_colours_from_the_standard():
    assert [c.colour for c in aqi.CATEGORIES] == ["#00e400", "#ffff00", "#ff7e00", "#ff0000", "#99004c", "#7e0023"]


FULL = {"so2": 5, "no2": 20, "co": 0.5, "o3": 50, "pm10": 40, "pm25": 20}


def test_no_primary_pollutant_at_or_below_50():
    r = aqi.hourly_aqi(FULL, "hj633_2012")
    assert r.aqi is not None and r.aqi <= 50 and r.primary == ()


def test_ties_list_every_primary_pollutant():
    r = aqi.hourly_aqi({**FULL, "pm10": 150, "pm25": 75}, "hj633_2012")
    assert r.aqi == 100 and r.primary == ("pm10", "pm25")
    assert r.over_standard == ()


def test_over_standard_pollutants():
    r = aqi.hourly_aqi({**FULL, "pm25": 120, "no2": 250}, "hj633_2012")
    assert set(r.over_standard) == {"pm25", "no2"}


def test_missing_pollutant_gives_na_unless_above_100():
    assert aqi.hourly_aqi({**FULL, "co": None}, "hj633_2026").aqi is None
    high = aqi.hourly_aqi({**FULL, "co": None, "pm25": 150}, "hj633_2026")
    assert high.aqi == 200 and high.category.name_zh == "中度污染"


def test_version_by_date_and_scale_name():
    assert aqi.version_for(date(2026, 2, 28)) == "hj633_2012"
    assert aqi.version_for(datetime(2026, 3, 1, 0, 0)) == "hj633_2026"
    assert aqi.scale_name("hj633_2026") == "China AQI (HJ 633-2026)"


def test_version_by_the_local_date_in_china_not_the_utc_date():
    # Beijing 2026-03-01 00:00-07:59 is still 2026-02-28 in UTC: the local date decides.
    assert aqi.version_for(datetime(2026, 2, 28, 16, 0, tzinfo=UTC)) == "hj633_2026"
    assert aqi.version_for(datetime(2026, 2, 28, 15, 59, tzinfo=UTC)) == "hj633_2012"
    assert aqi.version_for(datetime(2026, 3, 1, 7, 0, tzinfo=timezone(timedelta(hours=8)))) == "hj633_2026"
    assert aqi.version_for(datetime(2016, 1, 1, 3, 0, tzinfo=UTC), date(2016, 1, 1)) == "hj633_2026"


def test_2012_publishes_the_aqi_of_the_pollutants_present():
    # The NA rule (missing pollutant, AQI <= 100) is 2026's (§5.3.1); HJ 633-2012 has none.
    r = aqi.hourly_aqi({**FULL, "co": None, "pm25": 60}, "hj633_2012")
    assert r.aqi == 82 and r.primary == ("pm25",) and r.category.level == 2
    assert aqi.hourly_aqi({**FULL, "co": None, "pm25": 60}, "hj633_2026").aqi is None
    daily = {"so2": 5, "no2": 20, "co": None, "pm10": 40, "pm25": 20, "o3_8h": 50, "o3_1h": 60}
    assert aqi.daily_aqi(daily, "hj633_2012").aqi == 40
    assert aqi.daily_aqi(daily, "hj633_2026").aqi is None


def test_2012_so2_above_800_takes_the_24h_mean_iaqi_or_no_aqi():
    hour = {"so2": 900, "no2": 10, "co": 0.5, "o3": 10, "pm10": 10, "pm25": 10}
    # Without the 24-hour mean the SO2 sub-index is unknown: no AQI (not 40 with SO2 dropped).
    r = aqi.hourly_aqi(hour, "hj633_2012")
    assert r.aqi is None and "so2" not in r.iaqi
    r = aqi.hourly_aqi({**hour, "so2_24h": 300}, "hj633_2012")  # 24h IAQI of 300: 150 + 50 * 25 / 325
    assert r.iaqi["so2"] == 124 and r.aqi == 124 and r.primary == ("so2",) and r.over_standard == ("so2",)
    assert aqi.hourly_aqi({**hour, "so2_24h": 300}, "hj633_2026").iaqi["so2"] == 200  # 2026: fixed at 200


def test_moving_averages_need_enough_valid_hours():
    hours = [10.0] * 8
    assert aqi.o3_8h_moving_average(hours)[-1] == 10.0
    assert aqi.o3_8h_moving_average(hours)[6] is None
    gappy = [10.0, None, None, None, 10.0, 10.0, 10.0, 10.0]
    assert aqi.o3_8h_moving_average(gappy)[-1] is None
    day = [20.0] * 20 + [None] * 4
    assert aqi.moving_average_24h(day)[-1] == 20.0
    assert aqi.moving_average_24h([20.0] * 19 + [None] * 5)[-1] is None
