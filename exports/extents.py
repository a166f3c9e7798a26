"""Layer extents from the data (TileJSON, style sources, OGC collections), computed once per data version."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from psycopg import sql

from core.errors import Invalid
from exports import selection
from layers.base import Layer
from layers.registry import LAYERS

Bounds = tuple[float, float, float, float]
# A margin around the features (degrees), so points on the edge are not cut by a client's tile range.
PAD = 0.05
MERCATOR_LAT = 85.0511
EXTENT = "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(q.geom) AS e FROM ({}) q) x"

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[str, tuple[int, dict[str, Bounds]]] = {}


def _padded(b: Bounds) -> Bounds:
    """The bounds with a margin, kept inside what Web Mercator tiles can show."""
    w, s, e, n = b
    return (round(max(w - PAD, -180.0), 4), round(max(s - PAD, -MERCATOR_LAT), 4),
            round(min(e + PAD, 180.0), 4), round(min(n + PAD, MERCATOR_LAT), 4))


def layer_extent(conn: Any, layer: Layer) -> Bounds:
    """Where a layer's features lie with no filter (default filter values apply); its declared bounds when it
    has no features or is not a single exportable layer (the basemap)."""
    if layer.id not in {la.id for la in selection.exportable()}:
        return layer.bounds
    try:
        with conn.transaction():
            src = selection.source(conn, selection.parse(layer.id, {}))
            row = conn.execute(sql.SQL(EXTENT).format(src.query), src.params).fetchone()
    except (psycopg.DatabaseError, Invalid) as exc:  # a layer that cannot be read (or, like carbon, has no default
        # series in this database) keeps its declared bounds; its own tiles say why
        log.warning("extent of layer %s not computed: %s", layer.id, exc)
        return layer.bounds
    if not row or row[0] is None:
        return layer.bounds
    return _padded((row[0], row[1], row[2], row[3]))


def extents(connect: Callable[[], AbstractContextManager[Any]], version: int, key: str = "") -> dict[str, Bounds]:
    """Every layer's extent for data version `version`, computed with a connection from `connect` on the first use
    of that version in this process (`key` tells databases apart)."""
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == version:
            return hit[1]
    with connect() as conn:
        found = {la.id: layer_extent(conn, la) for la in LAYERS}
    with _lock:
        _cache[key] = (version, found)
    return found


def union(bounds: list[Bounds]) -> Bounds:
    """The smallest bounds holding all of `bounds`."""
    return (min(b[0] for b in bounds), min(b[1] for b in bounds), max(b[2] for b in bounds), max(b[3] for b in bounds))
