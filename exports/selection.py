"""What to export: a layer, its own filters, and the spatial filters every export accepts (bbox, polygon,
area); turned into one SQL query wrapping the layer's feature SQL, so exports, tiles and OGC API agree."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql

from core import parse as parsing
from core.errors import Invalid, NotFound
from data.catalog import DATASETS
from layers.base import Layer
from layers.registry import LAYERS

WORLD = (-180.0, -90.0, 180.0, 90.0)
SPATIAL_PARAMS = ("bbox", "polygon", "area")
MAX_POLYGON_CHARS = 200_000  # a GET parameter: tighter than core.parse's bound
# Feature SQL of layers that depend on a zoom (the basemap's places) gets the deepest one.
EXPORT_ZOOM = 22


def exportable() -> list[Layer]:
    """Layers with one geometry kind (points or polygons); the mixed `basemap` is not exported."""
    return [la for la in LAYERS if la.geometry in ("point", "polygon")]


def get_layer(layer_id: str) -> Layer:
    """An exportable layer by id, or NotFound naming the ones that exist."""
    ids = [la.id for la in exportable()]
    if layer_id not in ids:
        extra = (" (the basemap is Natural Earth: get it from naturalearthdata.com)" if layer_id == "basemap"
                 else "")
        raise NotFound(f"unknown layer {layer_id!r}{extra}; exportable layers: {', '.join(ids)}")
    return LAYERS.get(layer_id)


def key_column(layer: Layer) -> str:
    """The property identifying a feature: the layer's feature id, else its first property (e.g. `code`)."""
    return layer.feature_id or next(iter(layer.properties))


def date_filters(layer: Layer) -> tuple[str | None, str | None]:
    """Names of the layer's date-range filters (since, until), when it has them."""
    dates = [f.name for f in layer.filters if f.kind == "date"]
    since = next((n for n in dates if n in ("since", "from", "start")), None)
    until = next((n for n in dates if n in ("until", "to", "end")), None)
    return since, until


def temporal(layer: Layer) -> bool:
    """Whether the layer has a date-range filter (OGC API's datetime applies)."""
    return any(date_filters(layer))


@dataclass(frozen=True)
class Selection:
    """A validated export request: layer, typed filters, spatial filters, and what the user sent."""

    layer: Layer
    filters: dict[str, Any]
    raw: dict[str, str]
    bbox: tuple[float, float, float, float] | None = None
    polygon: str | None = None
    polygon_bounds: tuple[float, float, float, float] | None = None
    area: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """The filters as they apply (defaults included), JSON-ready, for provenance."""
        out: dict[str, Any] = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                               for k, v in self.filters.items()}
        if self.bbox:
            out["bbox"] = list(self.bbox)
        if self.polygon:
            out["polygon"] = json.loads(self.polygon)
        if self.area:
            out["area"] = self.area
        return out


def parse(layer_id: str, args: Mapping[str, str], ignore: tuple[str, ...] = ()) -> Selection:
    """Validate a layer id and query arguments (layer filters + bbox, polygon, area); `ignore` names
    arguments that belong to the caller (format options, paging). NotFound or Invalid says what is wrong."""
    layer = get_layer(layer_id)
    raw = {k: str(v) for k, v in args.items() if k not in ignore}
    own = {k: v for k, v in raw.items() if k not in SPATIAL_PARAMS}
    accepted = [f.name for f in layer.filters] + list(SPATIAL_PARAMS)
    unknown = [k for k in raw if k not in accepted]
    if unknown:
        raise Invalid(f"layer {layer.id!r} has no filter {unknown[0]!r}; "
                      f"it accepts: {', '.join(accepted)}")
    filters = layer.parse_filters(own)
    since, until = date_filters(layer)
    if since and until and since in filters and until in filters and filters[since] > filters[until]:  # type: ignore[operator]
        raise Invalid(f"{since} must not be after {until}")
    bbox = parsing.bbox("bbox", raw["bbox"]) if "bbox" in raw else None
    polygon, bounds = _polygon(raw["polygon"]) if "polygon" in raw else (None, None)
    area = parsing.area_code("area", raw["area"]) if "area" in raw else None
    return Selection(layer, filters, raw, bbox, polygon, bounds, area)


def _polygon(raw: str) -> tuple[str, tuple[float, float, float, float]]:
    if len(raw) > MAX_POLYGON_CHARS:
        raise Invalid(f"polygon is longer than {MAX_POLYGON_CHARS} characters")
    return parsing.polygon("polygon", raw)


@dataclass(frozen=True)
class Source:
    """The selection as SQL: `query` selects `geom` and the export columns, `params` binds it."""

    selection: Selection
    query: sql.Composed
    params: dict[str, Any]
    columns: tuple[str, ...]

    @property
    def layer(self) -> Layer:
        """The selected layer."""
        return self.selection.layer


def _intersect(bounds: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float] | None:
    w, s, e, n = WORLD
    for b in bounds:
        w, s, e, n = max(w, b[0]), max(s, b[1]), min(e, b[2]), min(n, b[3])
    if w > e or s > n:
        return None
    return (w, s, e, n)


def columns(layer: Layer) -> tuple[str, ...]:
    """The exported properties: the layer's own, plus `synthetic` (false when no data set is synthetic)."""
    cols = tuple(layer.properties)
    return cols if "synthetic" in cols else cols + ("synthetic",)


def check_synthetic_declared(layer: Layer) -> None:
    """A layer drawing on a synthetic data set must say per row which values are synthetic."""
    if "synthetic" not in layer.properties and any(DATASETS[d].synthetic for d in layer.datasets):
        raise AssertionError(f"layer {layer.id!r} uses synthetic data but has no `synthetic` property")


def source(conn: Any, sel: Selection, order: bool = False) -> Source:
    """The SQL of a selection. Needs a connection for the layer's prepare() and the area's bounds."""
    layer = sel.layer
    check_synthetic_declared(layer)
    params: dict[str, Any] = dict(sel.filters)
    if layer.prepare:
        params |= layer.prepare(conn, dict(sel.filters))
    where: list[sql.Composable] = []
    bounds: list[tuple[float, float, float, float]] = []
    if sel.bbox:
        bounds.append(sel.bbox)
        params |= dict(zip(("bw", "bs", "be", "bn"), sel.bbox, strict=True))
        where.append(sql.SQL("ST_Intersects(f.geom, ST_MakeEnvelope(%(bw)s, %(bs)s, %(be)s, %(bn)s, 4326))"))
    if sel.polygon:
        assert sel.polygon_bounds
        bounds.append(sel.polygon_bounds)
        params["polygon"] = sel.polygon
        where.append(sql.SQL("ST_Intersects(f.geom, ST_SetSRID(ST_GeomFromGeoJSON(%(polygon)s), 4326))"))
    if sel.area:
        row = conn.execute("SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) "
                           "FROM admin_areas "
                           "WHERE code = %s AND geom IS NOT NULL", (sel.area,)).fetchone()
        if not row:
            raise Invalid(f"no area with code {sel.area} and an outline "
                                 "(see /api/carbon for the codes)")
        bounds.append(tuple(row))  # type: ignore[arg-type]
        params["area"] = sel.area
        area = sql.SQL("(SELECT a.geom FROM admin_areas a WHERE a.code = %(area)s)")
        # Points inside the area; polygons overlapping it by at least half of the smaller of the two (so
        # neighbours sharing a generalised border are out, and a province holds its prefectures and the
        # province of a prefecture is in).
        if layer.geometry == "point":
            where.append(sql.SQL("ST_Intersects(f.geom, {})").format(area))
        else:
            where.append(sql.SQL("ST_Intersects(f.geom, {a}) AND ST_Area(ST_Intersection(f.geom, {a})) >= "
                                 "0.5 * least(ST_Area(f.geom), ST_Area({a}))").format(a=area))
    env = _intersect(bounds)
    empty = env is None
    params |= dict(zip("wsen", env or WORLD, strict=True)) | {"z": EXPORT_ZOOM}
    cols = columns(layer)
    select = [sql.SQL("f.{}").format(sql.Identifier(c)) if c in layer.properties
              else sql.SQL("false AS {}").format(sql.Identifier(c)) for c in cols]
    geom = sql.SQL("f.geom") if layer.geometry == "point" else sql.SQL("ST_Multi(f.geom)")
    query = sql.SQL("SELECT {geom} AS geom, {cols} FROM ({features}) AS f WHERE {where}{order}").format(
        geom=geom, cols=sql.SQL(", ").join(select), features=layer.features(frozenset(sel.filters)),
        where=sql.SQL(" AND ").join(where) if where and not empty else sql.SQL("false" if empty else "true"),
        order=sql.SQL(" ORDER BY f.{}").format(sql.Identifier(key_column(layer))) if order else sql.SQL(""))
    return Source(sel, query, params, cols)


def count(conn: Any, src: Source) -> int:
    """How many features the selection holds."""
    row = conn.execute(sql.SQL("SELECT count(*) FROM ({}) AS q").format(src.query), src.params).fetchone()
    return int(row[0])
