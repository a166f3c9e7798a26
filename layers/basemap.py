"""`basemap`: province outlines, province labels and place names, so the map needs no internet."""

from __future__ import annotations

from psycopg import sql

from layers.base import Layer

PROPERTIES = {
    "kind": "province (polygon), province_label (point) or place (point)",
    "code": "GB/T 2260 code (provinces)",
    "name_zh": "Name in Chinese",
    "name_en": "Name in English",
    "rank": "Label priority: lower shows first (Natural Earth scalerank for places)",
}


def features(present: frozenset[str]) -> sql.Composable:
    """Provinces, their label points and the places fitting this zoom (%(z)s)."""
    return sql.SQL("""
        SELECT a.geom, 'province' AS kind, a.code::text AS code, a.name_zh, a.name_en, NULL::int AS rank
        FROM admin_areas a
        WHERE a.level = 'province' AND a.geom && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)
        UNION ALL
        SELECT a.label_point, 'province_label', a.code::text, a.name_zh, a.name_en, 0
        FROM admin_areas a
        WHERE a.level = 'province' AND a.label_point && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)
        UNION ALL
        SELECT p.geom, 'place', NULL, p.name_zh, p.name_en, p.scalerank
        FROM places p
        WHERE p.geom && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326) AND p.scalerank <= %(z)s + 3""")


LAYER = Layer(
    id="basemap",
    title="Basemap",
    description="Province outlines and names, and populated places (Natural Earth 1:10m).",
    geometry="mixed",
    properties=PROPERTIES,
    datasets=("natural-earth-china",),
    features=features,
    maxzoom=10,
)
