"""Place names for the near-me page: bundled Natural Earth places and provinces, in Chinese or English."""

from __future__ import annotations

import psycopg

from queries import rows
from queries.search import like_escape, searchable

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


def places(conn: psycopg.Connection, q: str, limit: int) -> list[dict]:
    """Places whose Chinese or English name contains q; exact and prefix matches first, then by population."""
    q = searchable(q)
    params = {"q": q, "esc": like_escape(q), "limit": limit}
    return rows.dicts(conn, PLACES, params)
