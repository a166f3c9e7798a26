"""The tile cache: disk files keyed by data version, with a bounded in-memory copy of recent tiles."""

from tiles.cache import TileCache, make_entry


def test_hits_come_from_memory_then_disk_and_versions_are_separate(tmp_path):
    cache = TileCache(tmp_path)
    entry = make_entry(b"\x1a\x02tile")
    cache.put(7, "factories-x", 3, 6, 3, entry)
    assert cache.get(7, "factories-x", 3, 6, 3) == entry
    assert cache.get(8, "factories-x", 3, 6, 3) is None
    fresh = TileCache(tmp_path)  # another worker: same files, empty memory
    assert fresh.get(7, "factories-x", 3, 6, 3) == entry
    fresh.sweep(8)
    assert not (tmp_path / "7").exists() and fresh.get(7, "factories-x", 3, 6, 3) is None


def test_memory_is_bounded_and_drops_the_least_recent(tmp_path):
    tiles = [make_entry(bytes([i]) * 5000 + bytes(range(256)) * i) for i in range(1, 6)]
    size = max(len(t.gz) for t in tiles) + 200
    cache = TileCache(tmp_path, memory_bytes=3 * size)
    for i, t in enumerate(tiles):
        cache.put(1, "k", 10, i, 0, t)
    assert cache._mem_used <= 3 * size
    assert [k[3] for k in cache._mem] == [2, 3, 4]
    (tmp_path / "1" / "k" / "10" / "0" / "0.tile").unlink()
    assert cache.get(1, "k", 10, 0, 0) is None  # gone from memory and disk
    assert cache.get(1, "k", 10, 3, 0) == tiles[3]


def test_two_databases_sharing_a_cache_directory_get_folders_of_their_own(tmp_path):
    """A load into another database (DATABASE_URL) must not sweep, or be served, the running service's tiles."""
    from tiles.service import TileService, database_key

    a = TileService("postgresql://u@127.0.0.1:54329/bluemap", tmp_path)
    b = TileService("postgresql://u@127.0.0.1:54329/bluemap_bench", tmp_path)
    c = TileService("host=127.0.0.1 port=5433 dbname=bluemap user=u", tmp_path)
    roots = {a.cache.root, b.cache.root, c.cache.root}
    assert len(roots) == 3 and all(r.parent == tmp_path for r in roots)
    assert database_key("postgresql://x@127.0.0.1:54329/bluemap") == a.cache.root.name  # the user does not count
    assert a.cache.root.name.startswith("bluemap-")
