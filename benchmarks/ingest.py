"""IPE-scale ingest: `bluemap load-file` (validated, idempotent) against psql's raw COPY of the same rows."""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg

from app.settings import get_settings
from benchmarks.common import bench_url, timed
from data.synth import ipe

N_FAC = int(sys.argv[1]) if len(sys.argv) > 1 else 1_200_000
N_VIO = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000


def rows_in(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh) - 1


def main() -> None:
    out = get_settings().var_dir / "synth" / f"{N_FAC}-{N_VIO}"
    fac, vio = out / "facilities.csv", out / "violations.csv"
    if not (fac.exists() and vio.exists()):
        print(f"generating {N_FAC} facilities and {N_VIO} violations into {out} ...", flush=True)
        ipe.write_csv(out, N_FAC, N_VIO)
    url = bench_url(fresh=True)
    with psycopg.connect(url) as c:  # provinces, for area codes of rows that have none
        from data.loaders import natural_earth
        natural_earth.load(c)
    env = {"DATABASE_URL": url}
    ours = {kind: timed([sys.executable, "-m", "ops.cli", "load-file", kind, str(p), "--dataset-id",
                         "synthetic-ipe"], env) for kind, p in (("facilities", fac), ("violations", vio))}
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS raw_facilities, raw_violations")
        c.execute(f"CREATE TABLE raw_facilities ({', '.join(h + ' text' for h in ipe.FACILITY_HEADER)})")
        c.execute(f"CREATE TABLE raw_violations ({', '.join(h + ' text' for h in ipe.VIOLATION_HEADER)})")
    raw = {kind: timed(["psql", url, "-v", "ON_ERROR_STOP=1", "-c",
                        f"\\copy raw_{kind} FROM '{p}' WITH (FORMAT csv, HEADER true)"])
           for kind, p in (("facilities", fac), ("violations", vio))}
    print(f"\nIngest of IPE-scale synthetic data ({N_FAC:,} facilities, {N_VIO:,} violations), same database\n")
    print(f"{'file':<12}{'rows':>11}{'bluemap s':>11}{'rows/s':>10}{'peak MB':>9}"
          f"{'raw COPY s':>12}{'rows/s':>10}{'ratio':>7}")
    for kind, p in (("facilities", fac), ("violations", vio)):
        n = rows_in(p)
        o, r = ours[kind], raw[kind]
        print(f"{kind:<12}{n:>11,}{o.seconds:>11.1f}{n / o.seconds:>10,.0f}{o.peak_mb:>9.0f}"
              f"{r.seconds:>12.1f}{n / r.seconds:>10,.0f}{r.seconds / o.seconds:>7.2f}")
    print("\nratio = bluemap rows/s / raw COPY rows/s (raw COPY: text columns, no validation, no indexes)")


if __name__ == "__main__":
    main()
