"""Vector tiles, TileJSON and the layer catalog, generated from the layer registry."""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from app import db
from app.bounds import layer_bounds
from app.extensions import IMMUTABLE, REVALIDATE, gzip_accepted, not_modified, tile_service, version_arg
from data.catalog import attribution
from exports import extents
from layers.registry import LAYERS
from tiles.service import parse_layers, parse_request

bp = Blueprint("tiles", __name__)
MVT = "application/vnd.mapbox-vector-tile"


@bp.get("/tiles/<spec>/<z>/<x>/<y>.mvt")
def tile(spec: str, z: str, x: str, y: str):
    """One tile of one or several layers, with ETag/304, gzip and 204 for empty tiles.

    `v` (the data version, as the TileJSON and styles write it) makes the URL immutable when it is the version
    of the rows the tile was made from; any other `v` (an older map, or a replica that has not replayed the
    newest change) gets the current tile with the revalidating header, so no cache keeps it under that URL.
    """
    args = request.args.to_dict()
    asked = version_arg(args)
    req = parse_request(spec, z, x, y, args)
    served = tile_service().serve(db.conn, req, db.data_version())
    entry = served.entry
    hook = current_app.extensions.get("tile_served")
    if hook is not None:
        hook(served.hit)
    gzip_ok = gzip_accepted()
    etag = f"{entry.etag}-gz" if gzip_ok and not entry.empty else entry.etag
    headers = {"ETag": f'"{etag}"', "Cache-Control": IMMUTABLE if asked == served.version else REVALIDATE,
               "Vary": "Accept-Encoding", "X-Data-Version": str(served.version)}
    if not_modified(etag):
        return Response(status=304, headers=headers)
    if entry.empty:
        return Response(status=204, headers=headers)
    if gzip_ok:
        return Response(entry.gz, mimetype=MVT, headers={**headers, "Content-Encoding": "gzip"})
    return Response(entry.raw(), mimetype=MVT, headers=headers)


def tilejson(spec: str, version: int) -> dict:
    """TileJSON 3.0.0 for one or several layers; the tile URLs carry the data version `v`, so they are immutable."""
    layers = parse_layers(spec)
    bounds = layer_bounds(version)
    w, s, e, n = extents.union([bounds.get(la.id, la.bounds) for la in layers])  # from the data (exports.extents)
    base = request.url_root.rstrip("/")
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "v"]
    query = "?" + urlencode([*args, ("v", str(version))])
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
    """TileJSON 3.0.0 of a layer (or comma-separated layers); revalidating, with an ETag."""
    body = current_app.json.dumps(tilejson(spec, db.data_version())).encode()
    etag = hashlib.blake2b(body, digest_size=12).hexdigest()
    headers = {"ETag": f'"{etag}"', "Cache-Control": REVALIDATE}
    if not_modified(etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="application/json", headers=headers)


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
