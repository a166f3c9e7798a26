"""Tiles for the web, CLI and benchmarks alike: parse a request, then serve from the cache or render."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from psycopg.conninfo import conninfo_to_dict

from core.errors import Invalid, NotFound
from core.parse import MAX_ZOOM, tile_address
from layers.base import Layer
from layers.registry import LAYERS
from tiles.cache import Entry, TileCache, cache_key, make_entry
from tiles.render import render_many
from tiles.version import DataVersion, read_version


@dataclass(frozen=True)
class TileRequest:
    """Validated layers, address and per-layer filters."""

    layers: tuple[Layer, ...]
    z: int
    x: int
    y: int
    filters: Mapping[str, dict[str, Any]]

    @cached_property
    def key(self) -> str:
        """The cache key of the layers and filters."""
        return cache_key([la.id for la in self.layers], dict(self.filters))


def parse_layers(spec: str) -> tuple[Layer, ...]:
    """Layers named in a comma-separated list; unknown (NotFound) or repeated (Invalid) ids are refused."""
    ids = spec.split(",")
    unknown = [i for i in ids if i not in LAYERS]
    if unknown:
        raise NotFound(f"unknown layer {unknown[0]!r}; layers: {', '.join(LAYERS.ids())}")
    if len(set(ids)) != len(ids):
        raise Invalid("a layer is listed twice")
    return tuple(LAYERS.get(i) for i in ids)


def parse_request(spec: str, z: str, x: str, y: str, args: Mapping[str, str]) -> TileRequest:
    """Check everything a client sent; each problem is a NotFound or Invalid with a reason."""
    layers, filters, key = _parse_layers_and_filters(spec, tuple(sorted(args.items())))
    zi, xi, yi = tile_address(z, x, y, MAX_ZOOM)
    req = TileRequest(layers, zi, xi, yi, filters)
    req.__dict__["key"] = key  # computed once per layer and filter combination (cached_property slot)
    return req


@lru_cache(maxsize=4096)
def _parse_layers_and_filters(spec: str, args: tuple[tuple[str, str], ...]
                              ) -> tuple[tuple[Layer, ...], Mapping[str, dict[str, Any]], str]:
    """Layers, per-layer filters and cache key of a request; kept, since map clients repeat the same ones."""
    layers = parse_layers(spec)
    filters: dict[str, dict[str, Any]] = {}
    for layer in layers:
        # With several layers a filter applies to each layer that declares it; unknown names are refused.
        mine = {k: v for k, v in args if any(f.name == k for f in layer.filters)}
        filters[layer.id] = layer.parse_filters(mine)
    declared = {f.name for layer in layers for f in layer.filters}
    extra = sorted({k for k, _ in args} - declared)
    if extra:
        accepted = ", ".join(sorted(declared)) or "none"
        raise Invalid(f"unknown filter {extra[0]!r} for {spec}; accepted: {accepted}")
    return layers, MappingProxyType(filters), cache_key([la.id for la in layers], filters)


class Served(NamedTuple):
    """A tile as served: the entry, its data version, and whether the cache held it."""

    entry: Entry
    version: int
    hit: bool


def database_key(dsn: str) -> str:
    """A folder name per database (name and a hash of host, port and name): data versions of two databases
    sharing one cache directory never meet, and one's sweep leaves the other's tiles alone."""
    info = conninfo_to_dict(dsn)
    where = f"{info.get('host', '')}:{info.get('port', '')}/{info.get('dbname', '')}"
    name = re.sub(r"[^A-Za-z0-9_-]", "_", str(info.get("dbname") or "db"))[:40]
    return f"{name}-{hashlib.sha256(where.encode()).hexdigest()[:10]}"


class TileService:
    """Renders tiles with a connection source, caching them on disk per data version when enabled."""

    def __init__(self, dsn: str, cache_dir: Path | None) -> None:
        self.version = DataVersion(dsn)
        self.cache = TileCache(cache_dir / database_key(dsn)) if cache_dir else None
        for legacy in cache_dir.iterdir() if cache_dir and cache_dir.is_dir() else ():
            if legacy.name.isdigit():  # a data version folder of the layout before per-database folders
                shutil.rmtree(legacy, ignore_errors=True)
        self._swept = -1

    def get(self, connect, req: TileRequest) -> Entry:
        """The tile for `req`: from the cache when it holds this data version's copy, else rendered."""
        return self.serve(connect, req, self.version.current()).entry

    def serve(self, connect, req: TileRequest, believed: int) -> Served:
        """The tile for `req`, the data version it belongs to and whether it came from the cache.

        `believed` is the version the database behind `connect` is thought to be at: a cache hit under it is
        served as is; a miss is rendered, and stored under the version read in the tile's own snapshot, so a
        replica that has not replayed a change never fills the new version's slot with old rows.
        """
        if self.cache is not None:
            hit = self.cache.get(believed, req.key, req.z, req.x, req.y)
            if hit is not None:
                return Served(hit, believed, True)
        with connect() as conn:
            version = read_version(conn)
            entry = make_entry(render_many(conn, list(req.layers), req.z, req.x, req.y, dict(req.filters)))
        if self.cache is not None:
            self.cache.put(version, req.key, req.z, req.x, req.y, entry)
            if version > self._swept:
                self.cache.sweep(version, only_older=self._swept >= 0)  # a process's first sweep clears the rest
                self._swept = version
        return Served(entry, version, False)
