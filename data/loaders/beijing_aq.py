"""The 12 Beijing national air stations and their 420,768 hourly readings (2013-03 to 2017-02)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from db.staging import ewkt_point, register_dataset, upsert
from monitoring.hourly import compute_hourly_aqi
from monitoring.partitions import ensure_month_partitions
from monitoring.rollups import refresh_daily
from standards import aqi

DS = DATASETS["beijing-multisite-aq"]
BEIJING = aqi.CHINA
POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN")
COLUMNS = ["station_id", "observed_at", "pm25", "pm10", "so2", "no2", "co", "o3", "temp", "pres", "dewp",
           "rain", "wd", "wspm", "dataset_id"]


def _num(v: str) -> float | None:
    v = v.strip()
    return None if v in ("", "NA") else float(v)


def load_stations(conn: psycopg.Connection) -> dict[str, int]:
    """Upsert the stations from stations.csv; returns station id by pinyin name."""
    rows = []
    with open(folder(DS) / "stations.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            rows.append((r["code"], "air", r["name_zh"], r["station"], None, True,
                         ewkt_point(float(r["lon"]), float(r["lat"])), DS.id, False, "110000"))
    upsert(conn, "stations", ["code", "kind", "name_zh", "name_en", "water_body_type", "coords_approximate",
                              "geom", "dataset_id", "synthetic", "area_code"],
           rows, conflict=["code"], update=["name_zh", "name_en", "geom"])
    return dict(conn.execute("SELECT name_en, id FROM stations WHERE dataset_id = %s", (DS.id,)).fetchall())


def _readings(path, station_id: int, result: LoadResult):
    with open(path, encoding="ascii") as fh:
        for line, r in enumerate(csv.DictReader(fh), 2):
            try:
                t = datetime(int(r["year"]), int(r["month"]), int(r["day"]), int(r["hour"]), tzinfo=BEIJING)
                vals = [_num(r[p]) for p in POLLUTANTS]
                wspm = _num(r["WSPM"])
            except ValueError as exc:
                result.skipped.append((path.name, line, str(exc)))
                continue
            if vals[4] is not None:
                vals[4] = vals[4] / 1000.0  # the UCI files give CO in µg/m3; we store mg/m3 as CNEMC does
            yield (station_id, t, *vals, None if r["wd"].strip() in ("", "NA") else r["wd"], wspm, DS.id)


def load(conn: psycopg.Connection, cutover: date = aqi.CUTOVER) -> LoadResult:
    """Load stations and every hourly reading, their AQI by the HJ 633 version of `cutover`; re-loading adds nothing."""
    result = LoadResult(DS.id)
    register_dataset(conn, DS)
    stations = load_stations(conn)
    result.written["stations"] = len(stations)
    ensure_month_partitions(conn, "air_readings", datetime(2013, 2, 28, tzinfo=UTC),
                            datetime(2017, 2, 28, tzinfo=UTC))
    total = 0
    for path in sorted(folder(DS).glob("PRSA_Data_*.csv")):
        sid = stations[path.name.split("_")[2]]
        rows = _readings(path, sid, result)
        if conn.execute("SELECT EXISTS (SELECT 1 FROM air_readings WHERE station_id = %s)", (sid,)).fetchone()[0]:
            total += upsert(conn, "air_readings", COLUMNS, rows, conflict=["station_id", "observed_at"])
            continue
        with conn.cursor().copy(f"COPY air_readings ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:  # first load of this station: straight into the partitions
                copy.write_row(row)
                total += 1
    result.written["air_readings"] = total
    result.written["air_aqi_hourly"] = compute_hourly_aqi(conn, cutover)
    result.written["air_daily"] = refresh_daily(conn, stations=list(stations.values()),  # set-based, seconds
                                                cutover=cutover)
    return result
