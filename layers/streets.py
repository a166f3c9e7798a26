"""`streets`: the OpenStreetMap street basemap (z10-z16) imported by `bluemap basemap load`; empty until then."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers import fragments
from layers.base import Layer, StyleContext

PROPERTIES = {
    "class": "water, waterway, landuse, building, road, railway, place or poi",
    "kind": "OpenStreetMap type within the class (road class such as primary or residential; park, forest; "
            "river, stream; city, suburb; a point of interest's amenity, shop or tourism value)",
    "name_zh": "Name in Chinese (OpenStreetMap name:zh, else the local name)",
    "name_en": "Name in English (OpenStreetMap name:en)",
}

# class -> table of the `osm` schema; drawn in this order (areas first, names last).
TABLES = (("water", "water_areas"), ("landuse", "landuse"), ("building", "buildings"),
          ("waterway", "water_lines"), ("railway", "railways"), ("road", "roads"))


def features(present: frozenset[str]) -> sql.Composable:
    """Every `osm` table's rows whose `minzoom` is reached at this zoom (%(z)s), in the tile's envelope."""
    parts = [sql.SQL("SELECT t.geom, {cls} AS class, t.kind, t.name_zh, t.name_en FROM osm.{table} t "
                     "WHERE {env} AND t.minzoom <= %(z)s").format(
        cls=sql.Literal(cls), table=sql.Identifier(table), env=fragments.in_envelope("t.geom"))
        for cls, table in TABLES]
    parts.append(sql.SQL("SELECT t.geom, t.class, t.kind, t.name_zh, t.name_en FROM osm.places t "
                         "WHERE {env} AND t.minzoom <= %(z)s").format(env=fragments.in_envelope("t.geom")))
    return sql.SQL(" UNION ALL ").join(parts)


WATER, PARK, FOREST, BUILDING, RAIL = "#c9dff0", "#d4e7c5", "#c2dbb0", "#dcd3c6", "#9a9a9a"
LANDUSE = ["match", ["get", "kind"], ["park", "grass", "pitch", "cemetery"], PARK, ["forest", "wetland"], FOREST,
           ["residential"], "#ede7dd", ["industrial", "construction", "military"], "#e6dfe3",
           ["commercial"], "#f0e3dc", ["school", "hospital"], "#f2e7d0", ["farmland"], "#eef0d2", "#eae6dc"]
ROAD_COLOR = ["match", ["get", "kind"], ["motorway", "trunk"], "#f4b66d", "primary", "#f8d68e",
              "secondary", "#fbeab5", "#ffffff"]
# Line width at z10 and z16 by road class.
_WIDTHS = {"motorway": (1.6, 12), "trunk": (1.6, 12), "primary": (1.2, 10), "secondary": (0.9, 9),
           "tertiary": (0.7, 8), "path": (0.3, 1.5), "track": (0.3, 2), "service": (0.3, 3)}


def _width(at: int, scale: float = 1.0, extra: float = 0.0) -> list[Any]:
    default = {10: 0.4, 16: 6}[at]
    cases: list[Any] = []
    for kind, (lo, hi) in _WIDTHS.items():
        cases += [kind, (lo if at == 10 else hi) * scale + extra]
    return ["match", ["get", "kind"], *cases, default * scale + extra]


def _road_width(extra: float = 0.0) -> list[Any]:
    return ["interpolate", ["exponential", 1.6], ["zoom"], 10, _width(10, extra=extra), 16, _width(16, extra=extra)]


def _is(cls: str) -> list[Any]:
    return ["==", ["get", "class"], cls]


def _label(ctx: StyleContext) -> dict[str, Any]:
    return {"text-field": ctx.name(), "text-font": [ctx.font], "text-max-width": 8}


def style(ctx: StyleContext) -> list[dict[str, Any]]:
    """Areas, waterways, railways and roads under the data; road, place and POI names above it."""
    base, top = {"bluemap:slot": "base"}, {"bluemap:slot": "top"}
    halo = {"text-halo-color": "#ffffff", "text-halo-width": 1.4}
    return [
        {"id": "streets-landuse", "type": "fill", "metadata": base, "filter": _is("landuse"),
         "paint": {"fill-color": LANDUSE}},
        {"id": "streets-water", "type": "fill", "metadata": base, "filter": _is("water"),
         "paint": {"fill-color": WATER}},
        {"id": "streets-waterways", "type": "line", "metadata": base, "filter": _is("waterway"),
         "layout": {"line-cap": "round"}, "paint": {"line-color": "#9dbfe0", "line-width": [
             "interpolate", ["linear"], ["zoom"], 10, ["match", ["get", "kind"], "river", 1.5, 0.5],
             16, ["match", ["get", "kind"], "river", 8, "canal", 5, 2]]}},
        {"id": "streets-buildings", "type": "fill", "metadata": base, "minzoom": 14, "filter": _is("building"),
         "paint": {"fill-color": BUILDING, "fill-outline-color": "#c7bcae"}},
        {"id": "streets-railways", "type": "line", "metadata": base, "filter": _is("railway"),
         "paint": {"line-color": RAIL, "line-width": ["interpolate", ["linear"], ["zoom"], 11, 0.8, 16, 2.5],
                   "line-dasharray": [4, 2]}},
        {"id": "streets-road-casings", "type": "line", "metadata": base, "minzoom": 12, "filter": _is("road"),
         "layout": {"line-join": "round", "line-cap": "round"},
         "paint": {"line-color": "#cbbfae", "line-width": _road_width(1.5)}},
        {"id": "streets-roads", "type": "line", "metadata": base, "filter": _is("road"),
         "layout": {"line-join": "round", "line-cap": "round"},
         "paint": {"line-color": ROAD_COLOR, "line-width": _road_width()}},
        {"id": "streets-road-names", "type": "symbol", "metadata": top, "minzoom": 13, "filter": _is("road"),
         "layout": {**_label(ctx), "symbol-placement": "line", "text-size": 12},
         "paint": {"text-color": "#5a5048", **halo}},
        {"id": "streets-places", "type": "symbol", "metadata": top, "filter": _is("place"),
         "layout": {**_label(ctx), "text-size": ["interpolate", ["linear"], ["zoom"], 10, 12, 16, 16]},
         "paint": {"text-color": "#333333", **halo}},
        {"id": "streets-pois", "type": "symbol", "metadata": top, "minzoom": 15, "filter": _is("poi"),
         "layout": {**_label(ctx), "text-size": 11}, "paint": {"text-color": "#6a5f55", **halo}},
    ]


LAYER = Layer(
    id="streets",
    title="Streets (OpenStreetMap)",
    description="Roads by class, railways, water, landuse, buildings and place and POI names from an "
                "OpenStreetMap extract imported with `bluemap basemap load` (© OpenStreetMap contributors).",
    geometry="mixed",
    properties=PROPERTIES,
    datasets=("osm-extract",),
    features=features,
    minzoom=10,
    maxzoom=16,
    bounds=(-180.0, -85.0511, 180.0, 85.0511),
    style=style,
)
