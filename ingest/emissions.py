"""Online emission monitoring of key facilities: hourly stack and outfall readings against permit limits.

Each maximal run of hourly readings above a facility's permit limit for one pollutant is an exceedance
episode (hours without a reading do not end it; a reading within the limit does). Each episode is one
violation record, source "online monitoring", keyed by the facility, pollutant and first hour, so loading
the same readings again, or more hours of the same episode (later or, arriving late, earlier ones), never
makes a second record.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from core.datasets import Dataset
from db.staging import bump_data_version, register_dataset
from ingest.readings import check_observed
from ingest.report import RowError
from standards.aqi import CHINA

BEIJING = CHINA
# Pollutant -> (English, Chinese, unit, medium).
POLLUTANTS = {
    "so2": ("SO2", "二氧化硫", "mg/m3", "air"),
    "nox": ("NOx", "氮氧化物", "mg/m3", "air"),
    "particulates": ("Particulates", "颗粒物", "mg/m3", "air"),
    "cod": ("COD", "化学需氧量", "mg/L", "water"),
    "nh3n": ("Ammonia nitrogen", "氨氮", "mg/L", "water"),
}
# Above these a stack (mg/m3) or outfall (mg/L) concentration is not physical: an instrument fault.
MAX_VALUE = {"so2": 20_000, "nox": 10_000, "particulates": 10_000, "cod": 50_000, "nh3n": 5_000}
MAX_ID = 2**63 - 1  # facilities.id is a bigint
SOURCE = "online monitoring"
AUTHORITY = "污染源自动监控系统 (online monitoring)"
CATEGORY = {"air": "超标排放大气污染物", "water": "超标排放水污染物"}


@dataclass(frozen=True)
class EmissionReading:
    """One hourly stack or outfall concentration of one pollutant at one facility."""

    facility_id: int
    pollutant: str
    observed_at: datetime
    value: float


def parse_item(item: Any) -> EmissionReading:
    """A reading from a pushed JSON object {facility_id, pollutant, time, value}, or RowError."""
    if not isinstance(item, dict):
        raise RowError("", "each reading must be an object with facility_id, pollutant, time and value")
    reasons = []
    fid = item.get("facility_id")
    if not isinstance(fid, int) or isinstance(fid, bool) or not 0 < fid <= MAX_ID:
        reasons.append(f"facility_id must be an integer from 1 to {MAX_ID}, not {fid!r}")
    pollutant = item.get("pollutant")
    if pollutant not in POLLUTANTS:
        reasons.append(f"pollutant must be one of {', '.join(POLLUTANTS)}, not {pollutant!r}")
    at = None
    raw = item.get("time")
    try:
        at = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        pass
    if at is None:
        reasons.append(f"time must be an ISO 8601 hour such as 2025-10-30T14:00+08:00, not {raw!r}")
    else:
        at = at if at.tzinfo else at.replace(tzinfo=BEIJING)  # times without an offset are Beijing time
        if at.minute or at.second or at.microsecond:
            reasons.append(f"time must be a whole hour, not {raw!r}")
        try:
            check_observed(at, raw)
        except ValueError as exc:
            reasons.append(f"time {exc}")
    value = item.get("value")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        reasons.append(f"value must be a number, not {value!r}")
    elif value < 0:
        reasons.append(f"value {value} is negative")
    elif pollutant in MAX_VALUE and value > MAX_VALUE[pollutant]:
        reasons.append(f"value {value} {POLLUTANTS[pollutant][2]} is beyond the physical range of {pollutant} "
                       f"(at most {MAX_VALUE[pollutant]})")
    if reasons:
        raise RowError.several(reasons)
    assert at is not None and isinstance(fid, int) and isinstance(pollutant, str)
    return EmissionReading(fid, pollutant, at, float(value))  # type: ignore[arg-type]


@dataclass
class Report:
    """What became of each reading, and the violation records made."""

    outcomes: list[dict[str, Any]] = field(default_factory=list)
    new_violations: int = 0

    def count(self, status: str) -> int:
        """How many readings ended with `status`."""
        return sum(1 for o in self.outcomes if o["status"] == status)


_EPISODES = """
WITH r AS (
    SELECT e.facility_id, e.pollutant, e.observed_at, e.value, e.dataset_id, e.synthetic, l.limit_value, l.unit,
           e.value > l.limit_value AS over,
           count(*) FILTER (WHERE e.value <= l.limit_value)
               OVER (PARTITION BY e.facility_id, e.pollutant ORDER BY e.observed_at) AS run
    FROM emission_readings e JOIN permit_limits l USING (facility_id, pollutant)
    WHERE (e.facility_id, e.pollutant) IN (SELECT facility_id, pollutant FROM emission_touched)
), ep AS (
    SELECT facility_id, pollutant, min(observed_at) AS first, max(observed_at) AS last, count(*) AS hours,
           max(value) AS peak, max(limit_value) AS lim, max(unit) AS unit, bool_or(synthetic) AS synthetic,
           (array_agg(dataset_id ORDER BY observed_at))[1] AS dataset_id
    FROM r WHERE over GROUP BY facility_id, pollutant, run
), known AS (
    -- The record of an episode that late readings have since extended to earlier hours (its key is its old
    -- first hour, which now lies inside the episode): it is updated, not doubled.
    SELECT ep.facility_id, ep.pollutant, ep.first, old.dataset_id, old.ext_id
    FROM ep CROSS JOIN LATERAL (
        SELECT v.dataset_id, v.ext_id FROM violations v
        WHERE v.facility_id = ep.facility_id AND v.source = %(source)s AND v.ext_id LIKE 'om:%%'
          AND split_part(v.ext_id, ':', 3) = ep.pollutant
          AND (to_timestamp(split_part(v.ext_id, ':', 4), 'YYYY-MM-DD"T"HH24')::timestamp
               AT TIME ZONE 'Asia/Shanghai') BETWEEN ep.first AND ep.last
        ORDER BY v.ext_id LIMIT 1) AS old
)
INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category, description, source,
                        status, synthetic)
SELECT coalesce(k.dataset_id, ep.dataset_id),
       coalesce(k.ext_id, 'om:' || ep.facility_id || ':' || ep.pollutant || ':'
                          || to_char(ep.first AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24')),
       ep.facility_id, (ep.first AT TIME ZONE 'Asia/Shanghai')::date, %(authority)s,
       (%(category)s::jsonb)->>ep.pollutant,
       format('%%s 超过排放许可限值 %%s %%s，持续 %%s 小时（%%s 至 %%s），峰值 %%s %%s。'
              '%%s over the permit limit of %%s %%s for %%s h, peak %%s %%s.',
              (%(zh)s::jsonb)->>ep.pollutant, ep.lim, ep.unit, ep.hours,
              to_char(ep.first AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:00'),
              to_char(ep.last AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:00'), round(ep.peak::numeric, 1), ep.unit,
              (%(en)s::jsonb)->>ep.pollutant, ep.lim, ep.unit, ep.hours, round(ep.peak::numeric, 1), ep.unit),
       %(source)s, 'open', ep.synthetic
FROM ep LEFT JOIN known k USING (facility_id, pollutant, first)
ON CONFLICT (dataset_id, ext_id) DO UPDATE
    SET description = EXCLUDED.description, violation_date = EXCLUDED.violation_date
    WHERE violations.description IS DISTINCT FROM EXCLUDED.description
RETURNING (xmax = 0) AS inserted
"""


def record_episodes(conn: psycopg.Connection) -> int:
    """Violation records for the exceedance episodes of the pairs in emission_touched; returns how many are new."""
    params = {"authority": AUTHORITY, "source": SOURCE,
              "category": json.dumps({p: CATEGORY[v[3]] for p, v in POLLUTANTS.items()}),
              "zh": json.dumps({p: v[1] for p, v in POLLUTANTS.items()}, ensure_ascii=False),
              "en": json.dumps({p: v[0] for p, v in POLLUTANTS.items()})}
    return sum(1 for (inserted,) in conn.execute(_EPISODES, params).fetchall() if inserted)


def ingest(conn: psycopg.Connection, dataset: Dataset, items: list[EmissionReading | RowError],
           synthetic: bool = False) -> Report:
    """Store readings (each key once: repeats are duplicates), then record their exceedance episodes.

    `items` holds parsed readings and the RowErrors of items that could not be parsed, in order. Readings of
    a facility and pollutant without a permit limit are rejected. The caller commits.
    """
    report = Report()
    register_dataset(conn, dataset)
    keys = {(r.facility_id, r.pollutant) for r in items if isinstance(r, EmissionReading)}
    limited = {tuple(k) for k in conn.execute(
        "SELECT facility_id, pollutant FROM permit_limits WHERE (facility_id, pollutant) IN "
        "(SELECT * FROM unnest(%s::bigint[], %s::text[]))",
        ([k[0] for k in keys], [k[1] for k in keys])).fetchall()}
    valid: list[tuple[int, EmissionReading]] = []
    for i, r in enumerate(items):
        if isinstance(r, RowError):
            report.outcomes.append({"index": i, "status": "rejected", "reasons": r.reasons})
        elif (r.facility_id, r.pollutant) not in limited:
            report.outcomes.append({"index": i, "status": "rejected", "reasons": [
                f"facility {r.facility_id} has no permit limit for {r.pollutant} (not monitored online)"]})
        else:
            valid.append((i, r))
    conn.execute("""CREATE TEMP TABLE IF NOT EXISTS emission_touched (facility_id bigint, pollutant text)
                    ON COMMIT DROP""")
    conn.execute("TRUNCATE emission_touched")
    stored: set[tuple[int, str, datetime]] = set()
    if valid:
        rows = conn.execute("""
            INSERT INTO emission_readings (facility_id, pollutant, observed_at, value, dataset_id, synthetic)
            SELECT DISTINCT ON (f, p, t) f, p, t, v, %s, %s
            FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[], %s::float8[]) AS u(f, p, t, v)
            ON CONFLICT DO NOTHING RETURNING facility_id, pollutant, observed_at""",
            (dataset.id, synthetic, [r.facility_id for _, r in valid], [r.pollutant for _, r in valid],
             [r.observed_at for _, r in valid], [r.value for _, r in valid])).fetchall()
        stored = {(f, p, t) for f, p, t in rows}
        conn.execute("""INSERT INTO emission_touched SELECT DISTINCT facility_id, pollutant
                        FROM unnest(%s::bigint[], %s::text[]) AS u(facility_id, pollutant)""",
                     ([f for f, _, _ in stored], [p for _, p, _ in stored]))
    seen: set[tuple[int, str, datetime]] = set()
    for i, r in valid:
        key = (r.facility_id, r.pollutant, r.observed_at)
        status = "inserted" if key in stored and key not in seen else "duplicate"
        seen.add(key)
        report.outcomes.append({"index": i, "status": status})
    report.outcomes.sort(key=lambda o: o["index"])
    if stored:
        report.new_violations = record_episodes(conn)
        bump_data_version(conn)
    return report
