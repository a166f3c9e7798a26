"""City carbon (Carbon Monitor Cities, CMCC): loaded with the reviewed prefecture join, shown per series."""

from __future__ import annotations

import gzip

import mapbox_vector_tile
import pytest


def _tile(client, query):
    resp = client.get(f"/tiles/carbon/0/0/0.mvt?{query}")
    assert resp.status_code in (200, 204), resp.data
    if resp.status_code == 204:
        return []
    data = gzip.decompress(resp.data) if resp.headers.get("Content-Encoding") == "gzip" else resp.data
    return mapbox_vector_tile.decode(data)["carbon"]["features"]


def test_both_series_are_loaded_with_every_city_and_year(conn):
    counts = dict(conn.execute("SELECT dataset_id, count(*) FROM city_carbon GROUP BY 1").fetchall())
    assert counts == {"carbon-monitor-cities": 627, "cmcc-cities": 82}
    cities = dict(conn.execute("SELECT dataset_id, count(*) FROM carbon_cities GROUP BY 1").fetchall())
    assert cities == {"carbon-monitor-cities": 209, "cmcc-cities": 41}
    # Shanghai 2020 differs between the products (SOURCE.md): 134.7 Mt (CMC) and 160.8 Mt (CMCC)
    sh = dict(conn.execute("SELECT dataset_id, round(co2_mt::numeric, 1)::float8 FROM city_carbon "
                           "WHERE locode = 'CNSGH' AND year = 2020").fetchall())
    assert sh == {"carbon-monitor-cities": 134.7, "cmcc-cities": 160.8}


def test_the_misplaced_aksu_is_joined_to_aksu_not_kizilsu(conn):
    row = conn.execute("SELECT area_code, name_zh, basis, ST_X(geom) FROM carbon_cities "
                       "WHERE locode = 'CNAKU'").fetchone()
    assert row[:3] == ("652900", "阿克苏地区", "corrected")
    assert 78 < row[3] < 84  # moved out of Kizilsu (the LOCODE point is at 75.7 E)


def test_county_level_cities_are_not_drawn_as_their_prefecture(conn):
    rows = dict(conn.execute("SELECT locode, on_polygon FROM carbon_cities "
                             "WHERE dataset_id = 'carbon-monitor-cities' AND area_code = '320500'").fetchall())
    assert rows == {"CNZJG": False}  # Zhangjiagang is not Suzhou
    dup = conn.execute("SELECT count(*) FROM (SELECT dataset_id, area_code FROM carbon_cities WHERE on_polygon "
                       "GROUP BY 1, 2 HAVING count(*) > 1) d").fetchone()[0]
    assert dup == 0


def test_city_level_ranks_one_series_only_with_its_years_and_source(client):
    body = client.get("/api/carbon?level=city").get_json()
    assert body["series"] == "carbon-monitor-cities" and body["years"] == [2019, 2020, 2021]
    assert body["year"] == 2021 and len(body["areas"]) == 209
    assert "CC BY 4.0" in body["source"]["licence"] and "Carbon Monitor" in body["source"]["attribution"]
    values = [a["value"] for a in body["areas"]]
    assert values == sorted(values, reverse=True)
    assert body["areas"][0]["class"] == 5 and body["unplaced"] == 50
    cmcc = client.get("/api/carbon?level=city&series=cmcc-cities&year=2020").get_json()
    assert cmcc["years"] == [2020, 2021] and len(cmcc["areas"]) == 41
    sh = {b["series"]: next(a["co2_mt"] for a in b["areas"] if a["code"] == "CNSGH")
          for b in (cmcc, client.get("/api/carbon?level=city&year=2020").get_json())}
    assert sh == {"cmcc-cities": 160.84, "carbon-monitor-cities": 134.74}  # each series its own figure
    assert client.get("/api/carbon?level=city&series=cmcc-cities&year=2019").status_code == 400


@pytest.mark.parametrize("query", ["level=city&series=cui2021-province-co2", "level=province&series=cmcc-cities",
                                   "level=city&series=nope"])
def test_a_series_of_another_level_is_refused(client, query):
    resp = client.get(f"/api/carbon?{query}")
    assert resp.status_code == 400 and "series" in resp.get_json()["error"]


def test_missing_denominator_is_said_not_shown_as_grey(client):
    body = client.get("/api/carbon?level=city&metric=co2_per_capita_t").get_json()
    # only the municipalities (a prefecture-level code that is also a province's) have an open population
    with_value = {a["code"] for a in body["areas"] if a["value"] is not None}
    assert with_value <= {"CNBJS", "CNSGH", "CNTNJ", "CNCQI"} and "CNBJS" in with_value
    assert body["missing"] == 209 - len(with_value)
    assert "no open data for this metric at city level" in body["note"]["en"]
    assert client.get("/api/carbon?metric=co2_mt").get_json()["note"] is None
    gdp = client.get("/api/carbon?level=city&series=cmcc-cities&metric=co2_per_10k_cny").get_json()
    assert gdp["missing"] == 41 and gdp["breaks"] == [] and gdp["note"]


def test_city_tiles_draw_placed_cities_in_their_ranking_class(client):
    body = client.get("/api/carbon?level=city&year=2020").get_json()
    classes = {a["code"]: a["class"] for a in body["areas"]}
    feats = _tile(client, "level=city&year=2020")
    assert len(feats) == 209 - body["unplaced"]
    assert all(classes[f["properties"]["code"]] == f["properties"]["class"] for f in feats)
    assert {f["properties"]["level"] for f in feats} == {"city"}


def test_city_trend_by_locode_and_series_list(client):
    body = client.get("/api/carbon/trend?level=city&code=CNBJS").get_json()
    assert [r["year"] for r in body["area"]] == [2019, 2020, 2021] and body["total_kind"] == "cities"
    assert all(r["co2_mt"] > 50 for r in body["area"])
    assert client.get("/api/carbon/trend?level=city&code=110000").status_code == 400
    series = {s["id"]: s for s in client.get("/api/carbon/series").get_json()["series"]}
    assert series["cmcc-cities"]["years"] == [2020, 2021] and series["cmcc-cities"]["level"] == "city"
    assert series["cui2021-province-co2"]["level"] == "province"
