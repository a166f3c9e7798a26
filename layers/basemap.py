"""`basemap`: Natural Earth context, province, prefecture and county outlines and labels, so no internet is needed."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers import fragments
from layers.base import Layer, StyleContext

PROPERTIES = {
    "kind": "land, coastline, lake, river, urban, boundary, disputed (claim line), province, province_line "
            "(z6+), prefecture, county (polygons drawn as outlines), country_label, province_label, "
            "prefecture_label, county_label, lake_label (a named lake's point) or place (points); river_label "
            "(z5+: a named river's line smoothed for its label)",
    "code": "GB/T 2260 code (provinces, prefectures, counties)",
    "name_zh": "Name in Chinese",
    "name_en": "Name in English (pinyin romanisation for prefectures and counties)",
    "rank": "Label priority: lower shows first (Natural Earth scalerank or labelrank)",
}

# Zoom from which each level of admin_areas is drawn (outline, label); provinces switch to the finer
# outlines dissolved from the prefectures (basemap_context 'province_line') at PROVINCE_LINES.
LEVELS = {"province": (0, 0), "prefecture": (5, 6), "county": (7, 8)}
PROVINCE_LINES = 6


def features(present: frozenset[str]) -> sql.Composable:
    """Context features, admin outlines and labels, and the places fitting this zoom (%(z)s)."""
    return sql.SQL("""
        SELECT c.geom, c.kind, NULL::text AS code, c.name_zh, c.name_en, c.rank
        FROM basemap_context c
        WHERE {context} AND c.minzoom <= %(z)s AND %(z)s < c.maxzoom
        UNION ALL
        SELECT a.geom, a.level, a.code::text, a.name_zh, a.name_en, NULL::int
        FROM admin_areas a
        WHERE {outline} AND CASE a.level WHEN 'province' THEN %(z)s < {lines}
                                         WHEN 'prefecture' THEN %(z)s >= {pref}
                                         ELSE %(z)s >= {county} END
        UNION ALL
        SELECT a.label_point, a.level || '_label', a.code::text, a.name_zh, a.name_en, 0
        FROM admin_areas a
        WHERE {label} AND CASE a.level WHEN 'province' THEN true
                                       WHEN 'prefecture' THEN %(z)s >= {pref_label}
                                       ELSE %(z)s >= {county_label} END
        UNION ALL
        -- River names run along a smoothed copy of the river (3 px at this zoom): the drawn line winds too much.
        SELECT ST_Simplify(c.geom, 3 * 360.0 / (256 * 2 ^ %(z)s)), 'river_label', NULL, c.name_zh, c.name_en, c.rank
        FROM basemap_context c
        WHERE {context} AND c.kind = 'river' AND c.name_en IS NOT NULL AND c.minzoom <= %(z)s AND %(z)s >= 5
        UNION ALL
        SELECT ST_PointOnSurface(ST_Collect(l.geom)), 'lake_label', NULL, l.name_zh, l.name_en, min(l.rank)
        FROM basemap_context l
        WHERE l.kind = 'lake' AND l.minzoom <= %(z)s AND l.name_en IN (
            SELECT c.name_en FROM basemap_context c
            WHERE {context} AND c.kind = 'lake' AND c.name_en IS NOT NULL AND c.minzoom <= %(z)s)
        GROUP BY l.name_en, l.name_zh  -- one point per lake, whichever pieces of it the tile holds
        HAVING ST_Intersects(ST_PointOnSurface(ST_Collect(l.geom)), ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326))
        UNION ALL
        SELECT p.geom, 'place', NULL, p.name_zh, p.name_en, p.scalerank
        FROM places p
        WHERE {place} AND p.scalerank <= %(z)s + 3""").format(
        context=fragments.in_envelope("c.geom"), outline=fragments.in_envelope("a.geom"),
        label=fragments.in_envelope("a.label_point"), place=fragments.in_envelope("p.geom"),
        lines=sql.Literal(PROVINCE_LINES), pref=sql.Literal(LEVELS["prefecture"][0]),
        county=sql.Literal(LEVELS["county"][0]), pref_label=sql.Literal(LEVELS["prefecture"][1]),
        county_label=sql.Literal(LEVELS["county"][1]))


LAND, URBAN, WATER, RIVER, BORDER = "#f3efe6", "#e9e0d2", "#c9dff0", "#9dbfe0", "#9c948a"
WATER_NAME = "#3f73a8"  # river and lake names: blue, in the italic stack
SEA = WATER  # the styles' background and the exports' sea
HALO = {"text-halo-color": "#ffffff", "text-halo-width": 1.4}


def _kind(*kinds: str) -> list[Any]:
    return ["match", ["get", "kind"], list(kinds), True, False]


def _line(lid: str, kinds: tuple[str, ...], color: str, width: list[Any] | float, slot: str = "base",
          minzoom: float = 0, dash: list[float] | None = None) -> dict[str, Any]:
    paint: dict[str, Any] = {"line-color": color, "line-width": width}
    if dash:
        paint["line-dasharray"] = dash
    return {"id": lid, "type": "line", "metadata": {"bluemap:slot": slot}, "minzoom": minzoom,
            "filter": _kind(*kinds), "layout": {"line-join": "round"}, "paint": paint}


def _label(ctx: StyleContext, lid: str, kind: str, size: list[Any] | float, color: str, minzoom: float = 0,
           maxzoom: float = 24, bold: bool = False) -> dict[str, Any]:
    return {"id": lid, "type": "symbol", "metadata": {"bluemap:slot": "top"}, "minzoom": minzoom, "maxzoom": maxzoom,
            "filter": ["==", ["get", "kind"], kind], "layout": {
                "text-field": ctx.name(), "text-font": [ctx.bold if bold else ctx.font], "text-size": size,
                "symbol-sort-key": ["coalesce", ["get", "rank"], 0], "text-max-width": 8},
            "paint": {"text-color": color, **HALO}}


def _zoomed(*stops: float) -> list[Any]:
    return ["interpolate", ["linear"], ["zoom"], *stops]


def style(ctx: StyleContext) -> list[dict[str, Any]]:
    """Land and water under the data (slot "base"); boundaries and labels above it (slot "top")."""
    base = {"bluemap:slot": "base"}
    return [
        {"id": "basemap-land", "type": "fill", "metadata": base, "filter": _kind("land"),
         "paint": {"fill-color": LAND, "fill-antialias": False}},
        {"id": "basemap-urban", "type": "fill", "metadata": base, "minzoom": 4, "filter": _kind("urban"),
         "paint": {"fill-color": URBAN, "fill-opacity": _zoomed(4, 0.4, 9, 1, 12, 0)}},
        {"id": "basemap-lakes", "type": "fill", "metadata": base, "filter": _kind("lake"),
         "paint": {"fill-color": WATER}},
        _line("basemap-rivers", ("river",), RIVER, _zoomed(3, 0.5, 8, 1.5, 12, 2.5)),
        _line("basemap-coastline", ("coastline",), "#8fb3d6", _zoomed(3, 0.4, 10, 1)),
        _line("basemap-counties", ("county",), "#c8bfb2", _zoomed(7, 0.3, 12, 1), slot="top", minzoom=7),
        _line("basemap-prefectures", ("prefecture",), "#b0a596", _zoomed(5, 0.4, 12, 1.4), slot="top",
              minzoom=5),
        _line("basemap-borders", ("province", "province_line"), BORDER, _zoomed(3, 0.6, 10, 1.6, 14, 2.4),
              slot="top"),
        _line("basemap-boundaries", ("boundary",), "#7a6a86", _zoomed(2, 0.8, 10, 2.2), slot="top"),
        _line("basemap-claims", ("disputed",), "#7a6a86", _zoomed(3, 0.6, 10, 1.6), slot="top", dash=[3, 2]),
        _label(ctx, "basemap-countries", "country_label", _zoomed(2, 11, 6, 15), "#5b5360", maxzoom=9, bold=True),
        _label(ctx, "basemap-province-labels", "province_label", 12, "#6b6259", maxzoom=8, bold=True),
        _label(ctx, "basemap-prefecture-labels", "prefecture_label", _zoomed(6, 11, 10, 14), "#6b6259", 6, 11),
        _label(ctx, "basemap-county-labels", "county_label", _zoomed(8, 10, 12, 13), "#7d746a", 8, 13),
        _label(ctx, "basemap-places", "place", _zoomed(5, 10, 10, 14), "#444444", 5, 12),
        *_water_labels(ctx),
    ]


def _water_labels(ctx: StyleContext) -> list[dict[str, Any]]:
    """River names along their lines (from z5, the larger rivers first) and lake names at a point inside them, in
    the page's language (the other when a name has none)."""
    top = {"bluemap:slot": "top"}
    font = {"text-field": ctx.name(), "text-font": [ctx.italic], "symbol-sort-key": ["coalesce", ["get", "rank"], 0]}
    return [
        {"id": "basemap-river-labels", "type": "symbol", "metadata": top, "minzoom": 5,
         "filter": ["==", ["get", "kind"], "river_label"], "layout": {
             **font, "symbol-placement": "line", "symbol-spacing": 250, "text-max-angle": 60,
             "text-letter-spacing": 0.05, "text-size": _zoomed(5, 10, 10, 13)},
         "paint": {"text-color": WATER_NAME, **HALO}},
        {"id": "basemap-lake-labels", "type": "symbol", "metadata": top, "minzoom": 4,
         "filter": ["==", ["get", "kind"], "lake_label"], "layout": {
             **font, "text-size": _zoomed(4, 10, 10, 13), "text-max-width": 6},
         "paint": {"text-color": WATER_NAME, **HALO}},
    ]


LAYER = Layer(
    id="basemap",
    title="Basemap",
    description="Land, water, urban areas and international boundaries (Natural Earth), province, prefecture and "
                "county outlines and names (prefectures and counties: © OpenStreetMap contributors), places.",
    geometry="mixed",
    properties=PROPERTIES,
    datasets=("natural-earth-china", "natural-earth-basemap", "cn-admin-osm"),
    features=features,
    bounds=(-180.0, -85.0511, 180.0, 85.0511),
    maxzoom=10,
    style=style,
)
