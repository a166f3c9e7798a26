"""Derived monitoring values kept current on ingest: hourly AQI per station (HJ 633, version by local date)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime

import psycopg

from standards import aqi

POLLUTANT_COLUMNS = ("so2", "no2", "co", "o3", "pm10", "pm25")
SO2_1H_LIMIT = 800  # HJ 633-2012: above it the SO2 IAQI of the hour comes from the 24-hour mean
MIN_HOURS_24H = 20  # a 24-hour mean needs 20 hourly values (GB 3095-2012 table 4)
# The 24-hour moving mean of SO2 ending at each given hour (the 24 hours up to and including it).
SO2_24H = f"""
SELECT k.station_id, k.observed_at, avg(r.so2::numeric)::float8
FROM unnest(%s::bigint[], %s::timestamptz[]) AS k(station_id, observed_at)
JOIN air_readings r ON r.station_id = k.station_id AND r.observed_at > k.observed_at - interval '24 hours'
     AND r.observed_at <= k.observed_at
GROUP BY k.station_id, k.observed_at HAVING count(r.so2) >= {MIN_HOURS_24H}"""


def with_so2_24h(conn: psycopg.Connection, readings: Iterable[tuple[int, datetime, Mapping[str, float | None]]]
                 ) -> list[tuple[int, datetime, dict[str, float | None]]]:
    """The readings, those with SO2 above 800 given `so2_24h` (their stored 24-hour moving mean, when valid)."""
    out = [(sid, at, dict(values)) for sid, at, values in readings]
    high = [(sid, at) for sid, at, v in out if (v.get("so2") or 0) > SO2_1H_LIMIT]
    if high:
        means = {(sid, at): m for sid, at, m in conn.execute(
            SO2_24H, ([k[0] for k in high], [k[1] for k in high])).fetchall()}
        for sid, at, values in out:
            if (sid, at) in means:
                values["so2_24h"] = means[(sid, at)]
    return out


def compute_hourly_aqi(conn: psycopg.Connection, cutover: date = aqi.CUTOVER) -> int:
    """Compute the hourly AQI of every air reading that has none yet; returns how many were added."""
    # Read the pending rows first: a COPY cannot run while a server-side cursor fetches on the same connection.
    pending = conn.execute("""SELECT r.station_id, r.observed_at, r.so2, r.no2, r.co, r.o3, r.pm10, r.pm25
                   FROM air_readings r LEFT JOIN air_aqi_hourly h
                     ON h.station_id = r.station_id AND h.observed_at = r.observed_at
                   WHERE h.station_id IS NULL""").fetchall()
    readings = with_so2_24h(conn, ((sid, at, dict(zip(POLLUTANT_COLUMNS, values, strict=True)))
                                   for sid, at, *values in pending))
    added = 0
    with conn.cursor() as out, out.copy(
            "COPY air_aqi_hourly (station_id, observed_at, aqi, category, primary_pollutants, iaqi, version)"
            " FROM STDIN") as copy:
        for sid, at, values in readings:
            version = aqi.version_for(at, cutover)  # by the local (Asia/Shanghai) date of the instant
            result = aqi.hourly_aqi(values, version)
            copy.write_row((sid, at, result.aqi, result.category.level if result.category else None,
                            list(result.primary), json.dumps(result.iaqi), version))
            added += 1
    return added
