"""OpenStreetMap extracts into the `osm` schema with osm2pgsql's flex output, swapped in without downtime.

An import runs osm2pgsql (the Debian package) with `osm_flex.lua` into the staging schema `osm_next`; only
when it has succeeded does one transaction rename `osm` away, rename `osm_next` to `osm` and drop the old
tables, so tiles read the old streets until the commit and the new ones after it, never a half-loaded set.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from core.errors import Invalid, Unavailable
from data.catalog import DATASETS
from db.staging import bump_data_version, register_dataset

log = logging.getLogger(__name__)

DS = DATASETS["osm-extract"]
STYLE = Path(__file__).resolve().parent / "osm_flex.lua"
STAGING = "osm_next"
SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")
TABLES = ("roads", "railways", "water_lines", "water_areas", "landuse", "buildings", "places")
INSTALL = "apt-get install -y osm2pgsql (make installs it)"

_COLS = "kind text NOT NULL, name_zh text, name_en text, minzoom int NOT NULL"
EMPTY = f"""
CREATE TABLE {{s}}.roads (way_id bigint, {_COLS}, geom geometry(LineString, 4326) NOT NULL);
CREATE TABLE {{s}}.railways (way_id bigint, {_COLS}, geom geometry(LineString, 4326) NOT NULL);
CREATE TABLE {{s}}.water_lines (way_id bigint, {_COLS}, geom geometry(LineString, 4326) NOT NULL);
CREATE TABLE {{s}}.water_areas (area_id bigint, {_COLS}, geom geometry(Geometry, 4326) NOT NULL);
CREATE TABLE {{s}}.landuse (area_id bigint, {_COLS}, geom geometry(Geometry, 4326) NOT NULL);
CREATE TABLE {{s}}.buildings (area_id bigint, {_COLS}, geom geometry(Geometry, 4326) NOT NULL);
CREATE TABLE {{s}}.places (osm_type char(1), osm_id bigint, kind text NOT NULL, class text NOT NULL,
    name_zh text, name_en text, minzoom int NOT NULL, population bigint, geom geometry(Point, 4326) NOT NULL);
"""


@dataclass
class Import:
    """What an import did: the file, its size, the rows per table and how long it took."""

    source: str
    bytes: int
    counts: dict[str, int]
    seconds: float


def osm2pgsql() -> str:
    """Path of the osm2pgsql program; Unavailable with the install command when it is missing."""
    exe = shutil.which("osm2pgsql")
    if not exe:
        raise Unavailable(f"osm2pgsql is not installed: {INSTALL}")
    return exe


def check_file(path: Path) -> Path:
    """The extract's path when it exists and has an OSM suffix; Invalid otherwise."""
    if not path.name.lower().endswith(SUFFIXES):
        raise Invalid(f"{path.name}: an OpenStreetMap extract must end in {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise Invalid(f"{path}: no such file")
    return path


def run_osm2pgsql(url: str, path: Path, extra: tuple[str, ...] = (), schema: str = STAGING,
                  mode: str = "--create") -> None:
    """Import `path` into `schema` (the staging one, created empty) or, with mode --append, apply a change file to
    it; Invalid with osm2pgsql's reason if it fails. `extra` may hold --drop (no middle tables: not updatable)."""
    cmd = [osm2pgsql(), mode, "--output=flex", f"--style={STYLE}", "--slim", f"--middle-schema={schema}",
           "--log-level=warn", f"--database={url}", *extra, str(path)]
    env = {**os.environ, "BLUEMAP_OSM_SCHEMA": schema}
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if res.returncode != 0:
        lines = [ln for ln in (res.stderr or res.stdout).splitlines() if ln.strip()][-5:]
        raise Invalid(f"osm2pgsql could not import {path.name}: " + " | ".join(lines))


def counts(conn: psycopg.Connection, schema: str) -> dict[str, int]:
    """Rows per table of an `osm`-shaped schema."""
    return {t: conn.execute(f'SELECT count(*) FROM "{schema}"."{t}"').fetchone()[0]  # type: ignore[index]
            for t in TABLES}


def _reset_staging(conn: psycopg.Connection) -> None:
    conn.execute(f"DROP SCHEMA IF EXISTS {STAGING} CASCADE")
    conn.execute(f"CREATE SCHEMA {STAGING}")
    conn.commit()


def swap(conn: psycopg.Connection) -> None:
    """In the caller's transaction: the staging schema becomes `osm`, the old tables go."""
    conn.execute("SET LOCAL lock_timeout = '30s'")
    conn.execute("ALTER SCHEMA osm RENAME TO osm_prev")
    conn.execute(f"ALTER SCHEMA {STAGING} RENAME TO osm")
    conn.execute("DROP SCHEMA osm_prev CASCADE")


def load(url: str, path: Path, extra: tuple[str, ...] = (), updatable: bool = False) -> Import:
    """Import an extract and swap it in; the previous import keeps serving until then (and on any failure).

    `updatable` keeps osm2pgsql's middle tables (the nodes, ways and relations, in the `osm` schema beside the
    map tables, several times the extract's size), which `update` needs to apply change files.
    """
    path = check_file(Path(path))
    extra = extra if updatable else ("--drop", *extra)
    osm2pgsql()
    started, clock = datetime.now(UTC), time.monotonic()
    with psycopg.connect(url) as conn:
        _reset_staging(conn)
        try:
            run_osm2pgsql(url, path, extra)
        except BaseException:
            conn.execute(f"DROP SCHEMA IF EXISTS {STAGING} CASCADE")
            conn.commit()
            raise
        for table in TABLES:  # low zooms skip the many close-up rows (buildings) by this index, not the GiST
            conn.execute(f"CREATE INDEX ON {STAGING}.{table} (minzoom)")
            conn.execute(f"ANALYZE {STAGING}.{table}")
        rows = counts(conn, STAGING)
        seconds = time.monotonic() - clock
        swap(conn)
        register_dataset(conn, DS)
        conn.execute("INSERT INTO basemap_imports (source, bytes, started_at, seconds, counts) "
                     "VALUES (%s, %s, %s, %s, %s)", (path.name, path.stat().st_size, started, seconds, Jsonb(rows)))
        bump_data_version(conn)
        conn.commit()
    log.info("imported %s in %.1f s: %s", path.name, seconds, rows)
    return Import(path.name, path.stat().st_size, rows, seconds)


def drop(conn: psycopg.Connection) -> None:
    """Replace the imported streets with empty tables (in one transaction) and forget the data set."""
    conn.execute(f"DROP SCHEMA IF EXISTS {STAGING} CASCADE")
    conn.execute(f"CREATE SCHEMA {STAGING}")
    conn.execute(EMPTY.format(s=STAGING))
    swap(conn)
    conn.execute("DELETE FROM datasets WHERE id = %s", (DS.id,))
    bump_data_version(conn)


def status(conn: psycopg.Connection) -> dict[str, Any]:
    """The current import (None when none is loaded) and the rows per table."""
    row = conn.execute("SELECT source, bytes, started_at, finished_at, seconds FROM basemap_imports "
                       "ORDER BY id DESC LIMIT 1").fetchone()
    loaded = conn.execute("SELECT 1 FROM datasets WHERE id = %s", (DS.id,)).fetchone() is not None
    last = dict(zip(("source", "bytes", "started_at", "finished_at", "seconds"), row, strict=True)) if row else None
    return {"loaded": loaded, "import": last if loaded else None, "counts": counts(conn, "osm")}


CHANGE_SUFFIXES = (".osc", ".osc.gz", ".osc.bz2")
_RANK = {"node": 1, "way": 2, "relation": 3}


def updatable(conn: psycopg.Connection) -> bool:
    """True when the loaded extract kept its middle tables (`bluemap basemap load --updatable`)."""
    return conn.execute("SELECT to_regclass('osm.planet_osm_ways') IS NOT NULL").fetchone()[0]  # type: ignore[index]


def check_change_file(path: Path) -> Path:
    """The change file's path when it is a well-formed osmChange document; Invalid otherwise (before any change)."""
    import bz2
    import gzip
    from xml.etree.ElementTree import ParseError, iterparse

    if not path.name.lower().endswith(CHANGE_SUFFIXES):
        raise Invalid(f"{path.name}: an OpenStreetMap change file must end in {', '.join(CHANGE_SUFFIXES)}")
    if not path.is_file():
        raise Invalid(f"{path}: no such file")
    opener: Any = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix.lower(), open)
    root, last = None, (0, -(2**63))
    try:
        with opener(path, "rb") as f:
            for _, element in iterparse(f, events=("start",)):
                root = root if root is not None else element.tag
                rank = _RANK.get(element.tag)
                if rank is None:
                    continue
                key = (rank, int(element.get("id", "0")))
                if key < last:  # osm2pgsql stops at the first object out of order, after applying those before it
                    raise Invalid(f"{path.name} is not ordered (nodes, then ways, then relations, each by id): "
                                  f"{element.tag} {key[1]} comes too late")
                last = key
    except Invalid:
        raise
    except (ParseError, OSError, EOFError, ValueError) as exc:
        raise Invalid(f"{path.name} is not a readable osmChange file: {exc}") from None
    if root != "osmChange":
        raise Invalid(f"{path.name} is not an osmChange file (its root element is {root!r})")
    return path


def update(url: str, path: Path) -> Import:
    """Apply an OSM change file (.osc) to the loaded extract in place with osm2pgsql --append; bump the data version.

    The tables keep serving while it runs (each row replaced in its own step); a change file that is not
    well-formed is refused before anything changes. Invalid when the extract was not loaded updatable.
    """
    path = check_change_file(Path(path))
    osm2pgsql()
    started, clock = datetime.now(UTC), time.monotonic()
    with psycopg.connect(url) as conn:
        if not updatable(conn):
            raise Invalid("the loaded extract cannot take change files: load it with "
                          "`bluemap basemap load --updatable FILE` first")
        run_osm2pgsql(url, path, schema="osm", mode="--append")
        for table in TABLES:
            conn.execute(f"ANALYZE osm.{table}")
        rows, seconds = counts(conn, "osm"), time.monotonic() - clock
        conn.execute("INSERT INTO basemap_imports (source, bytes, started_at, seconds, counts) "
                     "VALUES (%s, %s, %s, %s, %s)", (path.name, path.stat().st_size, started, seconds, Jsonb(rows)))
        bump_data_version(conn)
        conn.commit()
    log.info("applied %s in %.1f s: %s", path.name, seconds, rows)
    return Import(path.name, path.stat().st_size, rows, seconds)
