"""GCJ-02 / BD-09 conversions against the reference fixture."""

import pytest

from geo import datum


def test_reference_fixture_wgs84_to_gcj02():
    lon, lat = datum.wgs84_to_gcj02(116.3975, 39.9087)
    assert lon == pytest.approx(116.403744, abs=2e-6)
    assert lat == pytest.approx(39.910103, abs=2e-6)


def test_gcj02_inverse_is_sub_centimetre():
    for lon, lat in [(116.3975, 39.9087), (121.47, 31.23), (113.26, 23.13), (87.62, 43.82), (126.63, 45.75)]:
        back = datum.gcj02_to_wgs84(*datum.wgs84_to_gcj02(lon, lat))
        assert datum.haversine_m(lon, lat, *back) < 0.01


def test_offset_is_hundreds_of_metres_in_china():
    g = datum.wgs84_to_gcj02(116.3975, 39.9087)
    assert 300 < datum.haversine_m(116.3975, 39.9087, *g) < 700


def test_bd09_round_trip():
    lon, lat = 104.06, 30.67
    back = datum.bd09_to_wgs84(*datum.wgs84_to_bd09(lon, lat))
    assert datum.haversine_m(lon, lat, *back) < 0.05


def test_outside_china_unchanged():
    assert datum.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert datum.to_wgs84(2.35, 48.85, "gcj02") == (2.35, 48.85)


def test_unknown_datum_is_an_error():
    with pytest.raises(ValueError, match="unknown datum"):
        datum.to_wgs84(116.0, 39.0, "epsg3857")
