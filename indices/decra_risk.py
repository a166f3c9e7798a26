"""DECRA risk levels: the versioned rule file (indices/methodology/decra-v*.yaml), facts from the database, points.

A borrower matched to a facility is assessed as its company: every facility on file of the same company (or the
facility alone when it has no company). The facts are counted as of the assessment day (Beijing time).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import psycopg
import yaml

from indices.methodology import FOLDER, files

AVAILABLE = frozenset({"violations", "explanations", "online_monitoring", "facilities", "prtr"})

FACTS = """
WITH r AS (SELECT id AS row_id, facility_id FROM decra_rows WHERE portfolio_id = %(p)s AND outcome = 'matched'),
grp AS (
    SELECT r.row_id, r.facility_id AS fid FROM r
    UNION
    SELECT r.row_id, f2.id FROM r JOIN facilities f ON f.id = r.facility_id
    JOIN facilities f2 ON f2.company_id = f.company_id WHERE f2.private_to_brand IS NULL),
v AS (
    SELECT g.row_id, v.violation_date, v.status, v.penalty_cny, v.ext_id LIKE 'om:%%' AS om,
           coalesce(substring(v.description from 'for ([0-9]+) h')::int, 1) AS hours,
           EXISTS (SELECT 1 FROM explanations e WHERE e.violation_id = v.id) AS explained
    FROM grp g JOIN violations v ON v.facility_id = g.fid
    WHERE v.status <> 'removed' AND v.violation_date > %(window)s AND v.violation_date <= %(as_of)s)
SELECT r.row_id,
    count(v.*) FILTER (WHERE NOT v.om AND v.violation_date > %(recent)s) AS recent_records,
    count(v.*) FILTER (WHERE NOT v.om AND v.violation_date <= %(recent)s) AS older_records,
    count(v.*) FILTER (WHERE NOT v.om) AS records,
    count(v.*) FILTER (WHERE v.status = 'open' AND NOT v.explained) AS open_unexplained,
    coalesce(sum(v.hours) FILTER (WHERE v.om AND v.violation_date > %(recent)s), 0) AS exceedance_hours,
    coalesce(sum(v.penalty_cny), 0)::float8 AS penalties,
    (SELECT bool_or(f.key_monitored) FROM grp g JOIN facilities f ON f.id = g.fid WHERE g.row_id = r.row_id)
        AS key_monitored,
    EXISTS (SELECT 1 FROM grp g JOIN prtr_disclosures p ON p.facility_id = g.fid
            WHERE g.row_id = r.row_id AND p.year >= %(prtr_year)s) AS prtr_disclosed
FROM r LEFT JOIN v ON v.row_id = r.row_id
GROUP BY r.row_id"""


@lru_cache(maxsize=4)
def rules(version: str | None = None) -> dict:
    """A DECRA rule file (the newest when None)."""
    known = sorted((v for v in files() if v.startswith("decra-v")), key=lambda v: int(v.rsplit("v", 1)[1]))
    version = version or known[-1]
    return yaml.safe_load((FOLDER / f"{version}.yaml").read_text(encoding="utf-8"))


def _months_before(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, 28))


def facts(conn: psycopg.Connection, portfolio_id: int, as_of: date, r: dict) -> dict[int, dict]:
    """Per matched row: the counts the rules read, as of `as_of`."""
    params = {"p": portfolio_id, "as_of": as_of, "window": _months_before(as_of, r["window_months"]),
              "recent": _months_before(as_of, r["recent_months"]), "prtr_year": as_of.year - 2}
    cur = conn.execute(FACTS, params)
    cols = [d.name for d in cur.description or ()]
    return {row[0]: dict(zip(cols, row, strict=True)) for row in cur}


def _rule_points(rule: dict, f: dict) -> tuple[float, object]:
    """The points of one rule for one company's facts, and the value they rest on."""
    rid = rule["id"]
    if rid == "repeat":
        value = f["records"]
        return (rule["points"] if value >= rule["threshold"] else 0), value
    value = f.get(rid)
    if "points_each" in rule:
        return min(rule["points_each"] * int(value or 0), rule["max"]), value
    if "bands" in rule:
        return max((p for t, p in rule["bands"] if float(value or 0) >= t), default=0), value
    return (rule["points"] if value else 0), value


def assess(f: dict | None, r: dict) -> tuple[str, int | None, list[dict]]:
    """Level, points and reasons (each rule that scored, and each rule whose input is missing)."""
    if f is None:
        return "unknown", None, [{"rule": "unmatched", "points": None}]
    total, reasons = 0.0, []
    for rule in r["rules"]:
        if rule["input"] not in AVAILABLE:
            reasons.append({"rule": rule["id"], "points": None, "value": None, "status": "missing"})
            continue
        pts, value = _rule_points(rule, f)
        if pts:
            reasons.append({"rule": rule["id"], "points": pts, "value": value, "status": "ok"})
            total += pts
    level = next(name for threshold, name in r["levels"] if total >= threshold) if total >= 0 else "low"
    return level, int(total), reasons
