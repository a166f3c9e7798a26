"""One facility in full: company, violation history, PRTR disclosures, public supplier links, data set."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, jsonify

from app import db
from core.errors import NotFound

bp = Blueprint("facilities", __name__, url_prefix="/api")
MAX_ID = 2**63 - 1  # bigint

FACILITY = """
SELECT f.id, f.dataset_id, f.ext_id, f.name_zh, f.name_en, f.industry, f.address, f.area_code,
       ST_X(f.geom), ST_Y(f.geom), f.key_monitored, f.source_crs, f.attrs, f.violation_count,
       f.latest_violation, f.worst_status, f.updated_at, f.synthetic,
       coalesce((f.attrs->>'name_zh_synthetic')::boolean, false),
       coalesce((f.attrs->>'uscc_synthetic')::boolean, false),
       coalesce((f.attrs->>'key_monitored_synthetic')::boolean, false),
       f.violation_count > 0 AND f.violations_synthetic,
       c.id, c.uscc, c.name_zh, c.name_en, c.synthetic, c.dataset_id,
       d.id, d.title, d.licence, d.licence_url, d.attribution, d.source_url, d.synthetic
FROM facilities f
LEFT JOIN companies c ON c.id = f.company_id
JOIN datasets d ON d.id = f.dataset_id
WHERE f.id = %s"""
FACILITY_KEYS = ("id", "dataset_id", "ext_id", "name_zh", "name_en", "industry", "address", "area_code",
                 "lon", "lat", "key_monitored", "source_crs", "attrs", "violation_count", "latest_violation",
                 "worst_status", "updated_at")
FLAG_KEYS = ("facility", "name_zh", "uscc", "key_monitored", "violations")
COMPANY_KEYS = ("id", "uscc", "name_zh", "name_en", "synthetic", "dataset_id")
DATASET_KEYS = ("id", "title", "licence", "licence_url", "attribution", "source_url", "synthetic")

VIOLATIONS = """
SELECT id, ext_id, violation_date, status, authority, category, legal_basis, penalty_cny, description, source,
       synthetic, dataset_id
FROM violations WHERE facility_id = %s
ORDER BY violation_date DESC, id DESC"""
VIOLATION_KEYS = ("id", "ext_id", "date", "status", "authority", "category", "legal_basis", "penalty_cny",
                  "description", "source", "synthetic", "dataset_id")

HISTORY = """
SELECT violation_id, from_status, to_status, changed_at, note FROM violation_status_history
WHERE violation_id = ANY(%s) ORDER BY violation_id, changed_at, id"""
HISTORY_KEYS = ("from_status", "to_status", "changed_at", "note")
EXPLANATIONS = """
SELECT violation_id, id, submitted_at, body, rectification, synthetic, dataset_id FROM explanations
WHERE violation_id = ANY(%s) ORDER BY violation_id, submitted_at, id"""
EXPLANATION_KEYS = ("id", "submitted_at", "body", "rectification", "synthetic", "dataset_id")

PRTR = """
SELECT year, energy_tce, water_t, ghg_tco2e, chemicals, discharges, synthetic, dataset_id
FROM prtr_disclosures WHERE facility_id = %s ORDER BY year"""
PRTR_KEYS = ("year", "energy_tce", "water_t", "ghg_tco2e", "chemicals", "discharges", "synthetic",
             "dataset_id")

# Only public, active links: private supplier relationships are never disclosed.
BRANDS = """
SELECT b.slug, b.name_zh, b.name_en, l.tier::text, sl.name, l.synthetic OR b.synthetic, l.dataset_id
FROM brand_facility_links l
JOIN brands b ON b.id = l.brand_id
JOIN supplier_lists sl ON sl.id = l.list_id
WHERE l.facility_id = %s AND l.is_public AND l.active
ORDER BY b.slug, l.tier, sl.name"""
BRAND_KEYS = ("slug", "name_zh", "name_en", "tier", "list", "synthetic", "dataset_id")

# Online emission monitoring: per pollutant with a permit limit, what was measured and how often it was over.
MONITORING = """
SELECT l.pollutant, l.limit_value, l.unit, l.basis, count(e.observed_at),
       count(*) FILTER (WHERE e.value > l.limit_value),
       min(e.observed_at), max(e.observed_at), (array_agg(e.value ORDER BY e.observed_at DESC))[1],
       (SELECT count(*) FROM violations v WHERE v.facility_id = l.facility_id AND v.source = 'online monitoring'
          AND v.ext_id LIKE 'om:%%:' || l.pollutant || ':%%' AND v.status <> 'removed'),
       l.synthetic OR coalesce(bool_or(e.synthetic), false)
FROM permit_limits l LEFT JOIN emission_readings e USING (facility_id, pollutant)
WHERE l.facility_id = %s GROUP BY l.facility_id, l.pollutant ORDER BY l.pollutant"""
MONITORING_KEYS = ("pollutant", "limit", "unit", "basis", "hours", "hours_over", "first", "last", "latest_value",
                   "episodes", "synthetic")

ALT_IDS = "SELECT kind, value FROM company_alt_ids WHERE company_id = %s ORDER BY kind, value"


def _plain(value):
    """JSON-friendly: ISO dates and times, numbers for numerics."""
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _record(keys: tuple[str, ...], row) -> dict:
    return {k: _plain(v) for k, v in zip(keys, row, strict=True)}


def load(c, facility_id: int) -> dict | None:
    """A facility with its company, violations (newest first, with history), PRTR, public brands, data set."""
    if facility_id > MAX_ID:
        return None
    row = c.execute(FACILITY, (facility_id,)).fetchone()
    if row is None:
        return None
    n, nf = len(FACILITY_KEYS), len(FLAG_KEYS)
    body = _record(FACILITY_KEYS, row[:n])
    flags = dict(zip(FLAG_KEYS, row[n:n + nf], strict=True))
    company_row = row[n + nf:n + nf + len(COMPANY_KEYS)]
    company = _record(COMPANY_KEYS, company_row) if company_row[0] is not None else None
    dataset = _record(DATASET_KEYS, row[n + nf + len(COMPANY_KEYS):])
    if company is not None:
        flags["company"] = company["synthetic"]
        company["alt_ids"] = [{"kind": k, "value": v} for k, v in c.execute(ALT_IDS, (company["id"],))]
    violations = [_record(VIOLATION_KEYS, r) for r in c.execute(VIOLATIONS, (facility_id,))]
    ids = [v["id"] for v in violations]
    by_id = {v["id"]: v | {"history": [], "explanations": []} for v in violations}
    if ids:
        for vid, *rest in c.execute(HISTORY, (ids,)):
            by_id[vid]["history"].append(_record(HISTORY_KEYS, rest))
        for vid, *rest in c.execute(EXPLANATIONS, (ids,)):
            by_id[vid]["explanations"].append(_record(EXPLANATION_KEYS, rest))
    prtr = [_record(PRTR_KEYS, r) for r in c.execute(PRTR, (facility_id,))]
    brands = [_record(BRAND_KEYS, r) for r in c.execute(BRANDS, (facility_id,))]
    monitoring = [_record(MONITORING_KEYS, r) for r in c.execute(MONITORING, (facility_id,))]
    body["synthetic"] = any(flags.values())
    body["synthetic_flags"] = flags
    return body | {"company": company, "violations": list(by_id.values()), "prtr": prtr, "brands": brands,
                   "monitoring": monitoring, "dataset": dataset}


@bp.get("/facilities/<int:facility_id>")
def facility(facility_id: int):
    """One facility in full (see `load`)."""
    with db.conn() as c:
        body = load(c, facility_id)
    if body is None:
        raise NotFound(f"no facility with id {facility_id}")
    return jsonify(body)
