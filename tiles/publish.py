"""The low zooms of the public layers as one PMTiles v3 archive (the `pmtiles` library's writer), for a CDN.

Every tile holds every layer that shows at its zoom, rendered by tiles.render with default filters exactly as
the map serves them, all from one snapshot (one data version, named in the metadata). Empty tiles are left
out (a PMTiles reader treats them as empty). The file is written beside its destination and moved in place.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mercantile
import psycopg
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from core.errors import Invalid
from data.catalog import attribution
from layers.base import Layer
from layers.registry import LAYERS
from tiles.render import render_many
from tiles.version import read_version

MAX_PUBLISH_ZOOM = 10  # about 30,000 tiles over China: beyond that, serve from the app and its cache
MERCATOR_LAT = 85.05112878


@dataclass(frozen=True)
class Published:
    """What an archive holds."""

    path: Path
    tiles: int
    empty: int
    maxzoom: int
    version: int
    bytes: int


def _bounds(layers: list[Layer]) -> tuple[float, float, float, float]:
    w = max(-180.0, min(la.bounds[0] for la in layers))
    s = max(-MERCATOR_LAT, min(la.bounds[1] for la in layers))
    e = min(180.0, max(la.bounds[2] for la in layers))
    n = min(MERCATOR_LAT, max(la.bounds[3] for la in layers))
    return w, s, e, n


def _addresses(layers: list[Layer], maxzoom: int) -> list[tuple[int, int, int, int]]:
    """(tile id, z, x, y) of every tile of the layers' extent up to maxzoom, in tile-id order (clustered)."""
    w, s, e, n = _bounds(layers)
    out = [(zxy_to_tileid(t.z, t.x, t.y), t.z, t.x, t.y)
           for t in mercantile.tiles(w, s, e, n, range(0, maxzoom + 1))]
    return sorted(out)


def _metadata(layers: list[Layer], version: int) -> dict:
    return {
        "name": "Blue Map (open): " + ", ".join(la.id for la in layers),
        "attribution": attribution([d for la in layers for d in la.datasets]),
        "bluemap:data_version": version,
        "vector_layers": [{"id": la.id, "description": la.description, "minzoom": la.minzoom,
                           "maxzoom": la.maxzoom, "fields": dict(la.properties)} for la in layers],
    }


def publish(conn: psycopg.Connection, path: Path, maxzoom: int, layer_ids: list[str] | None = None) -> Published:
    """Write zooms 0..maxzoom of the layers (default: every layer) to `path` as PMTiles; Invalid for bad input."""
    if not 0 <= maxzoom <= MAX_PUBLISH_ZOOM:
        raise Invalid(f"maxzoom must be between 0 and {MAX_PUBLISH_ZOOM}")
    unknown = [i for i in layer_ids or [] if i not in LAYERS]
    if unknown:
        raise Invalid(f"unknown layer {unknown[0]!r}; layers: {', '.join(LAYERS.ids())}")
    layers = [LAYERS.get(i) for i in (layer_ids or LAYERS.ids())]
    version = read_version(conn)  # one snapshot for every tile
    filters = {la.id: la.parse_filters({}) for la in layers}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".pmtiles.part")
    written = empty = 0
    try:
        with os.fdopen(fd, "wb") as f:
            writer = Writer(f)
            for tile_id, z, x, y in _addresses(layers, maxzoom):
                shown = [la for la in layers if la.minzoom <= z <= la.maxzoom]
                raw = render_many(conn, shown, z, x, y, {la.id: filters[la.id] for la in shown}) if shown else b""
                if not raw:
                    empty += 1
                    continue
                writer.write_tile(tile_id, gzip.compress(raw, compresslevel=9, mtime=0))
                written += 1
            if not written:
                raise Invalid("nothing to publish: every tile of those zooms is empty")
            w, s, e, n = _bounds(layers)
            writer.finalize({
                "tile_type": TileType.MVT, "tile_compression": Compression.GZIP,
                "min_lon_e7": int(w * 1e7), "min_lat_e7": int(s * 1e7),
                "max_lon_e7": int(e * 1e7), "max_lat_e7": int(n * 1e7),
                "center_zoom": min(4, maxzoom), "center_lon_e7": int((w + e) / 2 * 1e7),
                "center_lat_e7": int((s + n) / 2 * 1e7),
            }, _metadata(layers, version))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Published(path, written, empty, maxzoom, version, path.stat().st_size)
