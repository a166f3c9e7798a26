"""The bundled place index (admin areas at every level, places) read from the database, kept per data version."""

from __future__ import annotations

import threading

import psycopg

from geo.gazetteer import Entry, Gazetteer

# Every admin area with a point inside it, and every place with the smallest loaded area holding it as parent.
AREAS = """
SELECT a.level, a.code, a.name_zh, a.name_en, a.parent_code,
       ST_X(coalesce(a.label_point, ST_PointOnSurface(a.geom))) AS lon,
       ST_Y(coalesce(a.label_point, ST_PointOnSurface(a.geom))) AS lat
FROM admin_areas a WHERE a.label_point IS NOT NULL OR a.geom IS NOT NULL"""
PLACES = """
SELECT p.name_zh, p.name_en, coalesce(p.pop_max, 0) AS pop, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat,
       (SELECT a.code FROM admin_areas a WHERE a.geom && p.geom AND ST_Intersects(a.geom, p.geom)
        ORDER BY CASE a.level WHEN 'county' THEN 0 WHEN 'prefecture' THEN 1 ELSE 2 END, a.code LIMIT 1) AS parent
FROM places p"""
VERSION = "SELECT version FROM data_version"

_lock = threading.Lock()
_cache: dict[str, tuple[int, Gazetteer]] = {}


def build(conn: psycopg.Connection) -> Gazetteer:
    """A fresh index of the admin areas and places in the database."""
    entries = [Entry(kind=level, code=code, name_zh=zh, name_en=en, parent=parent, lon=lon, lat=lat)
               for level, code, zh, en, parent, lon, lat in conn.execute(AREAS)]
    entries += [Entry(kind="place", name_zh=zh, name_en=en, population=pop, lon=lon, lat=lat, parent=parent)
                for zh, en, pop, lon, lat, parent in conn.execute(PLACES)]
    return Gazetteer(entries)


def gazetteer(conn: psycopg.Connection) -> Gazetteer:
    """The index for the current data version (built once per version and process; a one-row read otherwise)."""
    row = conn.execute(VERSION).fetchone()
    version = int(row[0]) if row else 0
    key = conn.info.dsn
    with _lock:
        hit = _cache.get(key)
        if hit and hit[0] == version:
            return hit[1]
    index = build(conn)
    with _lock:
        _cache[key] = (version, index)
    return index
