"""Pure parts of the scale work: the tile cache sweep behind replicas, the column checks of bulk loads."""

from __future__ import annotations

import random

import pyarrow as pa

from ingest import bulk
from standards import uscc
from tiles.cache import TileCache, make_entry


def test_sweep_only_older_keeps_a_newer_version_a_lagging_replica_left(tmp_path):
    cache = TileCache(tmp_path)
    for v in (6, 7, 8):
        cache.put(v, "k", 1, 0, 0, make_entry(bytes([v])))
    cache.sweep(7, only_older=True)
    assert cache.get(6, "k", 1, 0, 0) is None and cache.get(8, "k", 1, 0, 0) is not None
    assert cache.get(7, "k", 1, 0, 0) is not None
    cache.sweep(7)
    assert cache.get(8, "k", 1, 0, 0) is None and not (tmp_path / "8").exists()


def test_column_uscc_check_agrees_with_the_row_check():
    rng = random.Random(7)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    codes = []
    for _ in range(400):
        body = rng.choice("19") + rng.choice("123") + "".join(rng.choice("0123456789") for _ in range(6)) + \
            "".join(rng.choice(alphabet) for _ in range(9))
        good = body + uscc._check_digit(body)
        codes.append(good if rng.random() < 0.5 else body + rng.choice(alphabet))
    codes += ["", "91110108551385082q", "9111010855138508", "91110108551385082Q "]
    cols = bulk.Columns(pa.table({"uscc": pa.array(codes)}))
    got = bulk._uscc_ok(cols, "uscc")
    for code, ok in zip(codes, got.tolist(), strict=True):
        if ok:  # what the columns accept, the row check accepts as it is (the reverse goes to the row check)
            assert code.strip() == "" or uscc.validate(code.strip()) == code.strip()
        elif code.strip() and code.strip() == code.strip().upper() and len(code.strip()) == 18:
            assert not uscc.is_valid(code.strip()) or not code.strip()[2:8].isdigit()


def test_points_are_hex_ewkb_rounded_like_the_row_path():
    import numpy as np
    from shapely import wkb

    hexes = bulk._points(np.array([116.123456789, -0.5]), np.array([39.987654321, 0.25])).to_pylist()
    pts = [wkb.loads(bytes.fromhex(h)) for h in hexes]
    assert (pts[0].x, pts[0].y) == (round(116.123456789, 7), round(39.987654321, 7))
    assert (pts[1].x, pts[1].y) == (-0.5, 0.25)
    assert all(h.startswith("0101000020e6100000") for h in hexes)  # little-endian point with SRID 4326
