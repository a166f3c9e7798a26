"""Which facility-file rows are placed from their address, and why a row cannot be (no guess)."""

from __future__ import annotations

from geo.gazetteer import Entry, Gazetteer
from ingest.geocode_rows import placement, wanted


def index() -> Gazetteer:
    """Two provinces; Jiangsu with two 鼓楼区 in different prefectures, and 昆山市 under 苏州市."""
    e = [Entry("province", "Jiangsu", "江苏省", 119.0, 32.9, code="320000"),
         Entry("province", "Zhejiang", "浙江省", 120.1, 29.2, code="330000"),
         Entry("prefecture", "Nanjing", "南京市", 118.8, 32.1, code="320100", parent="320000"),
         Entry("prefecture", "Xuzhou", "徐州市", 117.2, 34.3, code="320300", parent="320000"),
         Entry("prefecture", "Suzhou", "苏州市", 120.6, 31.3, code="320500", parent="320000"),
         Entry("county", "Gulou", "鼓楼区", 118.77, 32.07, code="320106", parent="320100"),
         Entry("county", "Gulou", "鼓楼区", 117.19, 34.29, code="320302", parent="320300"),
         Entry("county", "Kunshan", "昆山市", 120.98, 31.38, code="320583", parent="320500")]
    return Gazetteer(e)


def test_only_rows_without_any_coordinate_and_with_a_place_are_placed():
    assert wanted({"address": "昆山市玉山镇", "lon": "", "lat": ""}) == "昆山市玉山镇"
    assert wanted({"address": "玉山镇", "province": "江苏省", "county": "昆山市"}) == "江苏省昆山市玉山镇"
    assert wanted({"address": "江苏省昆山市玉山镇", "province": "江苏省"}) == "江苏省昆山市玉山镇"
    assert wanted({"address": "昆山市", "lon": "", "lat": "31.3"}) is None  # half a coordinate: a row error
    assert wanted({"address": " ", "lon": "", "lat": ""}) is None


def test_placement_names_its_precision_or_why_not():
    entry, precision = placement(index(), "江苏省昆山市玉山镇")
    assert (entry.code, precision) == ("320583", "county")
    entry, precision = placement(index(), "江苏省南京市鼓楼区中山路1号")
    assert (entry.code, precision) == ("320106", "county")
    twice = placement(index(), "江苏省鼓楼区中山路1号")
    assert isinstance(twice, str) and twice.startswith("ambiguous: 2 counties in 江苏省")
    assert "320106" in twice and "320302" in twice and "南京市" in twice
    assert "names only the province (浙江省)" in placement(index(), "浙江省某路")
    assert placement(index(), "某省某市某路3号").startswith("no county, prefecture or place")
