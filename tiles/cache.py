"""A tile cache on disk, shared by every worker process; entries are keyed by the data version."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

_ETAG_LEN = 32
# zlib level 3: a third of level 6's CPU on 100 KB tiles for 6-8% more bytes (measured on IPE-scale tiles).
GZIP_LEVEL = 3


@dataclass(frozen=True)
class Entry:
    """A rendered tile: its gzip-compressed bytes, their raw size and a strong validator."""

    gz: bytes
    etag: str
    empty: bool

    def raw(self) -> bytes:
        """The uncompressed tile."""
        return gzip.decompress(self.gz) if self.gz else b""


def _cost(entry: Entry) -> int:
    """Bytes an entry holds in memory: its body and about 200 of bookkeeping."""
    return len(entry.gz) + 200


def make_entry(raw: bytes) -> Entry:
    """Compress and fingerprint a freshly rendered tile."""
    etag = hashlib.blake2b(raw, digest_size=16).hexdigest()
    return Entry(gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0) if raw else b"", etag, not raw)


class TileCache:
    """Files under root/<data version>/<layer key>/<filter key>/z/x/y; older versions are swept away.

    Each process also keeps the tiles it served most recently in memory (up to `memory_bytes`), so a hot
    tile costs no file system call; entries are keyed by data version like the files.
    """

    def __init__(self, root: Path, memory_bytes: int = 64 << 20) -> None:
        self.root = Path(root)
        self.memory_bytes = memory_bytes
        self._mem: OrderedDict[tuple[int, str, int, int, int], Entry] = OrderedDict()
        self._mem_used = 0

    def _remember(self, k: tuple[int, str, int, int, int], entry: Entry) -> None:
        size = _cost(entry)
        if size > self.memory_bytes:
            return
        old = self._mem.pop(k, None)
        if old is not None:
            self._mem_used -= _cost(old)
        self._mem[k] = entry
        self._mem_used += size
        while self._mem_used > self.memory_bytes:
            _, dropped = self._mem.popitem(last=False)
            self._mem_used -= _cost(dropped)

    def _path(self, version: int, key: str, z: int, x: int, y: int) -> Path:
        return self.root / str(version) / key / str(z) / str(x) / f"{y}.tile"

    def get(self, version: int, key: str, z: int, x: int, y: int) -> Entry | None:
        """The cached tile of this data version, from memory or disk; None when absent."""
        k = (version, key, z, x, y)
        hit = self._mem.get(k)
        if hit is not None:
            self._mem.move_to_end(k)
            return hit
        try:
            data = self._path(version, key, z, x, y).read_bytes()
        except FileNotFoundError:
            return None
        entry = Entry(data[_ETAG_LEN:], data[:_ETAG_LEN].decode(), not data[_ETAG_LEN:])
        self._remember(k, entry)
        return entry

    def put(self, version: int, key: str, z: int, x: int, y: int, entry: Entry) -> None:
        """Store a tile on disk (atomically) and in memory."""
        path = self._path(version, key, z, x, y)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(entry.etag.encode() + entry.gz)
        os.replace(tmp, path)  # atomic: readers see the old file or the whole new one
        self._remember((version, key, z, x, y), entry)

    def sweep(self, keep_version: int, only_older: bool = False) -> None:
        """Delete entries of every other data version, or with `only_older` of older ones only.

        Behind replicas a lagging one may refill an older version meanwhile; it is swept at the next change.
        """
        def gone(v: int) -> bool:
            return v < keep_version if only_older else v != keep_version

        for k in [k for k in self._mem if gone(k[0])]:
            self._mem_used -= _cost(self._mem.pop(k))
        if not self.root.exists():
            return
        for child in self.root.iterdir():
            if not child.name.isdigit() or gone(int(child.name)):
                shutil.rmtree(child, ignore_errors=True)


def cache_key(layer_ids: list[str], filters: dict[str, dict[str, object]]) -> str:
    """Directory-safe key of a layer list and its filter values."""
    text = ",".join(layer_ids) + "?" + repr(sorted((k, sorted(v.items())) for k, v in filters.items()))
    return ",".join(layer_ids) + "-" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
