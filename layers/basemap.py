"""`basemap`: province outlines, province labels and place names, so the map needs no internet."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers import fragments
from layers.base import Layer, StyleContext

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
        WHERE a.level = 'province' AND {province}
        UNION ALL
        SELECT a.label_point, 'province_label', a.code::text, a.name_zh, a.name_en, 0
        FROM admin_areas a
        WHERE a.level = 'province' AND {label}
        UNION ALL
        SELECT p.geom, 'place', NULL, p.name_zh, p.name_en, p.scalerank
        FROM places p
        WHERE {place} AND p.scalerank <= %(z)s + 3""").format(
        province=fragments.in_envelope("a.geom"), label=fragments.in_envelope("a.label_point"),
        place=fragments.in_envelope("p.geom"))


LAND, SEA, BORDER = "#f3efe6", "#c9dff0", "#9c948a"


def style(ctx: StyleContext) -> list[dict[str, Any]]:
    """Land under everything; borders and labels above the data (slot "top")."""
    top = {"bluemap:slot": "top"}
    return [
        {"id": "basemap-land", "type": "fill", "metadata": {"bluemap:slot": "base"},
         "filter": ["==", ["get", "kind"], "province"], "paint": {"fill-color": LAND}},
        {"id": "basemap-borders", "type": "line", "metadata": top, "filter": ["==", ["get", "kind"], "province"],
         "paint": {"line-color": BORDER, "line-width": ["interpolate", ["linear"], ["zoom"], 3, 0.6, 10, 1.6]}},
        {"id": "basemap-places", "type": "symbol", "metadata": top, "minzoom": 5,
         "filter": ["==", ["get", "kind"], "place"], "layout": {
             "text-field": ctx.name(), "text-font": [ctx.font], "symbol-sort-key": ["get", "rank"],
             "text-size": ["interpolate", ["linear"], ["zoom"], 5, 10, 10, 14]},
         "paint": {"text-color": "#444444", "text-halo-color": "#ffffff", "text-halo-width": 1.2}},
        {"id": "basemap-province-labels", "type": "symbol", "metadata": top, "maxzoom": 8,
         "filter": ["==", ["get", "kind"], "province_label"], "layout": {
             "text-field": ctx.name(), "text-font": [ctx.bold], "text-size": 12},
         "paint": {"text-color": "#6b6259", "text-halo-color": "#ffffff", "text-halo-width": 1.5}},
    ]


LAYER = Layer(
    id="basemap",
    title="Basemap",
    description="Province outlines and names, and populated places (Natural Earth 1:10m).",
    geometry="mixed",
    properties=PROPERTIES,
    datasets=("natural-earth-china",),
    features=features,
    maxzoom=10,
    style=style,
)
