"""Per-process services the blueprints share: the tile service, conditional and encoded responses."""

from __future__ import annotations

from flask import current_app, request

from tiles.service import TileService


def tile_service() -> TileService:
    """This app's tile service (one per process)."""
    svc = current_app.extensions.get("tiles")
    if svc is None:
        s = current_app.config["SETTINGS"]
        svc = TileService(s.dsn(), s.var_dir / "tile-cache" if s.tile_cache else None)
        current_app.extensions["tiles"] = svc
    return svc


def gzip_accepted() -> bool:
    """Whether the client takes gzip (`Accept-Encoding`, with its q-values: `gzip;q=0` refuses it)."""
    return request.accept_encodings["gzip"] > 0


def not_modified(etag: str) -> bool:
    """Whether `If-None-Match` holds `etag` (unquoted), compared weakly as RFC 9110 says, or `*`."""
    return request.if_none_match.contains_weak(etag)
