"""Derived monitoring values kept current on ingest: hourly AQI per station (HJ 633, version by date)."""

from __future__ import annotations

import json
from datetime import date

import psycopg

from standards import aqi

POLLUTANT_COLUMNS = ("so2", "no2", "co", "o3", "pm10", "pm25")


def compute_hourly_aqi(conn: psycopg.Connection, cutover: date = date(2026, 3, 1)) -> int:
    """Compute the hourly AQI of every air reading that has none yet; returns how many were added."""
    # Read the pending rows first: a COPY cannot run while a server-side cursor fetches on the same connection.
    pending = conn.execute("""SELECT r.station_id, r.observed_at, r.so2, r.no2, r.co, r.o3, r.pm10, r.pm25
                   FROM air_readings r LEFT JOIN air_aqi_hourly h
                     ON h.station_id = r.station_id AND h.observed_at = r.observed_at
                   WHERE h.station_id IS NULL""").fetchall()
    added = 0
    with conn.cursor() as out, out.copy(
            "COPY air_aqi_hourly (station_id, observed_at, aqi, category, primary_pollutants, iaqi, version)"
            " FROM STDIN") as copy:
        for sid, at, *values in pending:
            version = aqi.version_for(at, cutover)
            result = aqi.hourly_aqi(dict(zip(POLLUTANT_COLUMNS, values, strict=True)), version)
            copy.write_row((sid, at, result.aqi, result.category.level if result.category else None,
                            list(result.primary), json.dumps(result.iaqi), version))
            added += 1
    return added
