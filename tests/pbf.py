"""A minimal protobuf reader for tests: (field number, value) pairs of one message."""

from __future__ import annotations

from collections.abc import Iterator


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(data: bytes) -> Iterator[tuple[int, int | bytes]]:
    """Fields of a message: varints as ints, length-delimited as bytes."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
            yield num, value
        elif wire == 2:
            n, i = _varint(data, i)
            yield num, data[i:i + n]
            i += n
        else:
            raise ValueError(f"unexpected wire type {wire}")


def unzigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)
