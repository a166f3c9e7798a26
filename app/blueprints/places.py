"""Place names for the near-me page: bundled Natural Earth places and provinces, Chinese or English."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app import db
from app.blueprints.search import int_arg, like_escape
from core.errors import Invalid

bp = Blueprint("places", __name__, url_prefix="/api")

PLACES = r"""
SELECT kind, name_zh, name_en, province, lon, lat FROM (
    SELECT 'place' AS kind, p.name_zh, p.name_en, p.province_en AS province,
           round(ST_X(p.geom)::numeric, 5)::float8 AS lon, round(ST_Y(p.geom)::numeric, 5)::float8 AS lat,
           (p.name_zh = %(q)s OR lower(p.name_en) = lower(%(q)s)) AS exact,
           (p.name_zh LIKE %(esc)s || '%%' OR p.name_en ILIKE %(esc)s || '%%') AS prefix,
           coalesce(p.pop_max, 0) AS pop
    FROM places p
    WHERE p.name_zh LIKE '%%' || %(esc)s || '%%' OR p.name_en ILIKE '%%' || %(esc)s || '%%'
    UNION ALL
    SELECT 'province', a.name_zh, a.name_en, a.name_en,
           round(ST_X(a.label_point)::numeric, 5)::float8, round(ST_Y(a.label_point)::numeric, 5)::float8,
           (a.name_zh = %(q)s OR lower(a.name_en) = lower(%(q)s)),
           (a.name_zh LIKE %(esc)s || '%%' OR a.name_en ILIKE %(esc)s || '%%'), 0
    FROM admin_areas a
    WHERE a.level = 'province' AND (a.name_zh LIKE '%%' || %(esc)s || '%%' OR a.name_en ILIKE '%%' || %(esc)s || '%%')
) m
ORDER BY exact DESC, prefix DESC, pop DESC, name_en
LIMIT %(limit)s"""
KEYS = ("kind", "name_zh", "name_en", "province", "lon", "lat")


@bp.get("/places")
def places():
    """Places whose Chinese or English name contains q; exact and prefix matches first, then by population."""
    q = (request.args.get("q") or "").strip()
    if not q or len(q) > 100 or "\x00" in q:
        raise Invalid("q is required: 1 to 100 characters")
    limit = int_arg("limit", 10, 1, 50)
    with db.conn() as c:
        rows = c.execute(PLACES, {"q": q, "esc": like_escape(q), "limit": limit}).fetchall()
    return jsonify({"query": q, "results": [dict(zip(KEYS, r, strict=True)) for r in rows]})
