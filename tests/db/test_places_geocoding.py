"""Supplier-list rows with an address and no coordinates are placed from the bundled place index, precision kept;
rows whose address cannot be placed are rejected with the reason, never guessed."""

from __future__ import annotations

import psycopg
import pytest

from supply import lists as sl
from tests.area_helpers import HANGZHOU_XIAOSHAN, areas_present
from tests.supply_helpers import csv_bytes, make_brand, unique

COLUMNS = ["ref", "name", "address", "lon", "lat"]


@pytest.fixture()
def xiaoshan(db_url):
    """Hangzhou and Xiaoshan in admin_areas (the loaded rows, or squares made for the test); Xiaoshan's label point."""
    with areas_present(db_url, HANGZHOU_XIAOSHAN):
        with psycopg.connect(db_url) as c:
            point = c.execute("SELECT ST_X(coalesce(label_point, ST_PointOnSurface(geom))), "
                              "ST_Y(coalesce(label_point, ST_PointOnSurface(geom))) FROM admin_areas "
                              "WHERE code = '330109'").fetchone()
        yield point


def test_rows_are_placed_from_their_address_with_the_precision(db_url, xiaoshan):
    bid, _ = make_brand(db_url, "geocode")
    county, town = unique("萧山测试纺织厂"), unique("唐山测试钢铁厂")
    rows = [{"ref": "A", "name": county, "address": "浙江省杭州市萧山区宁围街道市心北路 1 号", "lon": "", "lat": ""},
            {"ref": "B", "name": town, "address": "河北省唐山市某路 8 号", "lon": "", "lat": ""}]
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, bid, csv_bytes(rows, COLUMNS), "addresses.csv")
        by = {r.ref: r for r in up.rows}
        assert up.committed and by["A"].outcome == "new_facility" and by["B"].outcome == "new_facility"
        assert "county level (萧山区)" in by["A"].reason
        a = c.execute("SELECT location_precision, ST_X(geom), ST_Y(geom), address FROM facilities WHERE id = %s",
                      (by["A"].facility_id,)).fetchone()
        assert a[0] == "county" and (a[1], a[2]) == pytest.approx(xiaoshan, abs=1e-6) and a[3].startswith("浙江省")
        b = c.execute("SELECT location_precision, ST_X(geom), ST_Y(geom) FROM facilities WHERE id = %s",
                      (by["B"].facility_id,)).fetchone()
        # The prefecture 唐山市 when prefectures are loaded, else the Natural Earth town 唐山 (written as a city).
        prefecture = c.execute("SELECT ST_X(coalesce(label_point, ST_PointOnSurface(geom))), "
                               "ST_Y(coalesce(label_point, ST_PointOnSurface(geom))) FROM admin_areas "
                               "WHERE level = 'prefecture' AND name_zh = '唐山市'").fetchone()
        place = c.execute("SELECT ST_X(geom), ST_Y(geom) FROM places WHERE name_en = 'Tangshan'").fetchone()
        expected, name = (("prefecture", "唐山市"), prefecture) if prefecture else (("place", "唐山"), place)
        assert b[0] == expected[0] and f"{expected[0]} level ({expected[1]})" in by["B"].reason
        assert (b[1], b[2]) == pytest.approx(name, abs=1e-6)
        c.rollback()  # nothing stays behind (supply never commits: the caller does)


@pytest.mark.parametrize("address, says", [("某省某市某路 3 号", "no county, prefecture or place"),
                                           ("浙江省", "only the province (浙江省)"),
                                           ("朝阳区建国路 1 号", "no county, prefecture or place")])
def test_rows_that_cannot_be_placed_are_rejected_not_guessed(db_url, address, says):
    bid, _ = make_brand(db_url, "geocode")
    rows = [{"ref": "X", "name": unique("无坐标工厂"), "address": address, "lon": "", "lat": ""}]
    with psycopg.connect(db_url) as c:
        before = c.execute("SELECT count(*) FROM facilities").fetchone()[0]
        up = sl.upload(c, bid, csv_bytes(rows, COLUMNS), "unplaced.csv")
        row = up.rows[0]
        assert row.outcome == "rejected" and row.reason.startswith("address:") and says in row.reason
        assert "give lon and lat" in row.reason
        assert c.execute("SELECT count(*) FROM facilities").fetchone()[0] == before
        c.rollback()


@pytest.mark.parametrize("precision, words", [("prefecture", "placed from the address at the prefecture"),
                                              ("place", "placed from the address at the town")])
def test_a_facility_page_shows_the_precision(client, db_url, precision, words):
    with psycopg.connect(db_url, autocommit=True) as c:
        fid = c.execute("INSERT INTO facilities (dataset_id, ext_id, name_en, industry, geom, location_precision) "
                        "VALUES ('synthetic-demo', %s, 'Precision test', 'other', "
                        "ST_SetSRID(ST_MakePoint(87.6, 43.8), 4326), %s) RETURNING id",
                        (unique("precision"), precision)).fetchone()[0]
    try:
        html = client.get(f"/facilities/{fid}?lang=en").get_data(as_text=True)
    finally:
        with psycopg.connect(db_url, autocommit=True) as c:
            c.execute("DELETE FROM facilities WHERE id = %s", (fid,))
    assert f'data-precision="{precision}"' in html and words in html
