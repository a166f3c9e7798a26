"""Whether the keys of a file's blocks are all different, in little memory: a 64-bit hash of each key, kept.

A hash table of 2M keys (Arrow's unique) costs ~200 MB; 2M hashes cost 16 MB and one sort. Two keys with the same
hash count as the same key, so a rare collision only sends the load the slow way (it sorts out duplicates itself).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# Tabulation hashing: the hash of a string XORs one random word per (position mod 64, byte). Fixed seed: the
# same words in every run, so a run can be reproduced.
_WORDS = np.random.default_rng(20261130).integers(0, 2**64, size=(64, 256), dtype=np.uint64)
_LENGTHS = np.random.default_rng(3).integers(0, 2**64, size=64, dtype=np.uint64)


def string_hashes(arr: pa.Array) -> np.ndarray | None:
    """A 64-bit hash of each string of arr (None when it holds nulls or is no string array)."""
    if arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=width)[arr.offset:arr.offset + len(arr) + 1].astype(np.int64)
    data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]:offsets[-1]] if len(arr) else np.empty(0, np.uint8)
    starts, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
    pos = np.arange(len(data), dtype=np.int64) - np.repeat(starts, lengths)
    words = _WORDS[pos % 64, data]
    hashes = _LENGTHS[lengths % 64].copy()
    full = lengths > 0
    if full.any():  # (reduceat needs the start of each non-empty string, in order)
        hashes[full] ^= np.bitwise_xor.reduceat(words, starts[full])
    return hashes


class KeySet:
    """Keys added a block at a time; `distinct()`: whether no two of them are (or hash) the same."""

    def __init__(self) -> None:
        self.hashes: list[np.ndarray] = []
        self.unknown = False  # a block the hash cannot take

    def add(self, keys: pa.ChunkedArray | pa.Array) -> None:
        """Hash a block's keys."""
        for chunk in keys.chunks if isinstance(keys, pa.ChunkedArray) else [keys]:
            h = string_hashes(chunk)
            if h is None:
                self.unknown = True
            else:
                self.hashes.append(h)

    def distinct(self) -> bool:
        """True when every key added differs from every other (by its hash)."""
        if self.unknown:
            return False
        if not self.hashes:
            return True
        h = np.sort(np.concatenate(self.hashes))
        return not bool((h[1:] == h[:-1]).any())
