"""The bundled data sets, loaded into the real database, against what their SOURCE notes say."""

import psycopg
import pytest

from data.loaders import registry


def scalar(conn, sql, *args):
    return conn.execute(sql, args).fetchone()[0]


def test_real_facilities_provinces_stations_and_readings(conn):
    assert scalar(conn, "SELECT count(*) FROM facilities WHERE NOT synthetic") >= 4000
    assert scalar(conn, "SELECT count(*) FROM admin_areas WHERE level = 'province' AND code < '700000'") == 31
    assert scalar(conn, "SELECT count(*) FROM stations WHERE kind = 'air' AND NOT synthetic") == 12
    assert scalar(conn, "SELECT count(*) FROM air_readings") == 420768
    assert scalar(conn, "SELECT count(*) FROM area_carbon") == 186
    assert 880 <= scalar(conn, "SELECT count(*) FROM facilities WHERE dataset_id = 'osh-fixture-lists'") <= 932


def test_co_is_stored_in_mg_per_m3_and_time_is_beijing_local(conn):
    co, pm25 = conn.execute("""
        SELECT r.co, r.pm25 FROM air_readings r JOIN stations s ON s.id = r.station_id
        WHERE s.code = '1003A' AND r.observed_at = '2013-03-01 00:00+08'""").fetchone()
    assert co == pytest.approx(0.3) and pm25 == 9


def test_readings_are_partitioned_by_month(conn):
    parts = scalar(conn, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'air_readings'::regclass")
    assert parts >= 48


def test_supplier_list_china_rows_converted_from_gcj02(conn):
    n_gcj = scalar(conn, """SELECT count(*) FROM facilities WHERE dataset_id = 'osh-fixture-lists'
                            AND source_crs = 'gcj02'""")
    assert n_gcj >= 250
    # The conversion moved points by the GCJ-02 offset (hundreds of metres), not zero and not kilometres.
    from geo.datum import haversine_m, wgs84_to_gcj02
    lon, lat = conn.execute("""SELECT ST_X(geom), ST_Y(geom) FROM facilities
                               WHERE source_crs = 'gcj02' AND attrs->>'location_quality' IS NULL
                               ORDER BY id LIMIT 1""").fetchone()
    assert 100 < haversine_m(lon, lat, *wgs84_to_gcj02(lon, lat)) < 800


def test_every_row_knows_its_dataset_and_licence(conn):
    for table in ("facilities", "violations", "stations", "area_carbon", "admin_areas", "brands"):
        missing = scalar(conn, f"""SELECT count(*) FROM {table} t LEFT JOIN datasets d ON d.id = t.dataset_id
                                   WHERE d.licence IS NULL""")
        assert missing == 0, table
    # records of the bundled real data sets (Taiwan MOENV) are real, the demo's records synthetic (records other
    # tests of the session make are theirs to flag)
    from data.catalog import DATASETS

    mixed = conn.execute("""SELECT v.dataset_id, v.source, count(*) FROM violations v
                            JOIN datasets d ON d.id = v.dataset_id
                            WHERE v.synthetic <> d.synthetic
                              AND ((v.dataset_id = ANY(%s) AND v.dataset_id <> 'synthetic-demo')
                                   OR (v.dataset_id = 'synthetic-demo' AND v.source = 'synthetic demo'))
                            GROUP BY 1, 2""", (list(DATASETS),)).fetchall()
    assert mixed == []


def test_synthetic_companies_have_valid_uscc_and_chinese_names(conn):
    from standards import uscc
    rows = conn.execute("""SELECT c.uscc, f.name_zh FROM facilities f JOIN companies c ON c.id = f.company_id
                           WHERE f.industry = 'cement' AND f.dataset_id = 'sfi-cement-steel' LIMIT 50""").fetchall()
    assert rows and all(uscc.is_valid(code) for code, _ in rows)
    assert all("水泥" in name for _, name in rows)


def test_facilities_are_placed_in_provinces(conn):
    share = scalar(conn, "SELECT avg((area_code IS NOT NULL)::int) FROM facilities "
                         "WHERE dataset_id IN ('gppd-china', 'sfi-cement-steel')")
    assert share > 0.97


def test_violation_history_records_every_transition_and_nothing_is_deleted(conn):
    vid, status = conn.execute("SELECT id, status FROM violations WHERE status = 'rectified' "
                               "AND dataset_id = 'synthetic-demo' LIMIT 1").fetchone()
    steps = conn.execute("""SELECT from_status, to_status FROM violation_status_history
                            WHERE violation_id = %s ORDER BY id""", (vid,)).fetchall()
    assert [s[1] for s in steps] == ["open", "explained", "rectified"]
    conn.execute("DELETE FROM violations WHERE id = %s", (vid,))
    assert scalar(conn, "SELECT count(*) FROM violations WHERE id = %s", vid) == 1


def test_loading_everything_again_adds_nothing(db_url):
    tables = ("facilities", "violations", "companies", "air_readings", "brand_facility_links", "explanations",
              "violation_status_history", "stations", "places", "area_carbon")
    with psycopg.connect(db_url) as c:
        before = {t: scalar(c, f"SELECT count(*) FROM {t}") for t in tables}
        for load in registry().values():
            load(c)
        after = {t: scalar(c, f"SELECT count(*) FROM {t}") for t in tables}
        c.rollback()
    assert after == before
