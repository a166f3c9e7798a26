"""Place search for near me and the map: provinces, prefectures, counties and places (bundled), and the names of
an imported OpenStreetMap extract when one is loaded; in Chinese, pinyin or English."""

from __future__ import annotations

import psycopg

from geo.gazetteer import CJK, KINDS, Entry, Gazetteer, fold
from ingest.geocode import gazetteer
from queries import rows
from queries.search import like_escape, searchable

# Names of an OpenStreetMap import (the basemap's osm schema), when the tables exist: places and neighbourhoods,
# then named roads (one row per name, at a point on the road). Chinese or English, exact or prefix.
OSM_TABLES = "SELECT to_regclass('osm.places') IS NOT NULL, to_regclass('osm.roads') IS NOT NULL"
OSM_PLACES = r"""
SELECT CASE WHEN kind IN ('neighbourhood', 'suburb', 'quarter') THEN 'neighbourhood' ELSE 'place' END AS kind,
       name_zh, name_en, coalesce(population, 0) AS population,
       ST_X(geom) AS lon, ST_Y(geom) AS lat, (name_zh = %(q)s OR lower(name_en) = lower(%(q)s)) AS exact
FROM osm.places
WHERE name_zh LIKE %(esc)s || '%%' OR name_en ILIKE %(esc)s || '%%'
ORDER BY exact DESC, population DESC NULLS LAST LIMIT %(limit)s"""
OSM_ROADS = r"""
SELECT 'street' AS kind, name_zh, name_en, 0 AS population,
       ST_X(ST_LineInterpolatePoint(geom, 0.5)) AS lon, ST_Y(ST_LineInterpolatePoint(geom, 0.5)) AS lat,
       (name_zh = %(q)s OR lower(name_en) = lower(%(q)s)) AS exact
FROM (SELECT DISTINCT ON (coalesce(name_zh, name_en)) name_zh, name_en, geom FROM osm.roads
      WHERE name_zh LIKE %(esc)s || '%%' OR name_en ILIKE %(esc)s || '%%'
      ORDER BY coalesce(name_zh, name_en), ST_Length(geom) DESC) r
ORDER BY exact DESC, name_zh LIMIT %(limit)s"""


def _result(index: Gazetteer, match: int, e: Entry) -> dict:
    """One search result: kind, names, point, population, and the areas it lies in (nearest first)."""
    within = [{"level": p.kind, "code": p.code, "name_zh": p.name_zh, "name_en": p.name_en}
              for p in index.chain(e)]
    province = next((p for p in reversed(within) if p["level"] == "province"), None)
    return {"kind": e.kind, "code": e.code, "name_zh": e.name_zh, "name_en": e.name_en,
            "lon": round(e.lon, 5), "lat": round(e.lat, 5), "population": e.population or None,
            "province": province["name_en"] if province else None, "within": within,
            "match": ("exact", "prefix", "substring")[match]}


def _osm(conn: psycopg.Connection, q: str, limit: int) -> list[tuple[int, dict]]:
    """Matches among the imported OpenStreetMap names (none when no import exists); CJK or Latin as typed."""
    has_places, has_roads = conn.execute(OSM_TABLES).fetchone() or (False, False)
    params = {"q": q, "esc": like_escape(q), "limit": limit}
    found = []
    for present, sql in ((has_places, OSM_PLACES), (has_roads, OSM_ROADS)):
        if present:
            found += [r for r in rows.dicts(conn, sql, params) if r["name_zh"] or r["name_en"]]
    out = []
    for r in found:
        exact = r.pop("exact")
        r |= {"code": None, "lon": round(r["lon"], 5), "lat": round(r["lat"], 5), "province": None, "within": [],
              "population": r["population"] or None, "name_en": r["name_en"] or r["name_zh"],
              "match": "exact" if exact else "prefix"}
        out.append((0 if exact else 1, r))
    return out


def places(conn: psycopg.Connection, q: str, limit: int) -> list[dict]:
    """Places matching q (Chinese, pinyin with or without spaces and tones, or English): exact before prefix before
    substring matches, then provinces, prefectures, counties, places, neighbourhoods, streets; then by population."""
    q = searchable(q)
    index = gazetteer(conn)
    found = [(m, _result(index, m, e)) for m, e in index.search(q, limit)]
    if CJK.search(q) or fold(q):
        found += _osm(conn, q, limit)
    found.sort(key=lambda x: (x[0], KINDS.index(x[1]["kind"]), -(x[1]["population"] or 0), x[1]["name_en"]))
    return [r for _, r in found[:limit]]
