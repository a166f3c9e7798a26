"""Per-process services the blueprints share: the tile service, and the CORS headers of map resources."""

from __future__ import annotations

from flask import current_app

from tiles.service import TileService

# Map resources (tiles, styles, glyphs, sprites, raster) are public: any origin may read them.
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}


def tile_service() -> TileService:
    """This app's tile service (one per process)."""
    svc = current_app.extensions.get("tiles")
    if svc is None:
        s = current_app.config["SETTINGS"]
        svc = TileService(s.dsn(), s.var_dir / "tile-cache" if s.tile_cache else None)
        current_app.extensions["tiles"] = svc
    return svc
