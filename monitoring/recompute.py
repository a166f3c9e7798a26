"""Recompute stored hourly AQI and daily rollups (after a rule fix or a new cut-over), one station at a time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg

from core.errors import Invalid, NotFound
from monitoring.hourly import POLLUTANT_COLUMNS, with_so2_24h
from monitoring.rollups import BEIJING, HOURLY_COLUMNS, hourly_rows, refresh_daily
from monitoring.series import LOCAL

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9999, 12, 30)


@dataclass
class Changes:
    """How many stored hours and days a recompute changed."""

    hours: int = 0
    days: int = 0


def station_ids(conn: psycopg.Connection, codes: Sequence[str]) -> list[int]:
    """Ids of the air stations with these codes (every air station with readings when none are given)."""
    if not codes:
        rows = conn.execute("SELECT s.id FROM stations s WHERE s.kind = 'air' AND EXISTS "
                            "(SELECT 1 FROM air_readings r WHERE r.station_id = s.id) ORDER BY s.id").fetchall()
        return [r[0] for r in rows]
    found: dict[str, int] = dict(conn.execute("SELECT code, id FROM stations WHERE kind = 'air' AND code = ANY(%s)",
                              (list(codes),)).fetchall())
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFound(f"no air station with code {missing[0]!r}")
    return [found[c] for c in dict.fromkeys(codes)]


def _bounds(first: date | None, last: date | None) -> tuple[datetime, datetime]:
    """The instants [lo, hi) of the Beijing days first..last (open ends: all days)."""
    first, last = first or FIRST_DAY, last or LAST_DAY
    if first > last:
        raise Invalid(f"from ({first}) is after to ({last})")
    return (datetime.combine(first, datetime.min.time(), BEIJING),
            datetime.combine(last + timedelta(days=1), datetime.min.time(), BEIJING))


def _stored_hours(conn: psycopg.Connection, sid: int, lo: datetime, hi: datetime) -> dict[datetime, tuple]:
    rows = conn.execute("""SELECT observed_at, aqi, category, primary_pollutants, iaqi, version FROM air_aqi_hourly
                           WHERE station_id = %s AND observed_at >= %s AND observed_at < %s""",
                        (sid, lo, hi)).fetchall()
    return {at: (a, cat, list(prim), iaqi, ver) for at, a, cat, prim, iaqi, ver in rows}


def recompute_hours(conn: psycopg.Connection, sid: int, lo: datetime, hi: datetime, cutover: date) -> int:
    """Replace the station's stored hourly AQI in [lo, hi) that differs from a fresh computation; returns how many."""
    readings = conn.execute(f"""SELECT station_id, observed_at, {", ".join(POLLUTANT_COLUMNS)} FROM air_readings
                                WHERE station_id = %s AND observed_at >= %s AND observed_at < %s""",
                            (sid, lo, hi)).fetchall()
    fresh = hourly_rows(with_so2_24h(conn, ((s, at, dict(zip(POLLUTANT_COLUMNS, v, strict=True)))
                                            for s, at, *v in readings)), cutover)
    stored = _stored_hours(conn, sid, lo, hi)
    changed = [r for r in fresh if stored.get(r[1]) != (r[2], r[3], r[4], json.loads(r[5]), r[6])]
    if not changed:
        return 0
    with conn.cursor() as cur:
        cur.executemany("DELETE FROM air_aqi_hourly WHERE station_id = %s AND observed_at = %s",
                        [(r[0], r[1]) for r in changed if r[1] in stored])
        with cur.copy(f"COPY air_aqi_hourly ({', '.join(HOURLY_COLUMNS)}) FROM STDIN") as copy:
            for row in changed:
                copy.write_row(row)
    return len(changed)


def _stored_days(conn: psycopg.Connection, sid: int, lo: datetime, hi: datetime) -> dict[date, dict]:
    rows = conn.execute(f"""SELECT day, to_jsonb(d) - 'updated_at' FROM air_daily d WHERE station_id = %s
                            AND day >= (%s::timestamptz {LOCAL})::date AND day < (%s::timestamptz {LOCAL})::date""",
                        (sid, lo, hi)).fetchall()
    return dict(rows)


def recompute_days(conn: psycopg.Connection, sid: int, lo: datetime, hi: datetime, cutover: date) -> int:
    """Refresh the daily rollups of the station's days with readings in [lo, hi); returns how many changed."""
    days = [d for (d,) in conn.execute(f"""SELECT DISTINCT (observed_at {LOCAL})::date FROM air_readings
                                           WHERE station_id = %s AND observed_at >= %s AND observed_at < %s""",
                                       (sid, lo, hi)).fetchall()]
    if not days:
        return 0
    before = _stored_days(conn, sid, lo, hi)
    refresh_daily(conn, days=[(sid, d) for d in days], cutover=cutover)
    after = _stored_days(conn, sid, lo, hi)
    return sum(1 for d in days if before.get(d) != after.get(d))


def recompute(conn: psycopg.Connection, cutover: date, stations: Sequence[int], first: date | None = None,
              last: date | None = None) -> Changes:
    """Recompute hourly AQI, then daily rollups, of the stations' Beijing days first..last.

    Each station is one transaction (use an autocommit connection): a failure leaves it all old or all new."""
    lo, hi = _bounds(first, last)
    total = Changes()
    for sid in stations:
        with conn.transaction():
            total.hours += recompute_hours(conn, sid, lo, hi, cutover)
            total.days += recompute_days(conn, sid, lo, hi, cutover)
    return total
