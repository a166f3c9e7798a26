"""Water readings: the national hourly layout loaded with GB 3838 classes; synthetic readings on the demo sections."""

from __future__ import annotations

import gzip

import mapbox_vector_tile
import pytest

from core.datasets import upload_dataset
from ingest import water
from standards import water as standard


def test_every_demo_section_has_a_week_of_classed_synthetic_hours(conn):
    rows = conn.execute("""SELECT s.code, count(r.*), bool_and(r.synthetic), count(r.water_class)
                           FROM stations s LEFT JOIN water_readings r ON r.station_id = s.id
                           WHERE s.kind = 'water' GROUP BY s.code""").fetchall()
    assert len(rows) == 40 and all(n == 168 and synth and classed == 168 for _, n, synth, classed in rows)
    classes = {c for (c,) in conn.execute("SELECT DISTINCT water_class FROM water_readings")}
    assert len(classes) >= 4 and classes <= set(standard.CLASSES)


def test_stored_class_is_the_standards_class_and_names_the_worst_parameter(conn):
    for ph, do, codmn, nh3n, tp, tn, cls, param, body in conn.execute("""
            SELECT r.ph, r.do_mg, r.codmn, r.nh3n, r.tp, r.tn, r.water_class, r.class_parameter, s.water_body_type
            FROM water_readings r JOIN stations s ON s.id = r.station_id ORDER BY random() LIMIT 300"""):
        want = standard.classify({"ph": ph, "do": do, "codmn": codmn, "nh3n": nh3n, "tp": tp, "tn": tn}, body)
        assert cls == want.cls
        names = {"do": "do_mg"}
        assert set(param.split(",")) == {names.get(i, i) for i in want.determining}


def test_layout_file_loads_all_rows_or_reports_each_bad_one(conn, tmp_path):
    code, zh = conn.execute("SELECT code, name_zh FROM stations WHERE kind = 'water' ORDER BY code LIMIT 1").fetchone()
    head = ("省份,流域,断面名称,监测时间,水温(℃),pH(无量纲),溶解氧(mg/L),高锰酸盐指数(mg/L),氨氮(mg/L),"
            "总磷(mg/L),总氮(mg/L),电导率(μS/cm),浊度(NTU)\n")
    good = f"北京,海河流域,{zh},2026-11-29 08:00,12.1,7.8,8.0,2.5,1.2,0.05,1.1,420,8.5\n"
    (tmp_path / "ok.csv").write_text(head + good, encoding="utf-8")
    ds = upload_dataset("ok.csv")
    n, errors = water.load_file(conn, tmp_path / "ok.csv", ds)
    assert (n, errors) == (1, [])
    cls, param, temp = conn.execute(
        "SELECT water_class, class_parameter, temp_c FROM water_readings r JOIN stations s ON s.id = r.station_id "
        "WHERE s.code = %s AND observed_at = '2026-11-29 00:00+00'", (code,)).fetchone()
    assert (cls, param, round(temp, 1)) == ("IV", "nh3n", 12.1)  # NH3-N 1.2 mg/L is class IV, the worst
    bad = good.replace("2.5", "abc") + "北京,海河流域,不存在的断面,2026-11-29 09:00,,,,,,,,,\n"
    (tmp_path / "bad.csv").write_text(head + good.replace("08:00", "10:00") + bad, encoding="utf-8")
    before = conn.execute("SELECT count(*) FROM water_readings").fetchone()[0]
    n, errors = water.load_file(conn, tmp_path / "bad.csv", ds)
    assert n == 0 and [line for line, _ in errors] == [3, 4]
    assert "not a number" in errors[0][1] and "unknown section" in errors[1][1]
    assert conn.execute("SELECT count(*) FROM water_readings").fetchone()[0] == before  # nothing half-loaded


@pytest.mark.parametrize("raw", ["2026-11-29 08:30", "yesterday"])
def test_times_must_be_whole_local_hours(raw):
    with pytest.raises(Exception, match="time"):
        water.instant(raw)


def test_layer_popup_and_api_show_classes_not_na(client):
    resp = client.get("/tiles/water_stations/0/0/0.mvt")
    data = gzip.decompress(resp.data) if resp.headers.get("Content-Encoding") == "gzip" else resp.data
    feats = mapbox_vector_tile.decode(data)["water_stations"]["features"]
    assert len(feats) == 40 and all(f["properties"]["water_class"] in standard.CLASSES for f in feats)
    assert all(f["properties"]["class_parameter"] for f in feats)
    stations = client.get("/api/stations?kind=water").get_json()["stations"]
    assert all(s["latest"]["water_class"] in standard.CLASSES and s["latest"]["class_parameter"] for s in stations)
    sid = stations[0]["id"]
    rows = client.get(f"/api/stations/{sid}/readings?from=2026-11-01&to=2026-11-08").get_json()
    assert rows
    page = client.get(f"/stations/{sid}?lang=en").get_data(as_text=True)
    assert 'id="st-water-class"' in page and "Class set by" in page
