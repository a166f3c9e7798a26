"""Air rollups kept current on ingest: hourly AQI of new readings, daily aggregates per station-day."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from db.staging import upsert
from monitoring import series
from monitoring.hourly import with_so2_24h
from monitoring.series import LOCAL
from standards import aqi

BEIJING = aqi.CHINA  # days are calendar days in Asia/Shanghai (see monitoring.series.LOCAL)
CUTOVER = aqi.CUTOVER
# Validity of the daily values: GB 3095-2012 table 4 (minimum data for statistics), HJ 663-2013 for the
# O3 daily maximum 8-hour mean.
MIN_HOURS = 20  # a 24-hour mean of SO2, NO2, CO, PM10, PM2.5 needs 20 hourly values (table 4, "24小时平均")
# The O3 daily maximum 1-hour value has no minimum count: table 4 asks of 1-hour values only 45 minutes of
# sampling in the hour (each stored reading is such a value) and sets the 20-hour rule for 24-hour means only,
# and O3 has no 24-hour mean. So any valid hour of the day counts.
MIN_O3_HOURS = 1
MIN_O3_WINDOW_HOURS = 6  # an 8-hour O3 average needs 6 of its 8 hours
MIN_O3_WINDOWS = 14  # the daily maximum 8-hour O3 needs 14 valid windows (of 17, ending 07:00..23:00)
MEANS = ("pm25", "pm10", "so2", "no2", "co")
HOURLY_COLUMNS = ["station_id", "observed_at", "aqi", "category", "primary_pollutants", "iaqi", "version"]

# Aggregates of the station-days in rollup_days. Means are exact: each float4 reading is cast to numeric (its
# shortest decimal, as written in the source) and averaged in numeric; a float4 mean could round up across a
# breakpoint (CO 0.96 stored as 0.96000004 gives IAQI 25, not 24). air_daily keeps them in double precision.
# The 8-hour O3 windows only run over hours of the same day
# (windows ending 07:00..23:00 lie wholly inside it), and are evaluated at hours that have a reading row.
# hourly_rows: the day's hours as the series API serves them (a year is read, not formatted, per request).
AGG_COLUMNS = ["station_id", "day", "hours", "pm25", "pm10", "so2", "no2", "co", "o3_1h_max", "o3_8h_max",
               "n_pm25", "n_pm10", "n_so2", "n_no2", "n_co", "n_o3", "n_o3_8h", "hourly_rows"]
AQI_COLUMNS = ["aqi", "category", "iaqi", "primary_pollutants", "over_standard", "version"]
AGGREGATE = f"""
INSERT INTO rollup_agg
WITH r AS (
    SELECT a.station_id, (a.observed_at {LOCAL})::date AS day, a.observed_at, a.pm25, a.pm10, a.so2, a.no2,
           a.co, a.o3, h.aqi, h.category, h.primary_pollutants, h.iaqi, h.version
    FROM air_readings a
    LEFT JOIN air_aqi_hourly h ON h.station_id = a.station_id AND h.observed_at = a.observed_at
         AND h.observed_at >= %(lo)s AND h.observed_at < %(hi)s
    WHERE a.observed_at >= %(lo)s AND a.observed_at < %(hi)s AND a.station_id = ANY(%(stations)s)
      /*only_days*/
), w AS (
    SELECT r.*, avg(o3::numeric) OVER win AS o3_8h, count(o3) OVER win AS o3_8h_n,
           extract(hour FROM observed_at {LOCAL}) AS hour
    FROM r
    WINDOW win AS (PARTITION BY station_id, day ORDER BY observed_at
                   RANGE BETWEEN interval '7 hours' PRECEDING AND CURRENT ROW)
)
SELECT w.station_id, w.day, count(*), avg(w.pm25::numeric), avg(w.pm10::numeric), avg(w.so2::numeric),
       avg(w.no2::numeric), avg(w.co::numeric), max(w.o3)::numeric,
       max(w.o3_8h) FILTER (WHERE w.hour >= 7 AND w.o3_8h_n >= {MIN_O3_WINDOW_HOURS}),
       count(w.pm25), count(w.pm10), count(w.so2), count(w.no2), count(w.co), count(w.o3),
       count(*) FILTER (WHERE w.hour >= 7 AND w.o3_8h_n >= {MIN_O3_WINDOW_HOURS}),
       string_agg({series.hour_row("w", "w")}, ',' ORDER BY w.observed_at)
FROM w GROUP BY w.station_id, w.day"""
STAGE = """
CREATE TEMP TABLE IF NOT EXISTS rollup_days (station_id bigint, day date) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS rollup_agg (station_id bigint, day date, hours int, pm25 numeric,
    pm10 numeric, so2 numeric, no2 numeric, co numeric, o3_1h_max numeric, o3_8h_max numeric, n_pm25 int,
    n_pm10 int, n_so2 int, n_no2 int, n_co int, n_o3 int, n_o3_8h int, hourly_rows text) ON COMMIT DROP;
CREATE TEMP TABLE IF NOT EXISTS rollup_aqi (station_id bigint, day date, aqi int, category int, iaqi jsonb,
    primary_pollutants text[], over_standard text[], version text) ON COMMIT DROP;
TRUNCATE rollup_days, rollup_agg, rollup_aqi"""
_SET = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*AGG_COLUMNS[2:], *AQI_COLUMNS, "updated_at"])
STORE = f"""
INSERT INTO air_daily ({", ".join(AGG_COLUMNS + AQI_COLUMNS)}, updated_at)
SELECT {", ".join(f"g.{c}" for c in AGG_COLUMNS)}, {", ".join(f"q.{c}" for c in AQI_COLUMNS)}, now()
FROM rollup_agg g JOIN rollup_aqi q ON q.station_id = g.station_id AND q.day = g.day
ON CONFLICT (station_id, day) DO UPDATE SET {_SET}"""


def local_day(at: datetime) -> date:
    """The calendar day in China of an instant."""
    return at.astimezone(BEIJING).date()


def hourly_rows(readings: Iterable[tuple[int, datetime, Mapping[str, float | None]]],
                cutover: date = CUTOVER) -> list[tuple]:
    """air_aqi_hourly rows (real-time AQI, HJ 633 version by local date) of (station, hour, concentrations).

    Concentrations may carry `so2_24h` (see monitoring.hourly.with_so2_24h)."""
    rows = []
    for sid, at, values in readings:
        version = aqi.version_for(at, cutover)  # by the local (Asia/Shanghai) date of the instant
        res = aqi.hourly_aqi(values, version)
        rows.append((sid, at, res.aqi, res.category.level if res.category else None, list(res.primary),
                     json.dumps(res.iaqi), version))
    return rows


def store_hourly_aqi(conn: psycopg.Connection,
                     readings: Iterable[tuple[int, datetime, Mapping[str, float | None]]],
                     cutover: date = CUTOVER) -> int:
    """Compute and store the hourly AQI of these readings (an existing one is kept); returns how many new."""
    rows = hourly_rows(with_so2_24h(conn, readings), cutover)
    if not rows:
        return 0
    return upsert(conn, "air_aqi_hourly", HOURLY_COLUMNS, rows, conflict=["station_id", "observed_at"])


def _valid(row: Mapping[str, Any], value: str, count: str, minimum: int) -> float | None:
    """The aggregate (an exact numeric mean, as float) when enough values went into it, else None."""
    v = row[value]
    return float(v) if v is not None and row[count] >= minimum else None


def daily_result(row: Mapping[str, Any], day: date, cutover: date = CUTOVER) -> aqi.AqiResult:
    """Daily AQI of one aggregate row, using only the values that meet the validity rules."""
    values = {p: _valid(row, p, f"n_{p}", MIN_HOURS) for p in MEANS}
    values["o3_8h"] = _valid(row, "o3_8h_max", "n_o3_8h", MIN_O3_WINDOWS)
    values["o3_1h"] = _valid(row, "o3_1h_max", "n_o3", MIN_O3_HOURS)
    return aqi.daily_aqi(values, aqi.version_for(day, cutover))


def refresh_daily(conn: psycopg.Connection, days: Iterable[tuple[int, date]] | None = None,
                  stations: Sequence[int] | None = None, cutover: date = CUTOVER) -> int:
    """Recompute the daily aggregates of these station-days (or all days of `stations`); returns rows."""
    conn.execute("SET LOCAL work_mem = '256MB'")  # the sorts of a bulk load stay in memory
    conn.execute(STAGE)
    if days is not None:
        with conn.cursor().copy("COPY rollup_days FROM STDIN") as copy:
            for key in set(days):
                copy.write_row(key)
    else:
        conn.execute(f"""INSERT INTO rollup_days SELECT DISTINCT station_id, (observed_at {LOCAL})::date
                         FROM air_readings WHERE station_id = ANY(%s)""", (list(stations or []),))
    bounds = conn.execute("SELECT min(day), max(day), array_agg(DISTINCT station_id) FROM rollup_days"
                          ).fetchone()
    if bounds is None or bounds[0] is None:
        return 0
    lo = datetime.combine(bounds[0], datetime.min.time(), BEIJING)
    hi = datetime.combine(bounds[1] + timedelta(days=1), datetime.min.time(), BEIJING)
    conn.execute("ANALYZE rollup_days")
    # The aggregates (and the ready hourly rows) stay in the server; only the numbers come here for the AQI.
    # Only the given days; for every day of the stations no join at all, so the planner's estimates hold.
    only = f"AND (a.station_id, (a.observed_at {LOCAL})::date) IN (SELECT station_id, day FROM rollup_days)"
    conn.execute(AGGREGATE.replace("/*only_days*/", only if days is not None else ""),
                 series.params() | {"lo": lo, "hi": hi, "stations": bounds[2]})
    names = AGG_COLUMNS[:-1]
    aggregates = conn.execute(f"SELECT {', '.join(names)} FROM rollup_agg").fetchall()
    with conn.cursor().copy("COPY rollup_aqi FROM STDIN") as copy:
        for rec in aggregates:
            row = dict(zip(names, rec, strict=True))
            res = daily_result(row, row["day"], cutover)
            level = res.category.level if res.category else None
            copy.write_row((row["station_id"], row["day"], res.aqi, level, json.dumps(res.iaqi),
                            list(res.primary), list(res.over_standard), res.version))
    return conn.execute(STORE).rowcount
