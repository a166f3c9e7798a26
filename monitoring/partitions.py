"""Monthly partitions of the readings tables, created on demand before rows arrive."""

from __future__ import annotations

from datetime import date, datetime

import psycopg
from psycopg import sql

PARTITIONED = ("air_readings", "water_readings")
PARTITION_LOCK = 7_261_001  # advisory lock key: one transaction at a time creates partitions


def _month(d: date) -> date:
    return date(d.year, d.month, 1)


def _next(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()
    return bool(row and row[0] is not None)


def ensure_month_partitions(conn: psycopg.Connection, table: str, first: datetime | date,
                            last: datetime | date) -> int:
    """Create the monthly partitions of `table` covering first..last (UTC months); returns how many were new."""
    if table not in PARTITIONED:
        raise ValueError(f"{table} is not partitioned by month")
    made = 0
    m = _month(first if isinstance(first, date) else first.date())
    end = _month(last if isinstance(last, date) else last.date())
    while m <= end:
        name = f"{table}_{m:%Y_%m}"
        if not _exists(conn, name):
            # Several pushes may meet a new month at once: the first creates it, the others wait and find it.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (PARTITION_LOCK,))
        if not _exists(conn, name):
            conn.execute(sql.SQL(
                "CREATE TABLE {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})").format(
                sql.Identifier(name), sql.Identifier(table),
                sql.Literal(f"{m.isoformat()} 00:00+00"), sql.Literal(f"{_next(m).isoformat()} 00:00+00")))
            made += 1
        m = _next(m)
    return made
