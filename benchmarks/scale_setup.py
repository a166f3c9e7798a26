"""Clusters of the scale benchmark: a private primary with the IPE-scale data, and its streaming replicas.

The primary lives under var/bench/scale/primary-N-M (its own cluster, not the embedded one other work uses) and is
kept between runs once loaded: 1,200,000 synthetic facilities and no violations (BLUEMAP_SCALE_FACILITIES and
BLUEMAP_SCALE_VIOLATIONS for other counts, e.g. IPE's 2,000,000 violations: tiles then carry their counts), loaded
with `bluemap load-file` from the files benchmarks.ingest writes. Replicas are made fresh each run
(pg_basebackup -R, ops/replicas.py) and dropped at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg

from app.settings import PROJECT_ROOT, get_settings
from benchmarks.tiles_run import BENCH_DIR, free_port
from ops import replicas
from ops.cluster import Cluster

SCALE_DIR = BENCH_DIR / "scale"
N_FAC = int(os.environ.get("BLUEMAP_SCALE_FACILITIES", "1200000"))
N_VIO = int(os.environ.get("BLUEMAP_SCALE_VIOLATIONS", "0"))
DATABASE = "bluemap_scale"


def primary_cluster(port: int) -> Cluster:
    """The benchmark's own primary (its data directory persists; the port is chosen per run)."""
    return Cluster(SCALE_DIR / f"primary-{N_FAC}-{N_VIO}", port, "bluemap", DATABASE)


def facilities(url: str) -> int:
    """How many facilities the database holds (0 when not migrated yet)."""
    with psycopg.connect(url) as c:
        if c.execute("SELECT to_regclass('public.facilities')").fetchone()[0] is None:  # type: ignore[index]
            return 0
        return int(c.execute("SELECT count(*) FROM facilities").fetchone()[0])  # type: ignore[index]


def _load(url: str, log) -> None:
    """Migrate, then load the synthetic IPE-scale files with the CLI (validated, as users load theirs)."""
    from data.loaders import natural_earth
    from data.synth import ipe
    from db import migrations

    out = get_settings().var_dir / "synth" / f"{N_FAC}-{N_VIO or 2_000_000}"  # benchmarks.ingest's files
    fac, vio = out / "facilities.csv", out / "violations.csv"
    if not (fac.exists() and vio.exists()):
        log(f"generating the synthetic files into {out}")
        ipe.write_csv(out, N_FAC, N_VIO or 2_000_000)
    migrations.upgrade(url)
    with psycopg.connect(url) as c:
        natural_earth.load(c)
    for kind, path in (("facilities", fac), ("violations", vio))[:2 if N_VIO else 1]:
        log(f"loading {path} (bluemap load-file {kind})")
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "ops.cli", "load-file", kind, str(path), "--dataset-id", "synthetic-ipe"],
                       check=True, cwd=PROJECT_ROOT,
                       env={**os.environ, "DATABASE_URL": url, "BLUEMAP_VAR_DIR": str(SCALE_DIR / "load-var"),
                            "BLUEMAP_TILE_CACHE": "false"},  # no prerender: the app servers start cold
                       stdout=subprocess.DEVNULL)
        log(f"  {kind}: {time.monotonic() - t0:.0f} s")
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("VACUUM ANALYZE")


def start_primary(log) -> Cluster:
    """Start the primary on a free port, loading the data the first time (or when a load was cut short)."""
    p = primary_cluster(free_port())
    p.start()
    try:
        if facilities(p.url) != N_FAC:
            log(f"primary {p.url}: loading IPE-scale data (first run: several minutes)")
            p.destroy()
            p.start()
            _load(p.url, log)
    except BaseException:
        p.stop()
        raise
    # Replication needs WAL senders (PostgreSQL's defaults allow 10) and the trust line initdb writes.
    return p


def make_replicas(p: Cluster, n: int, log) -> list[Cluster]:
    """n fresh streaming replicas of the primary, each on a free port (any left from a crashed run dropped)."""
    for old in replicas.replicas(p):
        old.destroy()
    made = []
    for _ in range(n):
        t0 = time.monotonic()
        made.append(replicas.create(p, free_port()))
        log(f"replica on :{made[-1].port} ({time.monotonic() - t0:.0f} s)")
    return made


def wait_caught_up(p: Cluster, rs: list[Cluster], timeout: float = 120.0) -> None:
    """Until every replica has replayed what the primary had written when this was called."""
    with psycopg.connect(p.url, autocommit=True) as c:
        lsn = c.execute("SELECT pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
    deadline = time.monotonic() + timeout
    for r in rs:
        with psycopg.connect(r.url, autocommit=True) as c:
            while not c.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:  # type: ignore[index]
                if time.monotonic() > deadline:
                    raise SystemExit(f"replica :{r.port} did not catch up within {timeout:.0f} s")
                time.sleep(0.2)


def main() -> None:
    """Build (or check) the primary alone: `python -m benchmarks.scale_setup`."""
    def log(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    SCALE_DIR.mkdir(parents=True, exist_ok=True)
    p = start_primary(log)
    try:
        log(f"primary ready: {facilities(p.url):,} facilities")
    finally:
        p.stop()


if __name__ == "__main__":
    main()
