"""Vector tiles, TileJSON and the layer catalog, generated from the layer registry."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from app import db
from app.extensions import gzip_accepted, not_modified, tile_service
from data.catalog import attribution
from layers.registry import LAYERS
from tiles.service import parse_layers, parse_request

bp = Blueprint("tiles", __name__)
MVT = "application/vnd.mapbox-vector-tile"


@bp.get("/tiles/<spec>/<z>/<x>/<y>.mvt")
def tile(spec: str, z: str, x: str, y: str):
    """One tile of one or several layers, with ETag/304, gzip and 204 for empty tiles."""
    req = parse_request(spec, z, x, y, request.args.to_dict())
    entry = tile_service().get(db.conn, req)
    gzip_ok = gzip_accepted()
    etag = f"{entry.etag}-gz" if gzip_ok and not entry.empty else entry.etag
    headers = {"ETag": f'"{etag}"', "Cache-Control": "public, no-cache", "Vary": "Accept-Encoding"}
    if not_modified(etag):
        return Response(status=304, headers=headers)
    if entry.empty:
        return Response(status=204, headers=headers)
    if gzip_ok:
        return Response(entry.gz, mimetype=MVT, headers={**headers, "Content-Encoding": "gzip"})
    return Response(entry.raw(), mimetype=MVT, headers=headers)


def tilejson(spec: str) -> dict:
    """TileJSON 3.0.0 for one or several layers."""
    layers = parse_layers(spec)
    w = min(la.bounds[0] for la in layers)
    s = min(la.bounds[1] for la in layers)
    e = max(la.bounds[2] for la in layers)
    n = max(la.bounds[3] for la in layers)
    base = request.url_root.rstrip("/")
    query = ("?" + request.query_string.decode()) if request.query_string else ""
    datasets = list(dict.fromkeys(d for la in layers for d in la.datasets))
    return {
        "tilejson": "3.0.0",
        "name": ",".join(la.id for la in layers),
        "description": " / ".join(la.description for la in layers),
        "tiles": [f"{base}/tiles/{spec}/{{z}}/{{x}}/{{y}}.mvt{query}"],
        "minzoom": min(la.minzoom for la in layers),
        "maxzoom": max(la.maxzoom for la in layers),
        "bounds": [w, s, e, n],
        "center": [round((w + e) / 2, 3), round((s + n) / 2, 3), 4],
        "attribution": attribution(datasets),
        "vector_layers": [{
            "id": la.id, "description": la.description, "minzoom": la.minzoom, "maxzoom": la.maxzoom,
            "fields": dict(la.properties) | ({k: f"(clusters, below z{la.cluster_below}) {v}"
                                              for k, v in la.cluster_properties.items() if k not in la.properties}
                                             if la.cluster_below else {}),
        } for la in layers],
    }


@bp.get("/tiles/<spec>.json")
def tilejson_view(spec: str):
    """TileJSON 3.0.0 of a layer (or comma-separated layers)."""
    return jsonify(tilejson(spec))


@bp.get("/tiles")
def catalog():
    """Every layer: id, title, geometry, zooms, filters, properties and its TileJSON link."""
    return jsonify({"layers": [{
        "id": la.id, "title": la.title, "description": la.description, "geometry": la.geometry,
        "minzoom": la.minzoom, "maxzoom": la.maxzoom, "cluster_below": la.cluster_below,
        "properties": dict(la.properties),
        "filters": [{"name": f.name, "description": f.description, "type": f.kind, "choices": list(f.choices),
                     "default": f.default} for f in la.filters],
        "datasets": list(la.datasets),
        "tilejson": url_for("tiles.tilejson_view", spec=la.id, _external=True),
    } for la in LAYERS]})
