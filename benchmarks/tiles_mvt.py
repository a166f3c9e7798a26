"""Just enough Mapbox Vector Tile reading for the benchmark: features per layer, and our cluster counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of a protobuf message; LEN values as bytes."""
    i = 0
    v: int | bytes
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 2:
            n, i = _varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wt}")
        yield num, wt, v


def feature_count(tile: bytes) -> int:
    """Features in all layers of a tile (Tile.layers = 3, Layer.features = 2)."""
    return sum(1 for num, _, layer in _fields(tile) if num == 3
               for fnum, _, _ in _fields(layer) if fnum == 2)


def _packed(buf: bytes) -> list[int]:
    out, i = [], 0
    while i < len(buf):
        v, i = _varint(buf, i)
        out.append(v)
    return out


def property_sum(tile: bytes, key: str) -> int:
    """Sum of an integer property over every feature (our clusters' `count`); features without it add 1."""
    total = 0
    for num, _, layer in _fields(tile):
        if num != 3:
            continue
        keys, values, features = [], [], []
        for fnum, _, v in _fields(layer):
            if fnum == 3:
                keys.append(v.decode())
            elif fnum == 4:
                val = 0
                for vnum, _, vv in _fields(v):
                    if vnum in (4, 5):  # int_value, uint_value
                        val = vv
                    elif vnum == 6:  # sint_value (zigzag)
                        val = (vv >> 1) ^ -(vv & 1)
                values.append(val)
            elif fnum == 2:
                features.append(v)
        kidx = keys.index(key) if key in keys else -1
        for feat in features:
            tags = next((_packed(v) for n, _, v in _fields(feat) if n == 2), [])
            pairs = dict(zip(tags[0::2], tags[1::2], strict=False))
            total += values[pairs[kidx]] if kidx in pairs else 1
    return total
