"""One facility in full: company, violation history, PRTR disclosures, public supplier links, data set."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import psycopg

from accounts.users import User
from layers import fragments
from queries import rows
from workflow import lifecycle

MAX_ID = 2**63 - 1  # bigint

# Each value shown on the page has its own synthetic flag; the facility is synthetic when any is.
FACILITY = f"""
SELECT f.id, f.dataset_id, f.ext_id, f.name_zh, f.name_en, f.industry, f.address, f.area_code,
       ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat, f.key_monitored, f.source_crs, f.attrs, f.violation_count,
       f.latest_violation, f.worst_status, f.updated_at, f.private_to_brand, f.location_precision,
       json_build_object('facility', f.synthetic, 'name_zh', {fragments.attr_flag("name_zh_synthetic")},
                         'uscc', {fragments.USCC_SYNTHETIC},
                         'key_monitored', {fragments.attr_flag("key_monitored_synthetic")},
                         'violations', {fragments.RECORDS_SYNTHETIC}) AS synthetic_flags,
       CASE WHEN c.id IS NOT NULL THEN json_build_object(
           'id', c.id, 'uscc', c.uscc, 'name_zh', c.name_zh, 'name_en', c.name_en, 'synthetic', c.synthetic,
           'dataset_id', c.dataset_id) END AS company,
       json_build_object('id', d.id, 'title', d.title, 'licence', d.licence, 'licence_url', d.licence_url,
                         'attribution', d.attribution, 'source_url', d.source_url,
                         'synthetic', d.synthetic) AS dataset
FROM facilities f
LEFT JOIN companies c ON c.id = f.company_id
JOIN datasets d ON d.id = f.dataset_id
WHERE f.id = %s"""

# Removed records (after a confirmed audit) are left out for the public, kept for those involved.
VIOLATIONS = """
SELECT id, ext_id, violation_date AS date, status, authority, category, legal_basis, penalty_cny, description,
       source, synthetic, dataset_id, details
FROM violations WHERE facility_id = %s AND (%s OR status <> 'removed')
ORDER BY violation_date DESC, id DESC"""
REMOVED_COUNT = "SELECT count(*) FROM violations WHERE facility_id = %s AND status = 'removed'"

HISTORY = """
SELECT violation_id, from_status, to_status, changed_at, note, actor_role, reason FROM violation_status_history
WHERE violation_id = ANY(%s) ORDER BY violation_id, id"""  # in the order the steps happened

PRTR = """
SELECT year, energy_tce, water_t, ghg_tco2e, chemicals, discharges, synthetic, dataset_id, details, version,
       published_at
FROM prtr_disclosures WHERE facility_id = %s ORDER BY year"""

# Only public, active links: private supplier relationships are never disclosed.
BRANDS = """
SELECT b.slug, b.name_zh, b.name_en, l.tier::text AS tier, sl.name AS list, l.synthetic OR b.synthetic AS synthetic,
       l.dataset_id
FROM brand_facility_links l
JOIN brands b ON b.id = l.brand_id
JOIN supplier_lists sl ON sl.id = l.list_id
WHERE l.facility_id = %s AND l.is_public AND l.active
ORDER BY b.slug, l.tier, sl.name"""

# Online emission monitoring: per pollutant with a permit limit, what was measured and how often it was over.
MONITORING = """
SELECT l.pollutant, l.limit_value AS "limit", l.unit, l.basis, count(e.observed_at) AS hours,
       count(*) FILTER (WHERE e.value > l.limit_value) AS hours_over,
       min(e.observed_at) AS first, max(e.observed_at) AS last,
       (array_agg(e.value ORDER BY e.observed_at DESC))[1] AS latest_value,
       (SELECT count(*) FROM violations v WHERE v.facility_id = l.facility_id AND v.source = 'online monitoring'
          AND v.ext_id LIKE 'om:%%:' || l.pollutant || ':%%' AND v.status <> 'removed') AS episodes,
       l.synthetic OR coalesce(bool_or(e.synthetic), false) AS synthetic
FROM permit_limits l LEFT JOIN emission_readings e USING (facility_id, pollutant)
WHERE l.facility_id = %s GROUP BY l.facility_id, l.pollutant ORDER BY l.pollutant"""

ALT_IDS = "SELECT kind, value FROM company_alt_ids WHERE company_id = %s ORDER BY kind, value"

NEAREST_AIR_STATION = """
SELECT s.id, s.name_zh, s.name_en,
       round(ST_Distance(s.geom::geography, f.geom::geography)::numeric / 1000, 1)::float8
FROM facilities f, stations s WHERE f.id = %s AND s.kind = 'air'
ORDER BY s.geom <-> f.geom LIMIT 1"""


def _plain(value):
    """JSON-friendly: ISO dates and times, numbers for numerics."""
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _records(conn: psycopg.Connection, query: str, params: tuple) -> list[dict]:
    """The rows of `query` as JSON-friendly dicts."""
    return [{k: _plain(v) for k, v in r.items()} for r in rows.dicts(conn, query, params)]


def load(conn: psycopg.Connection, facility_id: int,
         may_see: Callable[[int], bool] = lambda brand_id: False, viewer: User | None = None) -> dict | None:
    """A facility with its company, violations (newest first, with history), PRTR, public brands, data set.

    None when there is no such facility, and for one made from a brand's private supplier-list rows alone
    unless `may_see(that brand's id)` (the brand's own users and admins). Removed records are listed only for
    `viewer`s involved (reviewers, the company's users, its auditors); everyone else gets their number alone."""
    if facility_id > MAX_ID:
        return None
    found = _records(conn, FACILITY, (facility_id,))
    if not found:
        return None
    body = found[0]
    hidden_to = body.pop("private_to_brand")
    if hidden_to is not None and not may_see(hidden_to):
        return None
    flags, company = body["synthetic_flags"], body["company"]
    if company is not None:
        flags["company"] = company["synthetic"]
        company["alt_ids"] = rows.dicts(conn, ALT_IDS, (company["id"],))
    company_id = company["id"] if company else None
    show_removed = lifecycle.involved(conn, viewer, company_id)
    by_id = {v["id"]: v | {"history": []}
             for v in _records(conn, VIOLATIONS, (facility_id, show_removed))}
    lifecycle.attach(conn, by_id)
    if by_id:
        for r in _records(conn, HISTORY, (list(by_id),)):
            by_id[r.pop("violation_id")]["history"].append(r)
        for v in by_id.values():
            v["explanations"] = [{k: _plain(x) for k, x in e.items()} for e in v["explanations"]]
            v["audits"] = [{k: _plain(x) for k, x in a.items()} for a in v["audits"]]
    body["synthetic"] = any(flags.values())
    body["claimed"] = lifecycle.claimed(conn, company_id)
    body["removed_count"] = conn.execute(REMOVED_COUNT, (facility_id,)).fetchone()[0]  # type: ignore[index]
    body["acts_for"] = viewer is not None and lifecycle.acts_for(conn, viewer, company_id)
    return body | {"violations": list(by_id.values()), "prtr": _records(conn, PRTR, (facility_id,)),
                   "brands": _records(conn, BRANDS, (facility_id,)),
                   "monitoring": _records(conn, MONITORING, (facility_id,))}


def nearest_air_station(conn: psycopg.Connection, facility_id: int) -> tuple | None:
    """(id, name_zh, name_en, km) of the air station nearest a facility."""
    return conn.execute(NEAREST_AIR_STATION, (facility_id,)).fetchone()
