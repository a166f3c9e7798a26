"""MapLibre styles, the sprite and label glyphs: everything a map needs, served by the service itself."""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from urllib.parse import urljoin

from flask import Blueprint, Response, current_app, jsonify, request

from app import db
from app.bounds import layer_bounds
from app.extensions import REVALIDATE, gzip_accepted, not_modified, tile_service
from core.errors import NotFound
from layers import styles
from tiles import sprites
from tiles.glyphs import GlyphStore

bp = Blueprint("styles", __name__)
_SPRITE = re.compile(r"^bluemap(@2x)?\.(json|png)$")
_sprite_lock = threading.Lock()


@bp.get("/styles")
def catalog():
    """The styles this service serves."""
    base = request.url_root.rstrip("/")
    return jsonify({"styles": [{
        "name": s.name, "title_en": s.title_en, "title_zh": s.title_zh, "layers": list(s.layers),
        "url": f"{base}/styles/{s.name}.json",
    } for s in styles.STYLES.values()]})


@bp.get("/styles/<name>.json")
def style(name: str):
    """One style; `lang=zh|en` picks the label language, layer filters pass through to the tile URLs."""
    version = db.data_version()
    body = styles.build(name, request.url_root, request.args.to_dict(), version=version,
                        bounds=layer_bounds(version))
    basemap = current_app.config["SETTINGS"].basemap_url
    if basemap:  # an external vector basemap instead of the embedded one
        body = styles.with_basemap(body, urljoin(request.url_root, basemap))
    archive = current_app.config["SETTINGS"].pmtiles_url
    if archive:  # the low zooms from a published PMTiles archive
        body = styles.with_archive(body, urljoin(request.url_root, archive),  # a path: this service's /pmtiles/
                                   current_app.config["SETTINGS"].pmtiles_maxzoom)
    return jsonify(body), 200, {"Cache-Control": REVALIDATE}


def _sprite(ratio: int) -> tuple[bytes, bytes, str]:
    """PNG, JSON index and ETag of the sprite for the current data version (brands change the logos)."""
    version = tile_service().version.current()
    cache = current_app.extensions.setdefault("sprites", {})
    key = (version, ratio)
    with _sprite_lock:
        if key not in cache:
            with db.conn() as conn:
                png, index = sprites.build(conn, ratio)
            body = current_app.json.dumps(index).encode()
            cache.clear()
            cache[key] = (png, body, hashlib.blake2b(png + body, digest_size=12).hexdigest())
        return cache[key]


@bp.get("/sprites/<filename>")
def sprite(filename: str):
    """bluemap.json / bluemap.png and their @2x versions."""
    m = _SPRITE.match(filename)
    if not m:
        raise NotFound("sprites: bluemap.json, bluemap.png, bluemap@2x.json, bluemap@2x.png")
    png, index, etag = _sprite(2 if m.group(1) else 1)
    tag = f"{etag}-{m.group(2)}"
    headers = {"ETag": f'"{tag}"', "Cache-Control": REVALIDATE}
    if not_modified(tag):
        return Response(status=304, headers=headers)
    if m.group(2) == "png":
        return Response(png, mimetype="image/png", headers=headers)
    return Response(index, mimetype="application/json", headers=headers)


def glyph_store() -> GlyphStore:
    """This process's glyph store (ranges kept on disk under var/glyphs)."""
    store = current_app.extensions.get("glyphs")
    if store is None:
        store = GlyphStore(current_app.config["SETTINGS"].var_dir / "glyphs")
        current_app.extensions["glyphs"] = store
    return store


@bp.get("/fonts/<stack>/<range_>.pbf")
def glyphs(stack: str, range_: str):
    """256 SDF glyphs of a font stack (MapLibre's glyphs URL template)."""
    data = glyph_store().get(stack, range_)
    headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
    if gzip_accepted():
        return Response(gzip.compress(data, 6, mtime=0), mimetype="application/x-protobuf",
                        headers={**headers, "Content-Encoding": "gzip"})
    return Response(data, mimetype="application/x-protobuf", headers=headers)
