"""Tile SQL, built once per layer, mode and filter combination; values are always bind parameters."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

from layers.base import Layer

EXTENT = 4096
BUFFER = 64  # pixels of context around point tiles, so symbols at tile edges are not cut
# Cluster grid cell in tile units: 1/16 of a tile, 32 px on a 512-px map tile, about a cluster symbol's size.
CLUSTER_CELL = EXTENT // 16
CELLS_PER_TILE = EXTENT // CLUSTER_CELL  # the 16 of migration 0006's `2 ^ (z + 4)` cells per world side
# Web Mercator: the world's half width and a cell's side at zoom z (2^(z+4) cells per side, as in migration 0006).
HALF = "20037508.342789244"
CELL_SIDE = sql.SQL("(2 * {h} / (2 ^ (%(z)s + 4)))").format(h=sql.SQL(HALF))


def _props(layer: Layer) -> sql.Composable:
    """The declared properties, plus a copy of the feature-id property (ST_AsMVT consumes that column)."""
    cols: list[sql.Composable] = [sql.Identifier(n) for n in layer.properties]
    if layer.feature_id:
        cols.append(sql.SQL("{} AS mvt_id").format(sql.Identifier(layer.feature_id)))
    return sql.SQL(", ").join(cols)


def _mvt(layer: Layer, inner: sql.Composable, feature_id: str | None) -> sql.Composed:
    fid = sql.SQL(", 'mvt_id'") if feature_id else sql.SQL("")
    return sql.SQL("SELECT ST_AsMVT(t, {name}, {extent}, 'geom'{fid}) FROM ({inner}) AS t").format(
        name=sql.Literal(layer.id), extent=sql.Literal(EXTENT), fid=fid, inner=inner)


def _clusters(layer: Layer, features: sql.Composable, env: sql.Composable) -> sql.Composed:
    """Grid clusters of the features in the tile, counted live."""
    aggs = [sql.SQL("count(*)::int AS count")] + [
        sql.SQL("{} AS {}").format(sql.SQL(expr), sql.Identifier(name))
        for name, expr in layer.cluster_aggregates.items()]
    # The tile's own EPSG:3857 bounds from ST_TileEnvelope (neighbours share their edge values exactly) and
    # half-open intervals like the cells of migration 0006: x in [west, east), y in (south, north], so a
    # feature on an edge is counted in exactly one tile; the world's last column and row keep their edges.
    # A cluster is drawn at its member nearest the members' centroid (a real place: a centroid of plants on both
    # sides of an estuary lies in the water): the smallest [squared distance, x, y] array of the cell. Distances
    # are in degrees of lon/lat, like the cells mode's index lookup (<-> on geometry), so both pick the same one.
    inner = sql.SQL("""
        SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint((min(ARRAY[q.d, q.x, q.y]))[2], (min(ARRAY[q.d, q.x, q.y]))[3]),
                                       3857), {env}, {extent}, 0, false) AS geom, {aggs}
        FROM (
            SELECT p.*, c.gx, c.gy, (ST_X(p.geom) - avg(p.x) OVER w * 180 / {h}) ^ 2
                   + (ST_Y(p.geom) - degrees(2 * atan(exp(avg(p.y) OVER w / 6378137.0)) - pi() / 2)) ^ 2 AS d
            FROM (SELECT ST_X(m.g) AS x, ST_Y(m.g) AS y, f.*
                  FROM ({features}) AS f, LATERAL (SELECT ST_Transform(f.geom, 3857) AS g) AS m) AS p,
                 (SELECT ST_XMin(b.e) AS tw, ST_YMin(b.e) AS ts, ST_XMax(b.e) AS te, ST_YMax(b.e) AS tn,
                         (1 << %(z)s) - 1 AS last
                  FROM (SELECT {env} AS e) AS b) AS t,
                 LATERAL (SELECT floor((p.x - t.tw) / %(cell)s) AS gx, floor((t.tn - p.y) / %(cell)s) AS gy) AS c
            WHERE (p.x >= t.tw OR %(tx)s = 0) AND (p.x < t.te OR %(tx)s = t.last)
              AND (p.y <= t.tn OR %(ty)s = 0) AND (p.y > t.ts OR %(ty)s = t.last)
            WINDOW w AS (PARTITION BY c.gx, c.gy)) AS q
        GROUP BY q.gx, q.gy""").format(
        env=env, extent=sql.Literal(EXTENT), aggs=sql.SQL(", ").join(aggs), features=features, h=sql.SQL(HALF))
    return _mvt(layer, inner, None)




def _cells(features: sql.Composable, env: sql.Composable, table: str, where: Sequence[sql.Composable],
           aggs: Sequence[sql.Composable], names: list[str]) -> sql.Composed:
    """Clusters from the pre-aggregated cells, each drawn at its member nearest the cell's centroid (an index
    nearest-neighbour lookup among the layer's features inside the cell)."""
    return sql.SQL("""
        SELECT ST_AsMVTGeom(coalesce(pick.g, c.centroid), {env}, {extent}, 0, false) AS geom, {names}
        FROM (SELECT cx, cy, ST_SetSRID(ST_MakePoint(sum(sx) / sum(n), sum(sy) / sum(n)), 3857) AS centroid, {aggs}
              FROM {table} WHERE {where}
              GROUP BY cx, cy HAVING sum(n) > 0) AS c,
             LATERAL (SELECT -{h} + c.cx * {side} AS x0, {h} - (c.cy + 1) * {side} AS y0) AS b
        LEFT JOIN LATERAL (
            SELECT ST_Transform(m.geom, 3857) AS g FROM ({features}) AS m
            WHERE m.geom && ST_Transform(ST_MakeEnvelope(b.x0, b.y0, b.x0 + {side}, b.y0 + {side}, 3857), 4326)
            ORDER BY m.geom <-> ST_Transform(c.centroid, 4326), ST_X(m.geom), ST_Y(m.geom) LIMIT 1) AS pick ON true
        """).format(
        env=env, extent=sql.Literal(EXTENT), aggs=sql.SQL(", ").join(aggs), table=sql.Identifier(table),
        where=sql.SQL(" AND ").join(where), features=features, h=sql.SQL(HALF), side=CELL_SIDE,
        names=sql.SQL(", ").join(sql.SQL("c.{}").format(sql.Identifier(n)) for n in names))


_BUILT: dict[tuple[str, str, frozenset[str]], sql.Composed] = {}


def tile_query(layer: Layer, mode: str, present: frozenset[str]) -> sql.Composed:
    """The query for one tile, built on first use and kept (one per layer, mode and filter set)."""
    key = (layer.id, mode, present)
    if key not in _BUILT:
        _BUILT[key] = build_query(layer, mode, present)
    return _BUILT[key]


def build_query(layer: Layer, mode: str, present: frozenset[str],
                within: sql.Composable | None = None) -> sql.Composed:
    """The query for one tile of `layer` in `mode` ('points', 'clusters', 'cells' or 'shapes').

    Parameters: %(z)s, %(tx)s, %(ty)s (the tile's address: ST_TileEnvelope gives its EPSG:3857 bounds, and
    the cells mode reads its cluster cells by it), %(w)s %(s)s %(e)s %(n)s (EPSG:4326 envelope used by the
    index, padded: the clusters mode cuts the tile's own bounds exactly), %(cell)s (cluster cell, metres),
    %(tol)s (simplification, metres), the filters present and whatever prepare() adds. `within`, when given, is
    one more condition on the feature row `f` (an export's selection), with whatever parameters it binds.
    """
    features = layer.features(present)
    if within is not None:
        features = sql.SQL("SELECT * FROM ({}) AS f WHERE {}").format(features, within)
    env = sql.SQL("ST_TileEnvelope(%(z)s, %(tx)s, %(ty)s)")
    if mode == "points":
        inner = sql.SQL("""
            SELECT ST_AsMVTGeom(ST_Transform(f.geom, 3857), {env}, {extent}, {buffer}, true) AS geom, {props}
            FROM ({features}) AS f""").format(env=env, extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER),
                                               props=_props(layer), features=features)
        return _mvt(layer, inner, layer.feature_id)
    if mode == "clusters":
        return _clusters(layer, features, env)
    if mode == "cells" and layer.cells is not None:
        cells = layer.cells
        # The same expressions as the index of migration 0006: one index range per tile.
        where: list[sql.Composable] = [
            sql.SQL("z = %(z)s AND cx / {n} = %(tx)s AND cy / {n} = %(ty)s").format(n=sql.Literal(CELLS_PER_TILE))]
        where += [sql.SQL(cells.filters[name]) for name in sorted(present)]
        aggs = [sql.SQL("sum(n)::int AS count")] + [
            sql.SQL("{} AS {}").format(sql.SQL(expr), sql.Identifier(name)) for name, expr in cells.aggregates.items()]
        names = ["count", *cells.aggregates]
        return _mvt(layer, _cells(features, env, cells.table, where, aggs, names), None)
    if mode == "shapes":
        inner = sql.SQL("""
            SELECT ST_AsMVTGeom(ST_SimplifyPreserveTopology(ST_Transform(f.geom, 3857), %(tol)s), {env}, {extent},
                                {buffer}, true) AS geom, {props}
            FROM ({features}) AS f""").format(env=env, extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER),
                                               props=_props(layer), features=features)
        return _mvt(layer, inner, layer.feature_id)
    raise ValueError(f"unknown tile mode {mode!r}")


def mode_for(layer: Layer, z: int) -> str:
    """How `layer` is drawn at zoom `z`."""
    if layer.geometry == "point":
        return "clusters" if layer.cluster_below is not None and z < layer.cluster_below else "points"
    return "shapes"
