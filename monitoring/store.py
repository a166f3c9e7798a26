"""Storing checked hourly air readings once per station and hour, then their hourly AQI and daily rollups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import psycopg

from core.datasets import Dataset
from db.staging import bump_data_version, register_dataset
from monitoring.partitions import ensure_month_partitions
from monitoring.rollups import CUTOVER, local_day, refresh_daily, store_hourly_aqi

POLLUTANTS = ("pm25", "pm10", "so2", "no2", "o3", "co")
CHUNK = 5000
LOCK_CLASS = 633  # advisory-lock namespace: one ingest at a time per station keeps the daily rollups exact


@dataclass
class AirReading:
    """One checked hourly air reading of a station (six pollutants), not yet stored."""

    ref: int
    station: str
    observed_at: datetime
    values: dict[str, float | None]


@dataclass
class Outcome:
    """What happened to one row or item: inserted, duplicate or rejected, and why."""

    ref: int
    status: str
    reason: str = ""
    station: str | None = None
    observed_at: datetime | None = None

    def as_dict(self, ref_name: str) -> dict:
        """The outcome as JSON-ready data, its reference under `ref_name`."""
        at = self.observed_at.isoformat() if self.observed_at else None
        out: dict = {ref_name: self.ref, "status": self.status, "station": self.station, "observed_at": at}
        return out | ({"reason": self.reason} if self.reason else {})


@dataclass
class Ingest:
    """Readings written to air_readings in chunks; hourly AQI and daily rollups follow for the new ones."""

    conn: psycopg.Connection
    dataset: Dataset
    ref_name: str = "line"
    scope: int | None = None  # a push token limited to one station
    cutover: date = CUTOVER
    keep_all: bool = False  # keep every outcome (push), else only rejects and notable duplicates
    counts: dict[str, int] = field(default_factory=lambda: {"inserted": 0, "duplicate": 0, "rejected": 0})
    outcomes: list[Outcome] = field(default_factory=list)
    days: set[tuple[int, date]] = field(default_factory=set)
    _pending: dict[tuple[int, datetime], AirReading] = field(default_factory=dict)
    _stations: dict[str, tuple[int, str]] = field(default_factory=dict)
    _locked: set[int] = field(default_factory=set)
    _registered: bool = False

    def __post_init__(self) -> None:
        self._stations = {code: (sid, kind) for sid, code, kind in
                          self.conn.execute("SELECT id, code, kind FROM stations")}

    def _note(self, outcome: Outcome, always: bool = False) -> None:
        self.counts[outcome.status] += 1
        if always or self.keep_all or outcome.status == "rejected":
            self.outcomes.append(outcome)

    def reject(self, ref: int, reason: str, station: str | None = None, at: datetime | None = None) -> None:
        """Record a row that cannot be stored."""
        self._note(Outcome(ref, "rejected", reason, station, at))

    def add(self, reading: AirReading) -> None:
        """Queue a checked reading (station resolved and scoped here); written in chunks."""
        found = self._stations.get(reading.station)
        problem = None
        if found is None:
            problem = f"unknown station code {reading.station!r}"
        elif found[1] != "air":
            problem = f"station {reading.station!r} is a {found[1]} station, not an air station"
        elif self.scope is not None and found[0] != self.scope:
            problem = f"this token may not push readings for station {reading.station!r}"
        if problem or found is None:
            self.reject(reading.ref, problem or "", reading.station, reading.observed_at)
            return
        key = (found[0], reading.observed_at)
        first = self._pending.get(key)
        if first is not None:
            differs = first.values != reading.values
            reason = f"repeats {self.ref_name} {first.ref}" + (" with different values; the first is kept"
                                                               if differs else "")
            self._note(Outcome(reading.ref, "duplicate", reason, reading.station, reading.observed_at),
                       always=differs)
            return
        self._pending[key] = reading
        if len(self._pending) >= CHUNK:
            self.flush()

    def _lock(self, sids: set[int]) -> None:
        new = sorted(sids - self._locked)
        if new:  # in id order, so two ingests never wait on each other crosswise
            self.conn.execute("SELECT pg_advisory_xact_lock(%s, s::int) FROM (SELECT unnest(%s::bigint[]) s "
                              "ORDER BY 1) x", (LOCK_CLASS, new))
            self._locked |= set(new)

    def flush(self) -> None:
        """Write the queued readings: new ones inserted, those already stored counted as duplicates."""
        if not self._pending:
            return
        batch = list(self._pending.items())
        self._pending = {}
        self._lock({sid for (sid, _), _ in batch})
        times = [at for (_, at), _ in batch]
        first, last = min(times), max(times)
        ensure_month_partitions(self.conn, "air_readings", first.astimezone(UTC), last.astimezone(UTC))
        if not self._registered:
            # After any new partition: creating one locks `datasets` (its foreign key), so a transaction that
            # held a datasets row while another created a partition would deadlock with it.
            register_dataset(self.conn, self.dataset)
            self._registered = True
        cols = {"ref": [r.ref for _, r in batch], "sid": [k[0] for k, _ in batch], "at": times}
        cols |= {p: [r.values[p] for _, r in batch] for p in POLLUTANTS}
        bounds = {"dataset": self.dataset.id, "first": first, "last": last}
        rows = self.conn.execute(WRITE, cols | bounds).fetchall()
        by_ref = {r.ref: (k, r) for k, r in batch}
        inserted = []
        for ref, was_inserted, differs in rows:
            (sid, at), r = by_ref[ref]
            if was_inserted:
                self._note(Outcome(ref, "inserted", "", r.station, at))
                inserted.append((sid, at, r.values))
                self.days.add((sid, local_day(at)))
            else:
                reason = "already stored" + (" with different values; the stored reading is kept"
                                             if differs else "")
                self._note(Outcome(ref, "duplicate", reason, r.station, at), always=differs)
        store_hourly_aqi(self.conn, inserted, self.cutover)

    def finish(self) -> None:
        """Flush, then bring the daily aggregates of every station-day that got new readings up to date."""
        self.flush()
        if self.days:
            refresh_daily(self.conn, days=self.days, cutover=self.cutover)
            bump_data_version(self.conn)


# One statement: insert the new rows, and for the others say whether the stored values differ.
WRITE = """
WITH s AS (
    SELECT * FROM unnest(%(ref)s::int[], %(sid)s::bigint[], %(at)s::timestamptz[], %(pm25)s::real[],
                         %(pm10)s::real[], %(so2)s::real[], %(no2)s::real[], %(o3)s::real[], %(co)s::real[])
        AS s(ref, station_id, observed_at, pm25, pm10, so2, no2, o3, co)
), ins AS (
    INSERT INTO air_readings (station_id, observed_at, pm25, pm10, so2, no2, o3, co, dataset_id)
    SELECT station_id, observed_at, pm25, pm10, so2, no2, o3, co, %(dataset)s FROM s
    ON CONFLICT (station_id, observed_at) DO NOTHING
    RETURNING station_id, observed_at
)
SELECT s.ref, i.station_id IS NOT NULL,
       a.station_id IS NOT NULL AND (s.pm25, s.pm10, s.so2, s.no2, s.o3, s.co)
           IS DISTINCT FROM (a.pm25, a.pm10, a.so2, a.no2, a.o3, a.co)
FROM s
LEFT JOIN ins i ON i.station_id = s.station_id AND i.observed_at = s.observed_at
LEFT JOIN air_readings a ON a.station_id = s.station_id AND a.observed_at = s.observed_at
     AND a.observed_at BETWEEN %(first)s AND %(last)s  -- only the partitions of this chunk
ORDER BY s.ref"""
