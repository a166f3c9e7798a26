"""A brand's supply chain as its viewers may see it: suppliers with their environmental status, chain edges,
summary counts and the supplier status report.

Every query here takes `private`: False (the public, anyone) sees only public and active links; True (the
brand's own users and admins) also sees the brand's private links. Edges are shown only when both of their
ends are visible to the viewer.

Environmental status of a supplier: its worst unresolved record whatever its age (an `open` record stays
open until it is explained; then `explained` until rectified), else `rectified` when a record was rectified
within the 12 months up to `as_of`, else `none`; removed records never count. The 12-month counts (open,
explained, rectified) are counted back from `as_of`, which is today (Beijing date) unless asked otherwise,
never the date of the newest record on file. A row is marked synthetic when its facility, its company or any
of its counted records is synthetic demo data.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import psycopg

from core.spreadsheet import safe_cell

STATUSES = ("open", "explained", "rectified", "none")
TIERS = ("raw_materials", "processing", "manufacturing_assembly", "direct_supplier", "waste_treatment",
         "packaging", "retail_distribution")

# One row per facility the viewer may see linked to the brand (a public link wins over a private one).
_LINKS = """
    SELECT DISTINCT ON (l.facility_id) l.facility_id, l.tier::text AS tier, l.is_public, l.list_id
    FROM brand_facility_links l
    WHERE l.brand_id = %(brand)s AND l.active AND (l.is_public OR %(private)s)
    ORDER BY l.facility_id, l.is_public DESC, l.tier"""

SUPPLIERS = f"""
WITH links AS ({_LINKS}),
edges AS (
    SELECT DISTINCT ON (e.supplier_facility_id) e.supplier_facility_id, e.buyer_facility_id
    FROM supplier_edges e
    JOIN supplier_lists sl ON sl.id = e.list_id AND sl.brand_id = %(brand)s AND sl.status = 'accepted'
    JOIN links b ON b.facility_id = e.buyer_facility_id
    ORDER BY e.supplier_facility_id, e.buyer_facility_id
)
SELECT f.id, f.name_zh, f.name_en, f.address, ST_X(f.geom), ST_Y(f.geom), k.tier, k.is_public,
       coalesce(v.open, 0), coalesce(v.explained, 0), coalesce(v.rectified, 0),
       CASE WHEN v.open_all > 0 THEN 'open' WHEN v.explained_all > 0 THEN 'explained'
            WHEN v.rectified > 0 THEN 'rectified' ELSE 'none' END,
       f.violation_count, f.latest_violation, e.buyer_facility_id, f.industry, f.dataset_id,
       f.synthetic OR coalesce(v.any_synthetic, false) OR coalesce(c.synthetic, false),
       trim(c.uscc), r.ref, coalesce(v.open_all, 0), coalesce(v.explained_all, 0)
FROM links k
JOIN facilities f ON f.id = k.facility_id
LEFT JOIN companies c ON c.id = f.company_id
LEFT JOIN edges e ON e.supplier_facility_id = f.id
LEFT JOIN LATERAL (
    SELECT x.ref FROM supplier_list_rows x WHERE x.list_id = k.list_id AND x.facility_id = f.id
    ORDER BY x.line LIMIT 1
) r ON true
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE x.status = 'open' AND x.violation_date > %(as_of)s::date - interval '12 months')
               AS open,
           count(*) FILTER (WHERE x.status = 'explained'
                            AND x.violation_date > %(as_of)s::date - interval '12 months') AS explained,
           count(*) FILTER (WHERE x.status = 'rectified'
                            AND x.violation_date > %(as_of)s::date - interval '12 months') AS rectified,
           count(*) FILTER (WHERE x.status = 'open') AS open_all,
           count(*) FILTER (WHERE x.status = 'explained') AS explained_all,
           bool_or(x.synthetic) FILTER (WHERE x.status IN ('open', 'explained')
                                        OR x.violation_date > %(as_of)s::date - interval '12 months') AS any_synthetic
    FROM violations x
    WHERE x.facility_id = f.id AND x.status <> 'removed' AND x.violation_date <= %(as_of)s::date
) v ON true
ORDER BY f.id"""
SUPPLIER_KEYS = ("id", "name_zh", "name_en", "address", "lon", "lat", "tier", "public", "open", "explained",
                 "rectified", "status", "violation_count", "latest_violation", "buyer_id", "industry",
                 "dataset_id", "synthetic", "uscc", "supplier_ref", "open_unresolved", "explained_unresolved")

EDGES = f"""
WITH links AS ({_LINKS})
SELECT DISTINCT e.supplier_facility_id, e.buyer_facility_id, ST_X(s.geom), ST_Y(s.geom), ST_X(b.geom),
       ST_Y(b.geom), ls.tier
FROM supplier_edges e
JOIN supplier_lists sl ON sl.id = e.list_id AND sl.brand_id = %(brand)s AND sl.status = 'accepted'
JOIN links ls ON ls.facility_id = e.supplier_facility_id
JOIN links lb ON lb.facility_id = e.buyer_facility_id
JOIN facilities s ON s.id = e.supplier_facility_id
JOIN facilities b ON b.id = e.buyer_facility_id
ORDER BY 1, 2"""


def brand(conn: psycopg.Connection, slug: str) -> dict | None:
    """A brand's public profile (never its private links)."""
    row = conn.execute("""SELECT b.id, b.slug, b.name_zh, b.name_en, b.logo_key, b.logo_png IS NOT NULL,
                                 b.dataset_id, b.synthetic
                          FROM brands b WHERE b.slug = %s""", (slug,)).fetchone()
    keys = ("id", "slug", "name_zh", "name_en", "logo_key", "has_logo", "dataset_id", "synthetic")
    return dict(zip(keys, row, strict=True)) if row else None


def public_brands(conn: psycopg.Connection) -> list[dict]:
    """Every brand with the number of its public, active suppliers (private links are not counted)."""
    rows = conn.execute("""
        SELECT b.id, b.slug, b.name_zh, b.name_en, b.logo_key,
               (SELECT count(DISTINCT l.facility_id) FROM brand_facility_links l
                WHERE l.brand_id = b.id AND l.is_public AND l.active)
        FROM brands b ORDER BY coalesce(b.name_zh, b.name_en), b.slug""")
    return [dict(zip(("id", "slug", "name_zh", "name_en", "logo_key", "public_suppliers"), r, strict=True))
            for r in rows]


def as_of_date(conn: psycopg.Connection) -> date:
    """The end of the 12-month window: today, in Beijing (never the date of the newest record on file)."""
    row = conn.execute("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date").fetchone()
    assert row is not None
    return row[0]


def suppliers(conn: psycopg.Connection, brand_id: int, private: bool, as_of: date) -> list[dict]:
    """A brand's suppliers with their environmental status as of a date (private links only when allowed)."""
    rows = conn.execute(SUPPLIERS, {"brand": brand_id, "private": private, "as_of": as_of})
    out = []
    for r in rows:
        d = dict(zip(SUPPLIER_KEYS, r, strict=True))
        d["latest_violation"] = d["latest_violation"].isoformat() if d["latest_violation"] else None
        if not private:
            d["supplier_ref"] = None  # the brand's own reference stays with the brand
        out.append(d)
    return out


def edges(conn: psycopg.Connection, brand_id: int, private: bool) -> list[dict]:
    """Chain edges (supplier to buyer) of a brand's accepted lists."""
    rows = conn.execute(EDGES, {"brand": brand_id, "private": private})
    keys = ("supplier_id", "buyer_id", "supplier_lon", "supplier_lat", "buyer_lon", "buyer_lat", "tier")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def summary(rows: list[dict]) -> dict:
    """Counts per tier and status, and totals."""
    by_tier: dict[str, dict[str, int]] = {}
    for r in rows:
        t = by_tier.setdefault(r["tier"], dict.fromkeys(STATUSES, 0))
        t[r["status"]] += 1
    totals = dict.fromkeys(STATUSES, 0)
    for counts in by_tier.values():
        for s, n in counts.items():
            totals[s] += n
    ordered = {t: by_tier[t] for t in TIERS if t in by_tier}
    return {"by_tier": ordered, "totals": totals, "suppliers": len(rows),
            "private": sum(1 for r in rows if not r["public"])}


def features(rows: list[dict], logo_key: str) -> dict:
    """Suppliers as a GeoJSON FeatureCollection, styled with the brand's logo."""
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": r["id"],
        "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
        "properties": {k: r[k] for k in ("id", "name_zh", "name_en", "tier", "public", "status", "open",
                                         "explained", "rectified", "violation_count", "latest_violation",
                                         "buyer_id", "synthetic")} | {"icon": logo_key},
    } for r in rows]}


def edge_features(rows: list[dict]) -> dict:
    """Chain edges as GeoJSON lines from supplier to buyer."""
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[e["supplier_lon"], e["supplier_lat"]],
                                                           [e["buyer_lon"], e["buyer_lat"]]]},
        "properties": {"supplier_id": e["supplier_id"], "buyer_id": e["buyer_id"], "tier": e["tier"]},
    } for e in rows]}


REPORT_COLUMNS = ("facility_id", "supplier_ref", "uscc", "name_zh", "name_en", "address", "tier", "public",
                  "status", "open_unresolved", "explained_unresolved", "open_12m", "explained_12m", "rectified_12m",
                  "violations_total", "latest_violation", "buyer_facility_id", "lon", "lat", "synthetic_data",
                  "facility_url")


def report_rows(rows: list[dict], base_url: str) -> list[list]:
    """Rows of the supplier report (CSV/XLSX), with the brand's own reference of each supplier, its USCC and a
    link to its page; text that a spreadsheet would run as a formula is quoted (core.spreadsheet)."""
    base = base_url.rstrip("/")
    return [[safe_cell(v) for v in (
        r["id"], r["supplier_ref"] or "", r["uscc"] or "", r["name_zh"] or "", r["name_en"] or "",
        r["address"] or "", r["tier"], "yes" if r["public"] else "no", r["status"], r["open_unresolved"],
        r["explained_unresolved"], r["open"], r["explained"], r["rectified"], r["violation_count"],
        r["latest_violation"] or "", r["buyer_id"] or "", round(r["lon"], 6), round(r["lat"], 6),
        "yes" if r["synthetic"] else "no", f"{base}/facilities/{r['id']}")]
            for r in rows]


def report_csv(rows: list[dict], base_url: str, meta: list[str]) -> bytes:
    """UTF-8 CSV with a BOM (so spreadsheet programs read the Chinese names); meta lines first as comments."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(REPORT_COLUMNS)
    w.writerows(report_rows(rows, base_url))
    head = "".join(f"# {m}\r\n" for m in meta)
    return ("\ufeff" + head + buf.getvalue()).encode("utf-8")


def report_xlsx(rows: list[dict], base_url: str, meta: list[str]) -> bytes:
    """The supplier report as an XLSX workbook with its metadata lines."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "suppliers"
    ws.append(list(REPORT_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in report_rows(rows, base_url):
        ws.append(r)
    for line in ws.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula
    ws.freeze_panes = "A2"
    about = wb.create_sheet("about")
    for m in meta:
        about.append([safe_cell(m)])
        about.cell(about.max_row, 1).data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
