"""Addresses placed on a named street of the imported OpenStreetMap extract, inside the area their address names.

After the place index has found an address's county (or prefecture), the rest of the address is searched for the
name of a road of the `osm` schema (Chinese, or English of 5+ letters) lying in that area's polygon; the longest
name found wins (English names compared without spaces or case, as the rest has no spaces). Ways of that name
within STREET_GAP_M of each other are one street cut in segments: the point is the spot on them nearest their
centroid, precision 'street'. Ways of that name farther apart (two streets of one name), or two different names of
the same length, are not guessed: the address keeps its county placement and the caller is told why. One query
per batch of distinct addresses; without an import (empty tables) nothing is found.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from geo.gazetteer import Entry, Gazetteer

STREET_GAP_M = 3000  # ways of one name closer than this (in a chain) are one street
AREA_KINDS = ("county", "prefecture")
HAS_ROADS = "SELECT to_regclass('osm.roads') IS NOT NULL"
# Per address (i): the roads in its area whose name its rest holds, the longest names only; ways of one name
# clustered by gaps under the threshold (in web-mercator metres scaled to the area's latitude); one row per
# (address, name, cluster) with the point on the cluster nearest its centroid.
STREETS = """
WITH a AS (SELECT * FROM unnest(%(i)s::int[], %(rest)s::text[], %(code)s::text[]) AS a(i, rest, code)),
hit AS (
  SELECT a.i, coalesce(r.name_zh, r.name_en) AS name, r.geom, ST_Y(ST_Centroid(z.geom)) AS lat,
         greatest(CASE WHEN length(r.name_zh) >= 2 AND strpos(a.rest, r.name_zh) > 0 THEN length(r.name_zh) END,
                  CASE WHEN length(r.name_en) >= 5 AND strpos(lower(a.rest), lower(replace(r.name_en, ' ', ''))) > 0
                       THEN length(r.name_en) END) AS len
  FROM a JOIN admin_areas z ON z.code = a.code
  JOIN osm.roads r ON r.geom && z.geom AND ST_Intersects(r.geom, z.geom)
  WHERE (length(r.name_zh) >= 2 AND strpos(a.rest, r.name_zh) > 0)
     OR (length(r.name_en) >= 5 AND strpos(lower(a.rest), lower(replace(r.name_en, ' ', ''))) > 0)),
best AS (SELECT * FROM (SELECT *, max(len) OVER (PARTITION BY i) AS top FROM hit) h WHERE len = top),
clustered AS (
  SELECT i, name, geom,
         ST_ClusterDBSCAN(ST_Transform(geom, 3857), %(gap)s / cos(radians(lat)), 1) OVER (PARTITION BY i, name) AS cid
  FROM best),
streets AS (SELECT i, name, ST_Collect(geom) AS g FROM clustered GROUP BY i, name, cid)
SELECT i, name, ST_X(p), ST_Y(p) FROM (SELECT i, name, ST_ClosestPoint(g, ST_Centroid(g)) AS p FROM streets) s
ORDER BY i, name"""


@dataclass
class Street:
    """An address's street: its name and point, or why no street was chosen (`ambiguous`, point None)."""

    name: str
    area: Entry
    lon: float | None = None
    lat: float | None = None
    ambiguous: str | None = None


def area_of(path: list[Entry]) -> Entry | None:
    """The deepest county or prefecture an address was placed in (the area its street is looked for in)."""
    return next((e for e in reversed(path) if e.kind in AREA_KINDS and e.code), None)


def streets(conn: psycopg.Connection, index: Gazetteer, texts: list[str]) -> dict[str, Street]:
    """The street of each address that names one in its county or prefecture (one query for all of them)."""
    row = conn.execute(HAS_ROADS).fetchone() if texts else None
    if not row or not row[0]:
        return {}
    todo: list[tuple[str, Entry, str]] = []
    for text in dict.fromkeys(texts):
        path, clash = index.resolve(text)
        area = None if clash else area_of(path)
        rest = index.remainder(text, path) if area else ""
        if area and rest:
            todo.append((text, area, rest))
    if not todo:
        return {}
    params = {"i": list(range(len(todo))), "rest": [t[2] for t in todo], "code": [t[1].code for t in todo],
              "gap": STREET_GAP_M}
    found: dict[int, list[tuple[str, float, float]]] = {}
    for i, name, lon, lat in conn.execute(STREETS, params):
        found.setdefault(i, []).append((name, lon, lat))
    return {todo[i][0]: _choose(hits, todo[i][1]) for i, hits in found.items()}


def _choose(hits: list[tuple[str, float, float]], area: Entry) -> Street:
    """One street when one name names one street; otherwise why none was chosen."""
    where = area.name_zh or area.name_en
    names = sorted({h[0] for h in hits})
    if len(hits) == 1:
        return Street(hits[0][0], area, hits[0][1], hits[0][2])
    if len(names) == 1:
        return Street(names[0], area, ambiguous=f"{len(hits)} streets named {names[0]} in {where}, "
                                                f"over {STREET_GAP_M // 1000} km apart")
    return Street(names[0], area, ambiguous=f"the address names several streets of {where} ({', '.join(names)})")
