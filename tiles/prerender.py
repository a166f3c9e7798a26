"""Render the low zooms of every layer into the cache after a data change, so first visitors wait for nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import mercantile

from layers.base import Layer
from layers.registry import LAYERS
from tiles.service import TileRequest, TileService


def low_zoom_tiles(layer: Layer, maxzoom: int) -> Iterator[mercantile.Tile]:
    """Tiles of zooms minzoom..maxzoom covering the layer's bounds."""
    w, s, e, n = layer.bounds
    zooms = list(range(layer.minzoom, min(maxzoom, layer.maxzoom) + 1))
    yield from mercantile.tiles(w, s, e, n, zooms) if zooms else iter(())


def prerender(service: TileService, connect: Callable, maxzoom: int = 5,
              layer_ids: list[str] | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Render every default-filter tile up to `maxzoom` into the cache; returns how many tiles."""
    count = 0
    for layer in LAYERS:
        if layer_ids and layer.id not in layer_ids:
            continue
        filters = {layer.id: layer.parse_filters({})}
        for t in low_zoom_tiles(layer, maxzoom):
            service.get(connect, TileRequest((layer,), t.z, t.x, t.y, filters))
            count += 1
            if progress:
                progress(1)
    return count
