"""Conversions between WGS84, GCJ-02 and BD-09 (the datums Chinese maps and geocoders use)."""

from __future__ import annotations

import math
from collections.abc import Callable

# GCJ-02 uses the Krasovsky 1940 ellipsoid in its (reverse-engineered, unofficial) offset formula.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

DATUMS = ("wgs84", "gcj02", "bd09")

# Crude mainland bounding box used by the public algorithm: outside it GCJ-02 equals WGS84.
CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)


def in_china_bbox(lon: float, lat: float) -> bool:
    """True when the point lies inside the crude China bounding box."""
    w, s, e, n = CHINA_BBOX
    return w <= lon <= e and s <= lat <= n


def _delta(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
             + (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
             + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    m = 1.0 - _EE * math.sin(rad) ** 2
    d_lat = d_lat * 180.0 / ((_A * (1.0 - _EE)) / (m * math.sqrt(m)) * math.pi)
    d_lon = d_lon * 180.0 / (_A / math.sqrt(m) * math.cos(rad) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Apply the GCJ-02 offset to a WGS84 point."""
    if not in_china_bbox(lon, lat):
        return lon, lat
    d_lon, d_lat = _delta(lon, lat)
    return lon + d_lon, lat + d_lat


def _invert(forward: Callable[[float, float], tuple[float, float]], lon: float, lat: float,
            tolerance: float = 1e-10) -> tuple[float, float]:
    """Invert a small smooth offset by fixed-point iteration (converges to sub-millimetre)."""
    x, y = lon, lat
    for _ in range(40):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if abs(ex) < tolerance and abs(ey) < tolerance:
            break
    return x, y


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Invert GCJ-02 exactly (iteratively), not with the metre-level one-step approximation."""
    if not in_china_bbox(lon, lat):
        return lon, lat
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Baidu's BD-09 transform on top of GCJ-02."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Undo Baidu's BD-09 transform, giving GCJ-02 (iterated past the usual decimetre approximation)."""
    return _invert(gcj02_to_bd09, lon, lat)


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 to WGS84 through GCJ-02."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 to BD-09 through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


_TO_WGS84: dict[str, Callable[[float, float], tuple[float, float]]] = {
    "wgs84": lambda lon, lat: (lon, lat),
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}


def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """Convert a point given in `datum` to WGS84."""
    try:
        return _TO_WGS84[datum](lon, lat)
    except KeyError:
        raise ValueError(f"unknown datum {datum!r}; expected one of {', '.join(DATUMS)}") from None


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres on the mean Earth sphere."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))
