"""/api/places: provinces, prefectures, counties, places and OpenStreetMap names, in Chinese, pinyin and English."""

from __future__ import annotations

import psycopg
import pytest

from tests.area_helpers import areas_present


def _places(client, q, **args):
    r = client.get("/api/places", query_string={"q": q, **args})
    assert r.status_code == 200, r.json
    return r.json["results"]


@pytest.mark.parametrize("q", ["北京", "北京市", "beijing", "Bei Jing", "BEIJING"])
def test_a_province_by_chinese_pinyin_or_english(client, q):
    first = _places(client, q)[0]
    assert (first["kind"], first["name_zh"], first["match"]) == ("province", "北京市", "exact")


@pytest.mark.parametrize("q", ["唐山", "tangshan", "Tang Shan"])
def test_a_place_by_pinyin_with_its_province(client, q):
    found = _places(client, q)
    assert found[0]["match"] == "exact" and found[0]["within"][-1]["code"] == "130000"  # in Hebei
    place = next(r for r in found if r["kind"] == "place")
    assert place["name_en"] == "Tangshan" and place["province"] == "Hebei" and place["match"] == "exact"
    # the prefecture 唐山市 (when the prefectures are loaded) ranks before the town of the same name
    assert [r["kind"] for r in found].index("place") == (1 if found[0]["kind"] == "prefecture" else 0)


@pytest.fixture()
def counties(db_url):
    """Two districts named 朝阳区 (Beijing, Changchun) and Kunshan, unless the loaded data has them already."""
    rows = [("110105", "county", "110000", "朝阳区", "Chaoyang", (116.40, 39.85, 116.65, 40.05)),
            ("220100", "prefecture", "220000", "长春市", "Changchun", (125.0, 43.6, 125.7, 44.1)),
            ("220104", "county", "220100", "朝阳区", "Chaoyang", (125.20, 43.75, 125.32, 43.88)),
            ("320500", "prefecture", "320000", "苏州市", "Suzhou", (120.3, 31.0, 121.3, 31.9)),
            ("320583", "county", "320500", "昆山市", "Kunshan", (120.8, 31.2, 121.1, 31.5))]
    with areas_present(db_url, rows):
        yield


def test_counties_by_chinese_and_pinyin_with_the_areas_they_lie_in(client, counties):
    found = [r for r in _places(client, "chaoyang", limit=20) if r["kind"] == "county" and r["name_zh"] == "朝阳区"]
    assert {r["code"] for r in found} >= {"110105", "220104"}
    beijing = next(r for r in found if r["code"] == "110105")
    assert beijing["within"][-1]["name_zh"] == "北京市" and beijing["province"] == "Beijing"
    changchun = next(r for r in found if r["code"] == "220104")
    assert [a["code"] for a in changchun["within"]] == ["220100", "220000"]
    kunshan = _places(client, "昆山")[0]
    assert (kunshan["kind"], kunshan["code"]) == ("county", "320583")
    assert _places(client, "kunshan")[0]["code"] == "320583"


def test_ranked_by_kind_then_population(client, counties):
    kinds = [r["kind"] for r in _places(client, "朝阳", limit=20) if r["match"] == "exact"]
    order = ["province", "prefecture", "county", "place", "neighbourhood", "street", "poi"]
    assert kinds == sorted(kinds, key=order.index) and "county" in kinds
    places = [r for r in _places(client, "shan", limit=50) if r["kind"] == "place" and r["match"] == "prefix"]
    pops = [r["population"] or 0 for r in places]
    assert pops == sorted(pops, reverse=True)


def _insert(c, table: str, values: dict) -> None:
    """A row into osm.<table>, with those of `values` that are columns of the table as the import made it."""
    have = {r[0] for r in c.execute("SELECT column_name FROM information_schema.columns "
                                    "WHERE table_schema = 'osm' AND table_name = %s", (table,))}
    cols = [k for k in values if k in have]
    c.execute(f"INSERT INTO osm.{table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
              [values[k] for k in cols])


@pytest.fixture()
def osm_names(db_url):
    """A neighbourhood and a street in the OpenStreetMap tables (created by migration 0012), removed afterwards."""
    with psycopg.connect(db_url, autocommit=True) as c:
        if c.execute("SELECT to_regclass('osm.places') IS NULL OR to_regclass('osm.roads') IS NULL").fetchone()[0]:
            pytest.fail("migration 0012 creates osm.places and osm.roads")
        _insert(c, "places", {"osm_type": "N", "osm_id": -9901, "kind": "neighbourhood", "class": "place",
                              "name_zh": "测试新村", "name_en": "Ceshi Xincun", "minzoom": 14,
                              "geom": "SRID=4326;POINT(121.47 31.23)"})
        _insert(c, "roads", {"way_id": -9902, "kind": "secondary", "class": "highway", "name_zh": "测试大道",
                             "name_en": "Ceshi Avenue", "minzoom": 12,
                             "geom": "SRID=4326;LINESTRING(121.40 31.20, 121.42 31.20)"})
    yield
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("DELETE FROM osm.places WHERE osm_id = -9901")
        c.execute("DELETE FROM osm.roads WHERE way_id = -9902")


def test_openstreetmap_names_when_an_extract_is_loaded(client, osm_names):
    hood = _places(client, "测试新村")[0]
    assert (hood["kind"], hood["lon"], hood["lat"], hood["match"]) == ("neighbourhood", 121.47, 31.23, "exact")
    street = next(r for r in _places(client, "Ceshi") if r["kind"] == "street")
    assert street["name_zh"] == "测试大道" and street["lon"] == pytest.approx(121.41) and street["lat"] == 31.2
    kinds = [r["kind"] for r in _places(client, "测试")]
    assert kinds.index("neighbourhood") < kinds.index("street")


@pytest.mark.parametrize("args", [{}, {"q": ""}, {"q": "  "}, {"q": "x" * 101}, {"q": "北京", "limit": 0},
                                  {"q": "北京", "limit": 51}, {"q": "a\x00b"}])
def test_bad_place_requests_are_400(client, args):
    r = client.get("/api/places", query_string=args)
    assert r.status_code == 400 and r.json["error"]


def test_no_match_is_an_empty_list(client):
    assert _places(client, "zzzqqq") == [] and _places(client, "!!!") == []
