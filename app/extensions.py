"""Per-process services the blueprints share: the tile service, conditional and encoded responses."""

from __future__ import annotations

from flask import current_app, request

from core import parse
from tiles.service import TileService

IMMUTABLE = "public, max-age=31536000, immutable"  # a versioned URL: its body never changes
REVALIDATE = "public, no-cache"  # an unversioned URL: a cache may keep it but asks again (ETag) before use


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


def version_arg(args: dict[str, str]) -> int | None:
    """Take the data version `v` out of a tile request's arguments (None when absent)."""
    raw = args.pop("v", None)
    return None if raw is None else parse.integer("v", raw, lo=0)
