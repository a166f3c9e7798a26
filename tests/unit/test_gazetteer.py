"""The place-name index: Chinese, pinyin and English search; addresses located to the area they name, never guessed."""

from __future__ import annotations

import pytest

from geo.gazetteer import Entry, Gazetteer, fold, short_en, short_zh


def _index() -> Gazetteer:
    return Gazetteer([
        Entry("province", "Beijing", "北京市", 116.4, 39.9, code="110000"),
        Entry("province", "Liaoning", "辽宁省", 123.4, 41.8, code="210000"),
        Entry("province", "Zhejiang", "浙江省", 120.1, 30.2, code="330000"),
        Entry("prefecture", "Hangzhou", "杭州市", 120.2, 30.3, code="330100", parent="330000"),
        Entry("prefecture", "Jinhua", "金华市", 119.6, 29.1, code="330700", parent="330000"),
        Entry("county", "Xiaoshan", "萧山区", 120.26, 30.18, code="330109", parent="330100"),
        Entry("county", "Yiwu", "义乌市", 120.07, 29.31, code="330782", parent="330700"),
        Entry("county", "Chaoyang", "朝阳区", 116.44, 39.92, code="110105", parent="110000"),
        Entry("province", "Jilin", "吉林省", 125.3, 43.9, code="220000"),
        Entry("prefecture", "Changchun", "长春市", 125.3, 43.8, code="220100", parent="220000"),
        Entry("county", "Chaoyang", "朝阳区", 125.28, 43.83, code="220104", parent="220100"),
        Entry("prefecture", "Chaoyang", "朝阳市", 120.45, 41.57, code="211300", parent="210000"),
        Entry("county", "Chaoyang Xian", "朝阳县", 120.4, 41.5, code="211321", parent="211300"),
        Entry("place", "Hangzhou", "杭州", 120.17, 30.25, parent="330102", population=3_007_000),
        Entry("place", "Tangshan", "唐山", 118.19, 39.63, population=1_879_000),
    ])


def test_names_are_folded_and_shortened():
    assert fold("Xī'ān ") == "xian" and fold("Bei Jing") == "beijing"
    assert short_zh("朝阳区") == "朝阳" and short_zh("广西壮族自治区") == "广西" and short_zh("沙区") == "沙区"
    assert short_en("Chaoyang District") == "Chaoyang" and short_en("Yiwu Shi") == "Yiwu"


@pytest.mark.parametrize("q", ["义乌", "义乌市", "yiwu", "Yi Wu", "YIWU SHI", "yiwushi"])
def test_chinese_pinyin_and_english_find_the_same_county(q):
    kind, name = (lambda e: (e.kind, e.name_zh))(_index().search(q, 5)[0][1])
    assert (kind, name) == ("county", "义乌市")


def test_ranked_by_match_then_kind_then_population():
    found = [(m, e.kind, e.name_zh) for m, e in _index().search("朝阳", 10)]
    assert found == [(0, "prefecture", "朝阳市"), (0, "county", "朝阳区"), (0, "county", "朝阳区"),
                     (0, "county", "朝阳县")]
    hz = [(m, e.kind) for m, e in _index().search("hangzhou", 10)]
    assert hz == [(0, "prefecture"), (0, "place")]
    assert [e.name_zh for _, e in _index().search("xiao", 5)] == ["萧山区"]
    assert _index().search("zzzz", 5) == [] and _index().search("  ", 5) == []


def test_chain_names_the_parents():
    g = _index()
    assert [e.code for e in g.chain(g.by_code["330109"])] == ["330100", "330000"]


@pytest.mark.parametrize("address, code, precision", [
    ("浙江省杭州市萧山区宁围街道市心北路1号", "330109", "county"),
    ("杭州市萧山区", "330109", "county"),
    ("浙江省金华市义乌市稠城街道", "330782", "county"),
    ("浙江义乌市", "330782", "county"),
    ("浙江省杭州市", "330100", "prefecture"),
    ("浙江省某县某镇", "330000", "province"),
    ("北京市朝阳区建国路", "110105", "county"),
    ("辽宁省朝阳市", "211300", "prefecture"),
    ("吉林省长春市朝阳区", "220104", "county"),
    ("长春市朝阳区", "220104", "county"),
])
def test_addresses_are_located_to_the_deepest_consistent_area(address, code, precision):
    entry, prec = _index().locate(address)
    assert (entry.code, prec) == (code, precision)


def test_a_town_is_located_as_a_place():
    entry, prec = _index().locate("唐山市路北区")
    assert (entry.name_zh, prec) == ("唐山", "place")


@pytest.mark.parametrize("address", ["朝阳区建国路", "某市某路1号", "", "唐山路", "123 Main Street",
                                     "杭州萧山"])
def test_unplaceable_or_ambiguous_addresses_are_not_guessed(address):
    assert _index().locate(address) is None
