"""Street basemap: import time of a generated city-sized OSM extract, then `streets` tile sizes and times z10-z16.

No real extract is bundled (and the benchmark machine has no internet), so the extract is generated: a grid
city of N x N blocks (a primary road every 8 blocks, secondary every 4, residential otherwise), each block with
buildings, every 5th block a park, and rivers across it. Usage:

    DATABASE_URL=postgresql://... python -m benchmarks.basemap [--blocks 120] [--keep]
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import tempfile
import time
from pathlib import Path

import mercantile
import psycopg

from data.loaders import osm_extract
from layers.registry import LAYERS
from tiles.render import render

ORIGIN, BLOCK = (121.20, 31.00), 0.0025  # about 240 m blocks from a corner in Shanghai's west


def generate(path: Path, blocks: int) -> Path:
    """Write a gzip-compressed OSM XML grid city of `blocks` x `blocks` blocks."""
    nid, wid = [0], [0]
    x0, y0 = ORIGIN
    ways: list[str] = []  # written after every node: osm2pgsql wants nodes, then ways

    def node(out, lon: float, lat: float) -> int:
        nid[0] += 1
        out.write(f'<node id="{nid[0]}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        return nid[0]

    def way(out, refs: list[int], tags: dict[str, str]) -> None:
        wid[0] += 1
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        ways.append(f'<way id="{wid[0]}" version="1">{nds}{tg}</way>\n')

    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="bluemap-bench">\n')
        for i in range(blocks + 1):
            kind = "primary" if i % 8 == 0 else "secondary" if i % 4 == 0 else "residential"
            for ew in (True, False):
                pts = [(x0 + j * BLOCK, y0 + i * BLOCK) if ew else (x0 + i * BLOCK, y0 + j * BLOCK)
                       for j in range(blocks + 1)]
                way(out, [node(out, *p) for p in pts], {"highway": kind, "name": f"路{i}{'东西' if ew else '南北'}"})
        for i in range(blocks):
            for j in range(blocks):
                bx, by = x0 + i * BLOCK, y0 + j * BLOCK
                if (i * blocks + j) % 5 == 0:
                    ring = [node(out, bx + a * BLOCK, by + b * BLOCK)
                            for a, b in ((0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9))]
                    way(out, [*ring, ring[0]], {"leisure": "park", "name": f"公园{i}-{j}"})
                    continue
                for k in range(4):
                    ax, ay = bx + (0.15 + 0.2 * k) * BLOCK, by + 0.2 * BLOCK
                    ring = [node(out, ax + dx, ay + dy) for dx, dy in ((0, 0), (0.0004, 0), (0.0004, 0.0012),
                                                                        (0, 0.0012))]
                    way(out, [*ring, ring[0]], {"building": "yes"})
        for r in range(0, blocks, 30):
            pts = [(x0 + j * BLOCK / 2, y0 + (r + 0.5) * BLOCK + 0.0004 * (j % 7)) for j in range(2 * blocks + 1)]
            way(out, [node(out, *p) for p in pts], {"waterway": "river", "name": f"河{r}"})
        out.writelines(ways)
        out.write("</osm>\n")
    return path


def tiles(url: str, blocks: int) -> None:
    """Sizes and render times of `streets` tiles over the city at z10-z16 (up to 30 tiles per zoom)."""
    layer = LAYERS.get("streets")
    x0, y0 = ORIGIN
    span = blocks * BLOCK
    with psycopg.connect(url) as conn:
        conn.execute("SET max_parallel_workers_per_gather = 0")
        for z in range(10, 17):
            mid = (x0 + span / 2, y0 + span / 2)  # the 30 tiles nearest the city's centre
            addrs = sorted(mercantile.tiles(x0, y0, x0 + span, y0 + span, z),
                           key=lambda t: sum((a - b) ** 2 for a, b in zip(mercantile.ul(t), mid, strict=True)))[:30]
            sizes, ms = [], []
            for t in addrs:
                started = time.perf_counter()
                sizes.append(len(render(conn, layer, z, t.x, t.y)))
                ms.append((time.perf_counter() - started) * 1000)
            print(f"z{z}: {len(addrs)} tiles, size median {statistics.median(sizes) / 1024:.1f} KB "
                  f"max {max(sizes) / 1024:.1f} KB, time median {statistics.median(ms):.0f} ms max {max(ms):.0f} ms")


def main() -> None:
    """Generate, import, measure."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=120)
    ap.add_argument("--keep", action="store_true", help="keep the import (default: drop it afterwards)")
    args = ap.parse_args()
    url = os.environ["DATABASE_URL"]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = generate(Path(tmp) / f"grid-{args.blocks}.osm.gz", args.blocks)
        took = time.perf_counter() - started
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB gzip in {took:.0f} s")
        done = osm_extract.load(url, path)
        print(f"imported in {done.seconds:.1f} s: {done.counts}")
    tiles(url, args.blocks)
    if not args.keep:
        with psycopg.connect(url) as conn:
            osm_extract.drop(conn)


if __name__ == "__main__":
    main()
