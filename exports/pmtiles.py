"""PMTiles v3 archives of a layer's vector tiles (rendered by tiles.render, as the map serves them).

Layout: 127-byte header, root directory, JSON metadata, leaf directories, tile data. Directories are
varint-encoded (entry count, tile id deltas, run lengths, lengths, offsets with 0 meaning "right after the
previous tile"), then gzip-compressed; tiles are gzip-compressed MVT, written in tile-id (Hilbert) order,
identical tiles stored once. Spec: github.com/protomaps/PMTiles, spec/v3/spec.md.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mercantile
from psycopg import pq, sql

from exports.selection import WORLD, Source, key_column

HEADER_LEN = 127
ROOT_MAX = 16_384  # header + root directory must fit in the first 16 KiB
COMPRESSION_GZIP, TILETYPE_MVT = 2, 1
MERCATOR_LAT = 85.05112878
SELECTED = "bluemap_pmtiles_selection"  # temporary table of the selected features' keys


def _rotate(n: int, x: int, y: int, rx: int, ry: int) -> tuple[int, int]:
    if ry == 0:
        if rx != 0:
            x, y = n - 1 - x, n - 1 - y
        x, y = y, x
    return x, y


def tile_id(z: int, x: int, y: int) -> int:
    """Position of z/x/y on the sequence of Hilbert curves, zoom 0 first."""
    acc = ((1 << (2 * z)) - 1) // 3
    for a in range(z - 1, -1, -1):
        s = 1 << a
        rx, ry = s & x, s & y
        acc += ((3 * rx) ^ ry) << a
        x, y = _rotate(s, x, y, rx, ry)
    return acc


def tile_zxy(tid: int) -> tuple[int, int, int]:
    """Inverse of tile_id."""
    acc, z = 0, 0
    while True:
        n = 1 << (2 * z)
        if acc + n > tid:
            break
        acc += n
        z += 1
    pos = tid - acc
    x = y = 0
    s = 1
    while s < (1 << z):
        rx = 1 & (pos // 2)
        ry = 1 & (pos ^ rx)
        x, y = _rotate(s, x, y, rx, ry)
        x += s * rx
        y += s * ry
        pos //= 4
        s *= 2
    return z, x, y


def _varint(buf: bytearray, v: int) -> None:
    while v >= 0x80:
        buf.append((v & 0x7F) | 0x80)
        v >>= 7
    buf.append(v)


@dataclass
class Entry:
    """One directory entry: a run of `run_length` tiles from `tile_id` sharing the data at offset, length."""

    tile_id: int
    offset: int
    length: int
    run_length: int


def serialize_directory(entries: list[Entry]) -> bytes:
    """A directory: varint columns (ids as deltas, run lengths, lengths, offsets), gzip-compressed."""
    buf = bytearray()
    _varint(buf, len(entries))
    last = 0
    for e in entries:
        _varint(buf, e.tile_id - last)
        last = e.tile_id
    for e in entries:
        _varint(buf, e.run_length)
    for e in entries:
        _varint(buf, e.length)
    for i, e in enumerate(entries):
        if i > 0 and e.offset == entries[i - 1].offset + entries[i - 1].length:
            _varint(buf, 0)
        else:
            _varint(buf, e.offset + 1)
    return gzip.compress(bytes(buf), mtime=0)


def build_directories(entries: list[Entry]) -> tuple[bytes, bytes]:
    """(root, leaves): everything in the root when it fits in 16 KiB, else leaves of growing size."""
    root = serialize_directory(entries)
    if HEADER_LEN + len(root) <= ROOT_MAX:
        return root, b""
    leaf_size = 4096
    while True:
        leaves = bytearray()
        root_entries = []
        for i in range(0, len(entries), leaf_size):
            chunk = serialize_directory(entries[i:i + leaf_size])
            root_entries.append(Entry(entries[i].tile_id, len(leaves), len(chunk), 0))
            leaves += chunk
        root = serialize_directory(root_entries)
        if HEADER_LEN + len(root) <= ROOT_MAX:
            return root, bytes(leaves)
        leaf_size *= 2


def area_bounds(src: Source) -> tuple[float, float, float, float]:
    """The rectangle the archive covers: the selection's bbox or area, else the layer's bounds."""
    env = tuple(src.params[k] for k in "wsen")
    w, s, e, n = src.layer.bounds if env == WORLD else env
    return (max(w, -180.0), max(s, -MERCATOR_LAT), min(e, 180.0), min(n, MERCATOR_LAT))


def _ranges(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    w, s, e, n = bounds
    ul = mercantile.tile(w, n, z)
    lr = mercantile.tile(min(e, 179.999999), max(s, -MERCATOR_LAT + 1e-9), z)
    return ul.x, ul.y, lr.x, lr.y


def tile_count(conn: Any, src: Source, minzoom: int, maxzoom: int) -> int:
    """How many tiles the archive addresses at most (empty ones are left out)."""
    b = area_bounds(src)
    total = 0
    for z in range(minzoom, maxzoom + 1):
        x0, y0, x1, y1 = _ranges(b, z)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total


def write(conn: Any, src: Source, path: Path, minzoom: int, maxzoom: int, meta: dict[str, Any],
          progress: Any = None) -> Path:
    """Render every tile of the layer over the selection's rectangle and zooms into a PMTiles archive."""
    path = Path(path)
    with tempfile.TemporaryFile(dir=path.parent) as data:
        tiles = _write_tiles(conn, src, minzoom, maxzoom, data, progress)
        entries = tiles.entries
        root, leaves = build_directories(entries) if entries else (serialize_directory([]), b"")
        metadata = _metadata(src, minzoom, maxzoom, meta)
        root_off = HEADER_LEN
        meta_off = root_off + len(root)
        leaf_off = meta_off + len(metadata)
        data_off = leaf_off + len(leaves)
        w, s, e, n = area_bounds(src)
        cz = max(minzoom, min(maxzoom, (minzoom + maxzoom) // 2))
        header = struct.pack(
            "<7sBQQQQQQQQQQQBBBBBBiiiiBii", b"PMTiles", 3, root_off, len(root), meta_off, len(metadata),
            leaf_off, len(leaves), data_off, tiles.length, sum(x.run_length for x in entries), len(entries),
            tiles.contents,
            1, COMPRESSION_GZIP, COMPRESSION_GZIP, TILETYPE_MVT, minzoom, maxzoom,
            round(w * 1e7), round(s * 1e7), round(e * 1e7), round(n * 1e7), cz,
            round((w + e) / 2 * 1e7), round((s + n) / 2 * 1e7))
        assert len(header) == HEADER_LEN
        with open(path, "wb") as out:
            out.write(header + root + metadata + leaves)
            data.seek(0)
            shutil.copyfileobj(data, out, 1 << 20)
    return path


@dataclass
class _Written:
    """What `_write_tiles` wrote: the directory entries, the data section's length, distinct tiles."""

    entries: list[Entry]
    length: int
    contents: int


def _write_tiles(conn: Any, src: Source, minzoom: int, maxzoom: int, data: Any, progress: Any) -> _Written:
    """Render the tiles in tile-id order into `data` (gzip-compressed, identical tiles stored once)."""
    within = _keep_selected(conn, src)
    try:
        return _render_tiles(conn, src, minzoom, maxzoom, data, progress, within)
    finally:  # (after an error the transaction's rollback drops it)
        if within is not None and conn.info.transaction_status != pq.TransactionStatus.INERROR:
            conn.execute(f"DROP TABLE IF EXISTS pg_temp.{SELECTED}")


def _keep_selected(conn: Any, src: Source) -> sql.Composable | None:
    """With a bbox, polygon or area, the keys of the selection's features in a temporary table, and the tile
    condition keeping only them (tiles then hold what the GeoJSON export of the same request holds)."""
    sel = src.selection
    if not (sel.bbox or sel.polygon or sel.area):
        return None  # the layer's own filters are the tiles' filters
    key = sql.Identifier(key_column(src.layer))
    conn.execute(f"DROP TABLE IF EXISTS pg_temp.{SELECTED}")
    conn.execute(sql.SQL("CREATE TEMP TABLE {t} AS SELECT DISTINCT q.{k} AS k FROM ({q}) AS q").format(
        t=sql.Identifier(SELECTED), k=key, q=src.query), src.params)
    conn.execute(sql.SQL("CREATE INDEX ON {} (k)").format(sql.Identifier(SELECTED)))
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(SELECTED)))
    return sql.SQL("f.{k} IN (SELECT k FROM pg_temp.{t})").format(k=key, t=sql.Identifier(SELECTED))


def _render_tiles(conn: Any, src: Source, minzoom: int, maxzoom: int, data: Any, progress: Any,
                  within: sql.Composable | None) -> _Written:
    from tiles.render import render

    filters = dict(src.selection.filters)
    b = area_bounds(src)
    entries: list[Entry] = []
    seen: dict[bytes, tuple[int, int]] = {}
    offset = 0
    for z in range(minzoom, maxzoom + 1):
        x0, y0, x1, y1 = _ranges(b, z)
        for tid in sorted(tile_id(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)):
            _, x, y = tile_zxy(tid)
            raw = render(conn, src.layer, z, x, y, filters, within)
            if progress:
                progress(1)
            if not raw:
                continue
            blob = gzip.compress(raw, mtime=0)
            digest = hashlib.sha256(blob).digest()
            if digest not in seen:
                seen[digest] = (offset, len(blob))
                data.write(blob)
                offset += len(blob)
            off, length = seen[digest]
            last = entries[-1] if entries else None
            if last and last.offset == off and last.tile_id + last.run_length == tid:
                last.run_length += 1
            else:
                entries.append(Entry(tid, off, length, 1))
    return _Written(entries, offset, len(seen))


def _metadata(src: Source, minzoom: int, maxzoom: int, meta: dict[str, Any]) -> bytes:
    """The archive's JSON metadata, gzip-compressed: TileJSON-like fields and the export's provenance."""
    layer = src.layer
    return gzip.compress(json.dumps({
        "name": meta["title"], "description": meta["description"], "attribution": meta["attribution"],
        "type": "overlay", "format": "pbf",
        "vector_layers": [{"id": layer.id, "description": layer.description, "minzoom": minzoom,
                           "maxzoom": maxzoom, "fields": dict(layer.properties)
                           | (dict(layer.cluster_properties) if layer.cluster_below else {})}],
        "bluemap": meta,
    }, ensure_ascii=False).encode(), mtime=0)


def read_header(blob: bytes) -> dict[str, Any]:
    """The header fields of an archive (for tests and checks)."""
    names = ("magic", "version", "root_offset", "root_length", "metadata_offset", "metadata_length",
             "leaf_offset", "leaf_length", "data_offset", "data_length", "addressed_tiles", "tile_entries",
             "tile_contents", "clustered", "internal_compression", "tile_compression", "tile_type",
             "min_zoom", "max_zoom", "min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7", "center_zoom",
             "center_lon_e7",
             "center_lat_e7")
    return dict(zip(names, struct.unpack("<7sBQQQQQQQQQQQBBBBBBiiiiBii", blob[:HEADER_LEN]), strict=True))
