"""Bulk upserts through COPY into a staging table, so loading the same rows twice changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import psycopg
from psycopg import sql

from core.datasets import Dataset


def ewkt_point(lon: float, lat: float) -> str:
    """EWKT of a WGS84 point, as COPY reads it into a geometry column."""
    return f"SRID=4326;POINT({lon!r} {lat!r})"


def register_dataset(conn: psycopg.Connection, ds: Dataset) -> None:
    """Insert or refresh a data set's licence and attribution row."""
    conn.execute(
        """INSERT INTO datasets (id, title, licence, licence_url, attribution, source_url, synthetic, loaded_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, now())
           ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, licence = EXCLUDED.licence,
             licence_url = EXCLUDED.licence_url, attribution = EXCLUDED.attribution,
             source_url = EXCLUDED.source_url, synthetic = EXCLUDED.synthetic, loaded_at = now()""",
        (ds.id, ds.title, ds.licence, ds.licence_url, ds.attribution, ds.source_url, ds.synthetic),
    )


REFRESH_DERIVED = "SELECT refresh_facility_cells()"  # the factories' cluster cells, when a bulk change left them stale


def bump_data_version(conn: psycopg.Connection, derived: bool = True) -> int:
    """Mark that data changed (caches key on this number), rebuilding derived tables first when stale (not with
    `derived`=False: the caller runs REFRESH_DERIVED after its commit; tiles read the live data until then)."""
    if derived:
        conn.execute(REFRESH_DERIVED)
    row = conn.execute(
        "UPDATE data_version SET version = version + 1, changed_at = now() RETURNING version").fetchone()
    assert row is not None
    return int(row[0])


def upsert(
    conn: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    conflict: Sequence[str],
    update: Sequence[str] = (),
    returning: bool = False,
) -> int:
    """COPY rows into a staging copy of `table`, then insert them, skipping or updating on `conflict`."""
    stage = sql.Identifier(f"stage_{table}")
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(stage))
    conn.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
        stage, cols, sql.Identifier(table)))
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(stage, cols)) as copy:
        for row in rows:
            copy.write_row(row)
    action: sql.Composable
    if update:
        action = sql.SQL("DO UPDATE SET {}").format(sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in update))
    else:
        action = sql.SQL("DO NOTHING")
    cur = conn.execute(sql.SQL(
        "INSERT INTO {t} ({cols}) SELECT DISTINCT ON ({key}) {cols} FROM {s} ON CONFLICT ({key}) {action}"
    ).format(t=sql.Identifier(table), cols=cols, s=stage,
             key=sql.SQL(", ").join(map(sql.Identifier, conflict)), action=action))
    return cur.rowcount
