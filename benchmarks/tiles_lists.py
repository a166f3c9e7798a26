"""Fixed tile lists for the tile benchmark: zoom ladders around real places and a map-session mix."""

from __future__ import annotations

import math

import mercantile

Tile = tuple[int, int, int]  # z, x, y

# (name, longitude, latitude): city centres and industrial areas with many facilities.
PLACES = [
    ("Beijing", 116.397, 39.909),
    ("Shanghai", 121.473, 31.230),
    ("Tangshan", 118.180, 39.631),
    ("Guangzhou", 113.264, 23.129),
    ("Chongqing", 106.551, 29.563),
    ("Wuhan", 114.305, 30.593),
    ("Chengdu", 104.066, 30.572),
    ("Shenyang", 123.431, 41.805),
]
ZOOMS = range(3, 15)  # z3..z14
CHINA = (73.5, 18.0, 135.1, 53.6)  # w, s, e, n
CHINA_CENTRE = (104.0, 35.0)
VIEWPORT = (1280, 800)  # CSS pixels; 256-pixel tiles
_HALF = 20037508.342789244  # half the web-mercator world width, metres


def _pixel(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Global pixel coordinates (256-pixel tiles, origin top-left) of a point at zoom z."""
    x, y = mercantile.xy(lon, lat)
    size = 256 * (1 << z)
    return (x / _HALF + 1) / 2 * size, (1 - y / _HALF) / 2 * size


def around(lon: float, lat: float, z: int) -> list[Tile]:
    """The 2x2 tiles meeting at the tile corner nearest the point (what a small map centred there shows)."""
    px, py = _pixel(lon, lat, z)
    cx, cy = round(px / 256), round(py / 256)  # nearest corner
    n = 1 << z
    return [(z, x % n, y) for y in (cy - 1, cy) for x in (cx - 1, cx) if 0 <= y < n]


def viewport(lon: float, lat: float, z: int, dx_px: float = 0.0, dy_px: float = 0.0) -> list[Tile]:
    """Tiles a VIEWPORT-sized map centred on the point (shifted by dx, dy pixels) requests, centre first."""
    px, py = _pixel(lon, lat, z)
    px, py = px + dx_px, py + dy_px
    w, h = VIEWPORT
    n = 1 << z
    xs = range(math.floor((px - w / 2) / 256), math.floor((px + w / 2) / 256) + 1)
    ys = range(max(0, math.floor((py - h / 2) / 256)), min(n - 1, math.floor((py + h / 2) / 256)) + 1)
    tiles = [(z, x % n, y) for y in ys for x in xs]
    cx, cy = px / 256, py / 256
    return sorted(tiles, key=lambda t: (t[1] + 0.5 - cx) ** 2 + (t[2] + 0.5 - cy) ** 2)


def ladder() -> dict[int, list[Tile]]:
    """Per zoom z3..z14: the 2x2 tiles around every place (deduplicated, in a fixed order)."""
    out: dict[int, list[Tile]] = {}
    for z in ZOOMS:
        seen: dict[Tile, None] = {}
        for _, lon, lat in PLACES:
            for t in around(lon, lat, z):
                seen.setdefault(t)
        out[z] = list(seen)
    return out


SESSION_CITIES = ["Beijing", "Shanghai", "Guangzhou", "Chongqing", "Wuhan"]


def session(city: str) -> list[Tile]:
    """One user's visit: China at z4, fly to the city (z6, z8, z10, z12), pan twice, zoom out to z11.

    Only tiles the map has not loaded yet in this session are requested (the browser keeps the rest).
    """
    lon, lat = next((lo, la) for name, lo, la in PLACES if name == city)
    views = [viewport(*CHINA_CENTRE, 4)]
    views += [viewport(lon, lat, z) for z in (6, 8, 10, 12)]
    views += [viewport(lon, lat, 12, 600, 0), viewport(lon, lat, 12, 600, 400)]
    views += [viewport(lon, lat, 11, 300, 200)]
    seen: dict[Tile, None] = {}
    for v in views:
        for t in v:
            seen.setdefault(t)
    return list(seen)


def mix() -> list[Tile]:
    """The map-session mix: several sessions back to back (the z4 overview recurs, as on real page loads)."""
    return [t for city in SESSION_CITIES for t in session(city)]


def china_low() -> list[Tile]:
    """Every tile of z0..z5 covering China (for the size check)."""
    return [(t.z, t.x, t.y) for t in mercantile.tiles(*CHINA, zooms=list(range(0, 6)))]


def warm_up() -> list[Tile]:
    """Tiles around Xi'an and Hangzhou (in no measured list) at the mix's zooms, to open connections with."""
    measured = set(mix()) | {t for ts in ladder().values() for t in ts}
    tiles = [t for lon, lat in ((108.94, 34.34), (120.16, 30.27)) for z in (4, 6, 8, 10, 11, 12)
             for t in around(lon, lat, z)]
    return [t for t in dict.fromkeys(tiles) if t not in measured]
