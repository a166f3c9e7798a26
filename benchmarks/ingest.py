"""IPE-scale ingest: `bluemap load-file` (validated, idempotent, all or nothing) against its peers on the same rows:
`ogr2ogr -f PostgreSQL` (PG_USE_COPY) into a table with the same indexes, and psql's raw COPY into text columns.

Usage: python -m benchmarks.ingest [--facilities N] [--violations N] (or positionally: [N_FACILITIES [N_VIOLATIONS]];
IPE scale by default: 1,200,000 and 2,000,000); BLUEMAP_BENCH_DB names another benchmark database than bluemap_bench
(which this benchmark recreates, and the other benchmarks read). Our loads run `bluemap load-file` without the tile
pre-render that follows a load (BLUEMAP_TILE_CACHE=false): the load alone, as ogr2ogr's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psycopg

from app.settings import get_settings
from benchmarks import common
from benchmarks.common import timed
from data.synth import ipe

common.BENCH_DB = os.environ.get("BLUEMAP_BENCH_DB", common.BENCH_DB)


def rows_in(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh) - 1


def ogr2ogr(url: str, kind: str, path: Path) -> tuple[float, int, int]:
    """ogr2ogr of the CSV into a new ogr_<kind> (its COPY path; points from lon/lat for facilities), then the
    secondary indexes of <kind> made on it (those whose columns it has): seconds in all, indexes made, skipped."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    pg = " ".join(f"{k}={info[k]}" for k in ("host", "port", "user", "dbname") if k in info)
    xy = ["-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-a_srs", "EPSG:4326", "-nlt", "POINT",
          "-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=NONE"] if kind == "facilities" else []
    with psycopg.connect(url, autocommit=True) as c:
        c.execute(f"DROP TABLE IF EXISTS ogr_{kind}")
        defs = [d for (d,) in c.execute("SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = "
                                        "%s::regclass AND NOT indisprimary", (kind,)).fetchall()]
    t0 = time.perf_counter()
    timed(["ogr2ogr", "-f", "PostgreSQL", f"PG:{pg}", str(path), "-nln", f"ogr_{kind}", "--config", "PG_USE_COPY",
           "YES", "-gt", "65536", *xy])
    made = skipped = 0
    with psycopg.connect(url, autocommit=True) as c:
        for d in defs:
            try:
                c.execute(d.replace(f" ON public.{kind} ", f" ON public.ogr_{kind} ").replace(
                    "CREATE UNIQUE INDEX", "CREATE INDEX").replace(" INDEX ", " INDEX ogr_", 1))
                made += 1
            except psycopg.Error:  # a column the raw file does not have (company_id, dataset_id, ...)
                skipped += 1
    return time.perf_counter() - t0, made, skipped


def _sizes() -> tuple[int, int]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ingest")
    ap.add_argument("n", nargs="*", type=int, help="facilities and violations, positionally")
    ap.add_argument("--facilities", type=int, default=None, help="facilities (default 1,200,000)")
    ap.add_argument("--violations", type=int, default=None, help="violations (default 2,000,000)")
    a = ap.parse_args()
    pos = [*a.n, None, None]
    return (a.facilities or pos[0] or 1_200_000, a.violations or pos[1] or 2_000_000)


def main() -> None:
    N_FAC, N_VIO = _sizes()
    out = get_settings().var_dir / "synth" / f"{N_FAC}-{N_VIO}"
    fac, vio = out / "facilities.csv", out / "violations.csv"
    if not (fac.exists() and vio.exists()):
        print(f"generating {N_FAC} facilities and {N_VIO} violations into {out} ...", flush=True)
        ipe.write_csv(out, N_FAC, N_VIO)
    url = common.bench_url(fresh=True)
    with psycopg.connect(url) as c:  # provinces, for area codes of rows that have none
        from data.loaders import natural_earth
        natural_earth.load(c)
    env = {"DATABASE_URL": url, "BLUEMAP_TILE_CACHE": "false"}
    load_before = os.getloadavg()
    kinds = (("facilities", fac), ("violations", vio))
    ours = {kind: timed([sys.executable, "-m", "ops.cli", "load-file", kind, str(p), "--dataset-id",
                         "synthetic-ipe"], env) for kind, p in kinds}
    ogr = {kind: ogr2ogr(url, kind, p) for kind, p in kinds}
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS raw_facilities, raw_violations")
        c.execute(f"CREATE TABLE raw_facilities ({', '.join(h + ' text' for h in ipe.FACILITY_HEADER)})")
        c.execute(f"CREATE TABLE raw_violations ({', '.join(h + ' text' for h in ipe.VIOLATION_HEADER)})")
        c.execute("DROP TABLE IF EXISTS ogr_facilities, ogr_violations")
    raw = {kind: timed(["psql", url, "-v", "ON_ERROR_STOP=1", "-c",
                        f"\\copy raw_{kind} FROM '{p}' WITH (FORMAT csv, HEADER true)"]) for kind, p in kinds}
    load_after = os.getloadavg()
    print(f"\nIngest of synthetic IPE-like data ({N_FAC:,} facilities, {N_VIO:,} violations), same database; load "
          f"average {load_before[0]:.1f} before, {load_after[0]:.1f} after ({os.cpu_count()} cores)\n")
    print(f"{'file':<12}{'rows':>11}{'bluemap s':>11}{'rows/s':>10}{'peak MB':>9}{'ogr2ogr s':>11}{'rows/s':>10}"
          f"{'raw COPY s':>12}{'rows/s':>10}")
    for kind, p in kinds:
        n = rows_in(p)
        o, (g, made, skipped), r = ours[kind], ogr[kind], raw[kind]
        print(f"{kind:<12}{n:>11,}{o.seconds:>11.1f}{n / o.seconds:>10,.0f}{o.peak_mb:>9.0f}"
              f"{g:>11.1f}{n / g:>10,.0f}{r.seconds:>12.1f}{n / r.seconds:>10,.0f}   ({made} indexes, {skipped} n/a)")
    print("\nbluemap: every row checked, companies and facilities resolved, all or nothing, summaries and cells "
          "kept;\nogr2ogr: -f PostgreSQL, PG_USE_COPY, into a new table, then the same indexes built (no checks);\n"
          "raw COPY: text columns, no validation, no indexes")


if __name__ == "__main__":
    main()
