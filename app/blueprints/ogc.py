"""OGC API - Features - Part 1: Core, with the GeoJSON and OpenAPI 3.0 conformance classes.

Collections are the registry's exportable layers (points and polygons; not the mixed basemap). Items come
from the same SQL as exports and tiles, so private supplier links can never appear. Paging is keyset-based
(`after` = the last feature id of the page, in the `next` link), in feature-id order. CRS84 only."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, request
from psycopg import sql

from app import db
from app.bounds import layer_bounds
from core import parse
from core.errors import Invalid, NotFound
from data.catalog import attribution
from exports import openapi, selection, writers
from exports.openapi import DEFAULT_LIMIT, GEOJSON, MAX_LIMIT, OPENAPI
from exports.selection import Source
from layers.base import Layer

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
ITEMS_PARAMS = ("limit", "bbox", "bbox-crs", "datetime", "after", "f")


def _base() -> str:
    return request.url_root.rstrip("/") + "/ogc"


def _json(body: Any, media: str = "application/json") -> Response:
    return Response(json.dumps(body, ensure_ascii=False), content_type=media)


def _check_f(allowed: tuple[str, ...] = ("json",)) -> None:
    f = request.args.get("f")
    if f is not None and f not in allowed:
        raise Invalid(f"f must be one of {', '.join(allowed)} (this API speaks JSON and GeoJSON only)")


def _no_params(allowed: tuple[str, ...] = ("f",)) -> None:
    extra = sorted(set(request.args) - set(allowed))
    if extra:
        raise Invalid(f"unknown query parameter {extra[0]!r}")


def _layer(collection_id: str) -> Layer:
    try:
        return selection.get_layer(collection_id)
    except NotFound:
        raise NotFound(f"no collection {collection_id!r}; collections: "
                       f"{', '.join(la.id for la in selection.exportable())}") from None


@bp.get("")
@bp.get("/")
def landing():
    """The landing page: links to the API definition, conformance and collections."""
    _check_f()
    _no_params()
    b = _base()
    return _json({
        "title": "Blue Map (open): OGC API - Features",
        "description": "Polluting facilities and their violation records, air and water monitoring stations, "
                       "province CO2 and brands' public suppliers in China, with their sources and licences.",
        "attribution": attribution(d for la in selection.exportable() for d in la.datasets),
        "links": [
            {"href": f"{b}?f=json", "rel": "self", "type": "application/json", "title": "This document"},
            {"href": f"{b}/api", "rel": "service-desc", "type": OPENAPI, "title": "The API definition"},
            {"href": f"{b}/conformance", "rel": "conformance", "type": "application/json",
             "title": "Conformance classes"},
            {"href": f"{b}/collections", "rel": "data", "type": "application/json", "title": "Collections"},
        ],
    })


@bp.get("/conformance")
def conformance():
    """The conformance classes this API implements."""
    _check_f()
    _no_params()
    return _json({"conformsTo": CONFORMANCE})


def collection_doc(layer: Layer) -> dict[str, Any]:
    """The description of one collection: links, extent, CRS."""
    b = _base()
    doc: dict[str, Any] = {
        "id": layer.id, "title": layer.title, "description": layer.description, "itemType": "feature",
        "attribution": attribution(layer.datasets),
        "links": [
            {"href": f"{b}/collections/{layer.id}", "rel": "self", "type": "application/json",
             "title": layer.title},
            {"href": f"{b}/collections/{layer.id}/items", "rel": "items", "type": GEOJSON,
             "title": f"{layer.title} (GeoJSON)"},
            {"href": request.url_root.rstrip("/") + f"/exports/{layer.id}.gpkg", "rel": "enclosure",
             "type": "application/geopackage+sqlite3", "title": "Download as GeoPackage"},
        ],
        "extent": {"spatial": {"bbox": [list(layer_bounds(db.data_version()).get(layer.id, layer.bounds))],
                               "crs": CRS84}},
        "crs": [CRS84], "storageCrs": CRS84,
    }
    if selection.temporal(layer):
        doc["extent"]["temporal"] = {"interval": [[None, None]],
                                     "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return doc


@bp.get("/collections")
def collections():
    """Every collection (the exportable layers)."""
    _check_f()
    _no_params()
    b = _base()
    return _json({"links": [{"href": f"{b}/collections", "rel": "self", "type": "application/json",
                             "title": "Collections"}],
                  "collections": [collection_doc(la) for la in selection.exportable()]})


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection's description."""
    _check_f()
    _no_params()
    return _json(collection_doc(_layer(collection_id)))


def _date(raw: str, end: bool) -> date | None:
    raw = raw.strip()
    if raw in ("", ".."):
        return None
    try:
        if "T" in raw:
            return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC).date()
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"datetime must be an RFC 3339 date or date-time, or an interval a/b with .. for "
                         f"open ends; got {raw!r}") from None


def _datetime_filters(layer: Layer, raw: str) -> dict[str, str]:
    since, until = selection.date_filters(layer)
    if not (since or until):
        raise Invalid(f"collection {layer.id!r} has no temporal property: datetime does not apply")
    if "/" in raw:
        a, b = raw.split("/", 1)
        start, end = _date(a, False), _date(b, True)
        if start is None and end is None:
            return {}
    else:
        start = end = _date(raw, False)
    out = {}
    if start and since:
        out[since] = start.isoformat()
    if end and until:
        out[until] = end.isoformat()
    return out


def _key_value(layer: Layer, raw: str) -> int | str:
    if layer.feature_id:
        if not re.fullmatch(r"-?\d{1,18}", raw):
            raise NotFound(f"no feature {raw!r} in {layer.id}: feature ids are integers")
        return int(raw)
    return raw


def _items_source(conn: Any, layer: Layer, args: dict[str, str]) -> tuple[Source, selection.Selection]:
    filters = {k: v for k, v in args.items() if k not in ITEMS_PARAMS}
    if "datetime" in args:
        clash = set(filters) & set(selection.date_filters(layer))
        if clash:
            raise Invalid(f"give either datetime or {', '.join(sorted(clash))}, not both")
        filters |= _datetime_filters(layer, args["datetime"])
    if "bbox-crs" in args and args["bbox-crs"] != CRS84:
        raise Invalid(f"bbox-crs: only {CRS84} is supported")
    for spatial in ("polygon", "area"):
        if spatial in filters:
            raise Invalid(f"unknown query parameter {spatial!r} "
                             "(use /exports for polygon and area filters)")
    sel = selection.parse(layer.id, filters)
    if "bbox" in args:
        box = parse.bbox("bbox", args["bbox"], allow_3d=True, allow_degenerate=True)  # OGC allows a point box
        sel = selection.Selection(sel.layer, sel.filters, sel.raw, box)
    return selection.source(conn, sel), sel


def _paged(src: Source, key: str, after: bool) -> Source:
    q = sql.SQL("SELECT * FROM ({src}) AS p {where} ORDER BY p.{key} LIMIT %(limit)s").format(
        src=src.query, key=sql.Identifier(key),
        where=sql.SQL("WHERE p.{} > %(after)s").format(sql.Identifier(key)) if after else sql.SQL(""))
    return Source(src.selection, q, src.params, src.columns)


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    """A page of a collection's features (GeoJSON), keyset-paged by feature id."""
    layer = _layer(collection_id)
    _check_f(("json", "geojson"))
    args = request.args.to_dict()
    limit = parse.integer("limit", args.get("limit", str(DEFAULT_LIMIT)), 1, MAX_LIMIT)
    key = selection.key_column(layer)
    after = args.get("after")
    with db.conn() as c:
        src, _sel = _items_source(c, layer, args)
        paged = _paged(src, key, after is not None)
        params = src.params | {"limit": limit + 1}
        if after is not None:
            try:
                params["after"] = _key_value(layer, after)
            except NotFound:
                raise Invalid(f"after must be a feature id of {layer.id}") from None
        # Feature text from the exports' GeoJSON serialiser, in key order.
        rows = c.execute(writers.geojson_query(paged), params).fetchall()
        matched = selection.count(c, src)  # every page: the count of the whole selection
    more = len(rows) > limit
    rows = rows[:limit]
    b = _base()
    self_args = "&".join(f"{k}={_quote(v)}" for k, v in args.items())
    links = [{"href": f"{b}/collections/{layer.id}/items" + (f"?{self_args}" if self_args else ""),
              "rel": "self", "type": GEOJSON, "title": "This page"},
             {"href": f"{b}/collections/{layer.id}", "rel": "collection", "type": "application/json",
              "title": layer.title}]
    if more:
        last = json.loads(rows[limit - 1][0])["id"]
        nxt = {k: v for k, v in args.items() if k != "after"} | {"after": str(last), "limit": str(limit)}
        links.append({"href": f"{b}/collections/{layer.id}/items?" + "&".join(f"{k}={_quote(v)}"
                                                                               for k, v in nxt.items()),
                      "rel": "next", "type": GEOJSON, "title": "Next page"})
    head: dict[str, Any] = {"type": "FeatureCollection",
                            "timeStamp": _now(),
                            "numberMatched": matched, "numberReturned": len(rows), "links": links}
    body = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(r[0] for r in rows) + "]}"
    return Response(body, content_type=GEOJSON)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _quote(v: str) -> str:
    from urllib.parse import quote

    return quote(str(v), safe=",:/.")


@bp.get("/collections/<collection_id>/items/<fid>")
def item(collection_id: str, fid: str):
    """One feature by id."""
    layer = _layer(collection_id)
    _check_f(("json", "geojson"))
    _no_params()
    key = selection.key_column(layer)
    value = _key_value(layer, fid)
    with db.conn() as c:
        src, _ = _items_source(c, layer, {})
        one = Source(src.selection, sql.SQL("SELECT * FROM ({}) AS p WHERE p.{} = %(fid)s").format(
            src.query, sql.Identifier(key)), src.params, src.columns)
        row = c.execute(writers.geojson_query(one), src.params | {"fid": value}).fetchone()
    if not row:
        raise NotFound(f"no feature {fid!r} in {layer.id}")
    feature = json.loads(row[0])
    b = _base()
    feature["links"] = [
        {"href": f"{b}/collections/{layer.id}/items/{fid}", "rel": "self", "type": GEOJSON,
         "title": "This feature"},
        {"href": f"{b}/collections/{layer.id}", "rel": "collection", "type": "application/json",
         "title": layer.title}]
    return _json(feature, GEOJSON)


@bp.get("/api")
def api():
    """The OpenAPI 3.0 definition."""
    _check_f(("json",))
    _no_params()
    return _json(openapi.document(_base()), OPENAPI)
