"""`render(conn, layer, z, x, y, filters) -> bytes`: one Mapbox Vector Tile from the live database."""

from __future__ import annotations

from typing import Any

import mercantile
from psycopg import sql

from core.parse import MAX_ZOOM, tile_address
from layers.base import Layer
from tiles.sql import BUFFER, CLUSTER_CELL, EXTENT, build_query, mode_for, tile_query


def params(layer: Layer, z: int, x: int, y: int) -> dict[str, Any]:
    """Index envelope, cell and tolerance parameters of a tile (its 3857 bounds are ST_TileEnvelope's, in SQL)."""
    xy = mercantile.xy_bounds(x, y, z)
    size = xy.right - xy.left
    # The 4326 envelope only feeds the GiST index, so it is padded: by the symbol buffer for points and shapes,
    # by a pixel for clusters, whose query then keeps exactly the features inside the tile's own bounds.
    pad = size * (BUFFER if mode_for(layer, z) != "clusters" else 1) / EXTENT
    w, s = mercantile.lnglat(xy.left - pad, xy.bottom - pad)
    e, n = mercantile.lnglat(xy.right + pad, xy.top + pad)
    return {"w": w, "s": max(s, -85.06), "e": e, "n": min(n, 85.06), "z": z, "cell": size * CLUSTER_CELL / EXTENT,
            "tol": size / EXTENT, "tx": x, "ty": y}


def tile_mode(conn: Any, layer: Layer, z: int, present: frozenset[str]) -> str:
    """The layer's mode at `z`, with clusters read from the pre-aggregated cells when they can answer."""
    mode = mode_for(layer, z)
    if mode != "clusters" or layer.cells is None or not present <= set(layer.cells.filters):
        return mode
    row = conn.execute(sql.SQL("SELECT dirty, maxzoom FROM {}").format(sql.Identifier(layer.cells.state))).fetchone()
    return "cells" if row and not row[0] and z <= row[1] else mode


def render(conn: Any, layer: Layer, z: int, x: int, y: int, filters: dict[str, Any] | None = None,
           within: sql.Composable | None = None) -> bytes:
    """The tile's bytes (empty when no feature falls in it); `within` keeps only features meeting one more
    condition on the feature row `f` (exports: their selection), drawn live rather than from the cells."""
    z, x, y = tile_address(z, x, y, MAX_ZOOM)  # Invalid for an address outside the pyramid
    filters = dict(filters or {})
    values = params(layer, z, x, y) | filters
    if layer.prepare:
        values |= layer.prepare(conn, filters)
    present = frozenset(filters)
    if within is not None:
        query = build_query(layer, mode_for(layer, z), present, within)
    else:
        query = tile_query(layer, tile_mode(conn, layer, z, present), present)
    row = conn.execute(query, values, binary=True).fetchone()  # bytea as bytes, not hex text
    return bytes(row[0]) if row and row[0] else b""


def render_many(conn: Any, layers: list[Layer], z: int, x: int, y: int,
                filters: dict[str, dict[str, Any]] | None = None) -> bytes:
    """Several layers in one tile: MVT layers are concatenable protobuf messages."""
    filters = filters or {}
    return b"".join(render(conn, layer, z, x, y, filters.get(layer.id)) for layer in layers)
