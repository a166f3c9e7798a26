"""Tile SQL, built once per layer, mode and filter combination; values are always bind parameters."""

from __future__ import annotations

from psycopg import sql

from layers.base import Layer

EXTENT = 4096
BUFFER = 64  # pixels of context around point tiles, so symbols at tile edges are not cut
# Cluster grid cell in tile units: 1/16 of a tile, 32 px on a 512-px map tile, about a cluster symbol's size.
CLUSTER_CELL = EXTENT // 16
CELLS_PER_TILE = EXTENT // CLUSTER_CELL  # the 16 of migration 0006's `2 ^ (z + 4)` cells per world side


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
    inner = sql.SQL("""
        SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(p.x), avg(p.y)), 3857), {env}, {extent}, 0, false)
                   AS geom, {aggs}
        FROM (SELECT ST_X(m.g) AS x, ST_Y(m.g) AS y, f.*
              FROM ({features}) AS f, LATERAL (SELECT ST_Transform(f.geom, 3857) AS g) AS m) AS p,
             (SELECT ST_XMin(b.e) AS tw, ST_YMin(b.e) AS ts, ST_XMax(b.e) AS te, ST_YMax(b.e) AS tn,
                     (1 << %(z)s) - 1 AS last
              FROM (SELECT {env} AS e) AS b) AS t
        WHERE (p.x >= t.tw OR %(tx)s = 0) AND (p.x < t.te OR %(tx)s = t.last)
          AND (p.y <= t.tn OR %(ty)s = 0) AND (p.y > t.ts OR %(ty)s = t.last)
        GROUP BY floor((p.x - t.tw) / %(cell)s), floor((t.tn - p.y) / %(cell)s)""").format(
        env=env, extent=sql.Literal(EXTENT), aggs=sql.SQL(", ").join(aggs), features=features)
    return _mvt(layer, inner, None)


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
        inner = sql.SQL("""
            SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(sum(sx) / sum(n), sum(sy) / sum(n)), 3857), {env}, {extent},
                                0, false) AS geom, {aggs}
            FROM {table} WHERE {where}
            GROUP BY cx, cy HAVING sum(n) > 0""").format(
            env=env, extent=sql.Literal(EXTENT), aggs=sql.SQL(", ").join(aggs),
            table=sql.Identifier(cells.table), where=sql.SQL(" AND ").join(where))
        return _mvt(layer, inner, None)
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
