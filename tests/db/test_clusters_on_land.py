"""Clusters are drawn at a member (the one nearest the members' centroid), never at an empty centroid."""

from __future__ import annotations

import mapbox_vector_tile
import mercantile
import pytest

from layers.factories import VISIBLE
from layers.registry import LAYERS
from tiles.render import params
from tiles.sql import EXTENT, build_query

LAYER = LAYERS.get("factories")
# The Pearl River estuary (Zhongshan and Shenzhen plants on both sides) and Beijing.
POINTS = ((113.7126, 22.5367), (116.40, 39.90))


def _clusters(conn, z, x, y, mode, filters):
    row = conn.execute(build_query(LAYER, mode, frozenset(filters)), params(LAYER, z, x, y) | filters).fetchone()
    data = bytes(row[0]) if row and row[0] else b""
    return mapbox_vector_tile.decode(data).get("factories", {"features": []})["features"] if data else []


def _gap_units(conn, t, coords) -> float:
    """Distance, in tile units, from a cluster's point to the nearest visible facility."""
    b = mercantile.xy_bounds(t)
    unit = (b.right - b.left) / EXTENT
    x, y = b.left + coords[0] * unit, b.bottom + coords[1] * unit
    gap = conn.execute(f"""
        SELECT min(ST_Distance(ST_Transform(f.geom, 3857), ST_SetSRID(ST_MakePoint(%s, %s), 3857)))
        FROM facilities f WHERE {VISIBLE} AND f.geom && ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 3857), 4326)""",
                       (x, y, b.left, b.bottom, b.right, b.top)).fetchone()[0]
    return gap / unit


@pytest.mark.parametrize("mode,filters", [("cells", {}), ("clusters", {}), ("cells", {"key_monitored": True}),
                                          ("clusters", {"industry": ["cement", "steel", "power_coal"]})])
def test_every_cluster_sits_on_one_of_its_members(conn, mode, filters):
    multi = 0
    for lon, lat in POINTS:
        for z in range(3, LAYER.cluster_below):
            t = mercantile.tile(lon, lat, z)
            for f in _clusters(conn, t.z, t.x, t.y, mode, filters):
                multi += f["properties"]["count"] > 1
                # ST_AsMVTGeom rounds to whole tile units: a member is at most half a unit's diagonal away.
                assert _gap_units(conn, t, f["geometry"]["coordinates"]) <= 0.75, (mode, z, f)
    assert multi > 10  # clusters of several facilities were checked, not only single ones


def test_cells_and_live_clusters_pick_the_same_member(conn):
    for lon, lat in POINTS:
        for z in (4, 7, 10):
            t = mercantile.tile(lon, lat, z)
            cells = sorted((f["properties"]["count"], tuple(f["geometry"]["coordinates"]))
                           for f in _clusters(conn, t.z, t.x, t.y, "cells", {}))
            live = sorted((f["properties"]["count"], tuple(f["geometry"]["coordinates"]))
                          for f in _clusters(conn, t.z, t.x, t.y, "clusters", {}))
            assert cells == live and cells
