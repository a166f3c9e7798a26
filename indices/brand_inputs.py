"""The database inputs of the brand indices for one year, for every brand at once (set-based SQL).

Suppliers of a brand in year Y: facilities with an active link from a list uploaded before 1 January of Y+1
(Beijing time), private links included. Counts here may reveal private links: they stay inside the snapshot's
`private` part, which only the brand's own users and admins read.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg

ZONE = ZoneInfo("Asia/Shanghai")
# Inputs this module computes; a methodology indicator reading anything else is "missing".
AVAILABLE = frozenset({"supplier_links", "explanations", "prtr", "prtr_ghg"})

_LINKS = """
    SELECT l.brand_id, l.facility_id, bool_or(l.is_public) AS pub
    FROM brand_facility_links l JOIN supplier_lists s ON s.id = l.list_id
    WHERE l.active AND s.uploaded_at < %(cutoff)s
    GROUP BY l.brand_id, l.facility_id"""

# Every record of year Y at a brand's supplier, with the moment it was first followed up (an explanation, or a
# status change from open to explained or rectified), if ever: set-based (hash joins), no per-record subqueries.
_PER_BRAND = f"""
    WITH lk AS ({_LINKS}),
    v AS (
        SELECT v.id, v.facility_id, v.violation_date FROM violations v
        WHERE v.violation_date >= %(start)s AND v.violation_date < %(end)s AND v.status <> 'removed'
          AND v.facility_id IN (SELECT facility_id FROM lk)),
    ex AS (
        SELECT e.violation_id, min(e.submitted_at) AS first FROM explanations e
        WHERE e.violation_id IN (SELECT id FROM v) GROUP BY e.violation_id),
    ch AS (
        SELECT h.violation_id, min(h.changed_at) AS first FROM violation_status_history h
        WHERE h.violation_id IN (SELECT id FROM v) AND h.from_status = 'open'
          AND h.to_status IN ('explained', 'rectified') GROUP BY h.violation_id),
    fu AS (
        SELECT v.id, v.facility_id, v.violation_date, least(ex.first, ch.first) AS first_fu
        FROM v LEFT JOIN ex ON ex.violation_id = v.id LEFT JOIN ch ON ch.violation_id = v.id),
    fac AS (SELECT facility_id, count(*) AS n, count(first_fu) AS n_fu FROM fu GROUP BY facility_id),
    days AS (
        SELECT lk.brand_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(0,
                   (fu.first_fu AT TIME ZONE 'Asia/Shanghai')::date - fu.violation_date)) AS median_days
        FROM lk JOIN fu ON fu.facility_id = lk.facility_id WHERE fu.first_fu IS NOT NULL GROUP BY lk.brand_id),
    tiers AS (
        SELECT l.brand_id, count(DISTINCT l.tier) AS tiers
        FROM brand_facility_links l JOIN supplier_lists s ON s.id = l.list_id
        WHERE l.active AND s.uploaded_at < %(cutoff)s GROUP BY l.brand_id),
    per AS (
        SELECT lk.brand_id, count(*) AS suppliers, count(*) FILTER (WHERE lk.pub) AS public_suppliers,
            count(fac.facility_id) AS with_record,
            count(fac.facility_id) FILTER (WHERE fac.n_fu = fac.n) AS followed_up,
            count(p.facility_id) AS prtr, count(p.ghg_tco2e) AS ghg,
            count(*) FILTER (WHERE p.ghg_tco2e IS NOT NULL AND p0.ghg_tco2e IS NOT NULL) AS ghg_both,
            count(*) FILTER (WHERE p.ghg_tco2e < p0.ghg_tco2e) AS ghg_reduced
        FROM lk
        LEFT JOIN fac ON fac.facility_id = lk.facility_id
        LEFT JOIN prtr_disclosures p ON p.facility_id = lk.facility_id AND p.year = %(year)s
        LEFT JOIN prtr_disclosures p0 ON p0.facility_id = lk.facility_id AND p0.year = %(year)s - 1
        GROUP BY lk.brand_id)
    SELECT b.id AS brand_id, coalesce(per.suppliers, 0) AS suppliers,
        coalesce(per.public_suppliers, 0) AS public_suppliers, coalesce(t.tiers, 0) AS tiers,
        coalesce(per.with_record, 0) AS with_record, coalesce(per.followed_up, 0) AS followed_up,
        d.median_days, coalesce(per.prtr, 0) AS prtr, coalesce(per.ghg, 0) AS ghg,
        coalesce(per.ghg_both, 0) AS ghg_both, coalesce(per.ghg_reduced, 0) AS ghg_reduced
    FROM brands b LEFT JOIN per ON per.brand_id = b.id LEFT JOIN tiers t ON t.brand_id = b.id
    LEFT JOIN days d ON d.brand_id = b.id
    ORDER BY b.id"""


def year_bounds(year: int) -> dict:
    """The query parameters of a year: first and next first day, and the upload cut-off (Beijing time)."""
    return {"year": year, "start": date(year, 1, 1), "end": date(year + 1, 1, 1),
            "cutoff": datetime(year + 1, 1, 1, tzinfo=ZONE)}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def values(counts: dict) -> dict[str, float | None]:
    """Indicator values from one brand's counts (None where nothing applies)."""
    n = counts["suppliers"]
    md = counts["median_days"]
    return {
        "public_share": _share(counts["public_suppliers"], n),
        "tiers_covered": float(counts["tiers"]) if n else None,
        "followup_share": _share(counts["followed_up"], counts["with_record"]),
        "followup_days": None if md is None else float(md),
        "prtr_share": _share(counts["prtr"], n),
        "ghg_share": _share(counts["ghg"], n),
        "ghg_reduced_share": _share(counts["ghg_reduced"], counts["ghg_both"]),
    }


def brand_counts(conn: psycopg.Connection, year: int) -> list[dict]:
    """Per brand: suppliers (all, public), tiers, records and follow-ups, PRTR and GHG disclosures in `year`."""
    conn.execute("SET LOCAL work_mem = '64MB'")  # the hash aggregates stay in memory at IPE scale
    cur = conn.execute(_PER_BRAND, year_bounds(year))
    cols = [d.name for d in cur.description or ()]
    return [dict(zip(cols, r, strict=True)) for r in cur]
