"""What a map layer is: a frozen declaration that every generated surface (tiles, TileJSON, styles) reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from core import parse
from core.errors import Invalid


class FilterError(Invalid):
    """A filter a layer does not declare; bad values of declared filters raise `Invalid` from core.parse."""


@dataclass(frozen=True)
class Filter:
    """One query parameter a layer accepts, with how to parse it."""

    name: str
    description: str
    kind: str  # "enum", "enum_list", "date", "bool", "int", "text"
    choices: tuple[str, ...] = ()
    default: str | None = None

    def parse(self, raw: str) -> object:
        """The typed value of `raw` (through core.parse), or Invalid with a reason."""
        raw = raw.strip()
        if self.kind == "enum":
            return parse.choice(self.name, raw, self.choices)
        if self.kind == "enum_list":
            return parse.choice_list(self.name, raw, self.choices)
        if self.kind == "date":
            return parse.day(self.name, raw)
        if self.kind == "bool":
            return parse.boolean(self.name, raw)
        if self.kind == "int":  # bound to an `integer` column's range: beyond it SQL fails, not the request
            return parse.integer(self.name, raw, *parse.INT32)
        return parse.text(self.name, raw)


@dataclass(frozen=True)
class StyleContext:
    """What a style layer depends on: the label language and the font stacks served by /fonts."""

    lang: str = "zh"
    font: str = "Blue Map Sans Regular"
    bold: str = "Blue Map Sans Bold"
    italic: str = "Blue Map Sans Italic"

    def name(self) -> list[Any]:
        """Label expression: the name in the chosen language, falling back to the other."""
        first, second = ("name_zh", "name_en") if self.lang == "zh" else ("name_en", "name_zh")
        return ["coalesce", ["get", first], ["get", second], ""]


# Builds the layer's feature query: SELECT geom (EPSG:4326) and the declared properties, restricted to the
# bind parameter %(bbox)s (a 4326 envelope) and the given filters. The shape of the SQL depends only on
# which filters are present, so it is built once per combination and cached.
FeatureSql = Callable[[frozenset[str]], sql.Composable]


@dataclass(frozen=True)
class ClusterCells:
    """A point layer's cluster cells pre-aggregated in the database for every cluster zoom.

    The table has columns z, cx, cy (the tile's 16 x 16 cells counted from the world's top-left), n (features)
    and sx, sy (sums of their EPSG:3857 coordinates), plus whatever `aggregates` read; `state` has `dirty` and
    `maxzoom`. Tiles use the cells while they are clean and every filter present is one of `filters`.
    """

    table: str
    state: str
    # Filter name -> condition on the cell rows answering it.
    filters: Mapping[str, str]
    # Cluster property (other than count) -> SQL aggregate over the cell rows of one cluster.
    aggregates: Mapping[str, str]


@dataclass(frozen=True)
class Layer:
    """A map layer: identity, attribution, geometry kind, properties, zooms, filters and its SQL."""

    id: str
    title: str
    description: str
    geometry: str  # "point" or "polygon" (or "mixed" for the basemap)
    properties: Mapping[str, str]
    datasets: tuple[str, ...]
    features: FeatureSql
    filters: tuple[Filter, ...] = ()
    minzoom: int = 0
    maxzoom: int = 16
    # Points below this zoom are aggregated into grid clusters whose counts add up to every matching feature.
    cluster_below: int | None = None
    cluster_properties: Mapping[str, str] = field(default_factory=dict)
    # Sums carried by clusters: cluster property -> SQL aggregate over the features' columns.
    cluster_aggregates: Mapping[str, str] = field(default_factory=dict)
    # The same clusters pre-aggregated in the database, when the layer is large.
    cells: ClusterCells | None = None
    bounds: tuple[float, float, float, float] = (73.0, 17.0, 135.5, 54.0)
    # Extra bind parameters computed before the tile query (e.g. class breaks, defaults from the data).
    prepare: Callable[[Any, dict[str, object]], dict[str, object]] | None = None
    # Property used as the MVT feature id, when the layer has a stable one.
    feature_id: str | None = None
    # MapLibre style layers drawing this layer (source and source-layer are filled in by layers.styles).
    style: Callable[[StyleContext], list[dict[str, Any]]] | None = None
    # Legend entries for the web map: (label_en, label_zh, colour or sprite icon).
    legend: tuple[tuple[str, str, str], ...] = ()

    def parse_filters(self, args: Mapping[str, str]) -> dict[str, object]:
        """Typed filter values from query arguments; unknown names are refused."""
        known = {f.name: f for f in self.filters}
        out: dict[str, object] = {}
        for name, raw in args.items():
            if name not in known:
                raise FilterError(f"layer {self.id!r} has no filter {name!r}; it accepts: "
                                  f"{', '.join(known) or 'none'}")
            out[name] = known[name].parse(raw)
        for f in self.filters:
            if f.name not in out and f.default is not None:
                out[f.name] = f.parse(f.default)
        return out


def station_marks(ctx: StyleContext, layer_id: str, stroke: str, value: tuple[str, Any, dict[str, Any]],
                  ) -> list[dict[str, Any]]:
    """A station's disc in its reading's colour, the reading written on it from z7, and its name from z10."""
    suffix, text, text_paint = value
    return [
        {"id": layer_id, "type": "circle", "paint": {
            "circle-radius": ["interpolate", ["linear"], ["zoom"], 4, 6, 10, 12],
            "circle-color": ["coalesce", ["get", "colour"], "#bdbdbd"],
            "circle-stroke-color": stroke, "circle-stroke-width": 1.5}},
        {"id": f"{layer_id}-{suffix}", "type": "symbol", "minzoom": 7, "layout": {
            "text-field": text, "text-font": [ctx.bold], "text-size": 10, "text-allow-overlap": True},
         "paint": text_paint},
        {"id": f"{layer_id}-labels", "type": "symbol", "minzoom": 10, "layout": {
            "text-field": ctx.name(), "text-font": [ctx.font], "text-size": 11, "text-offset": [0, 1.4],
            "text-anchor": "top", "text-optional": True},
         "paint": {"text-color": stroke, "text-halo-color": "#ffffff", "text-halo-width": 1.2}},
    ]
