"""Layer extents from the data for TileJSON, styles and OGC collections (one computation per data version)."""

from __future__ import annotations

from flask import current_app

from app import db
from exports import extents


def layer_bounds(version: int) -> dict[str, extents.Bounds]:
    """Each layer's extent from its data at `version` (computed once per version and process)."""
    return extents.extents(db.conn, version, current_app.config["SETTINGS"].dsn())
