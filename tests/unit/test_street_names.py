"""What part of an address is searched for a street, and when a street is chosen or left undecided (pure parts)."""

from __future__ import annotations

from geo.gazetteer import Entry, Gazetteer
from ingest.geocode_streets import _choose, area_of


def index() -> Gazetteer:
    """Shanghai, its districts 黄浦区 and 浦东新区, and a town."""
    return Gazetteer([Entry("province", "Shanghai", "上海市", 121.47, 31.23, code="310000"),
                      Entry("county", "Huangpu", "黄浦区", 121.48, 31.22, code="310101", parent="310000"),
                      Entry("county", "Pudong", "浦东新区", 121.6, 31.2, code="310115", parent="310000")])


def test_the_rest_of_an_address_is_what_its_areas_do_not_say():
    gz = index()
    path, clash = gz.resolve("上海市 黄浦区 学府路 88 号")
    assert [e.code for e in path] == ["310000", "310101"] and not clash
    assert gz.remainder("上海市 黄浦区 学府路 88 号", path) == "学府路88号"
    path, _ = gz.resolve("上海市浦东新区浦东大道1号")
    assert gz.remainder("上海市浦东新区浦东大道1号", path) == "浦东大道1号"  # the full name goes, not 浦东 twice
    assert area_of(path).code == "310115"
    assert area_of(gz.resolve("上海市某路")[0]) is None  # a province only: no area to look for streets in


def test_one_street_is_chosen_two_of_one_name_or_two_names_are_not():
    area = index().by_code["310101"]
    one = _choose([("学府路", 121.47, 31.23)], area)
    assert (one.name, one.lon, one.lat, one.ambiguous) == ("学府路", 121.47, 31.23, None)
    twice = _choose([("中山路", 121.4, 31.2), ("中山路", 121.5, 31.3)], area)
    assert twice.lon is None and twice.ambiguous == "2 streets named 中山路 in 黄浦区, over 3 km apart"
    names = _choose([("河滨路", 121.4, 31.2), ("学府路", 121.5, 31.3)], area)
    assert names.lon is None and "several streets of 黄浦区 (学府路, 河滨路)" in names.ambiguous
