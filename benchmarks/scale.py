"""Scaling out on one machine: 1, 2 and 3 app servers, each reading from its own streaming replica, behind nginx.

`python -m benchmarks.scale` (or `make bench-scale`): a private primary with the IPE-scale data
(benchmarks/scale_setup.py; loaded once, kept under var/bench/scale), three fresh streaming replicas, then for
N = 1, 2, 3: N gunicorn app servers (as `bluemap serve` runs them, WORKERS sync workers each; DATABASE_URL the
primary, DATABASE_REPLICA_URLS its own replica, its own BLUEMAP_VAR_DIR so its tile cache starts empty) behind
deploy/nginx.conf (templated with the N upstreams, an empty proxy cache), and wrk from loopback (CONNS
connections, the same for every N) through nginx:

* cold tiles: versioned URLs of distinct tiles never fetched before in that configuration (map sessions around
  facilities, shuffled), so nginx and the app's tile cache both miss and every request renders from a replica;
* hot tiles: the map-session mix of benchmarks/tiles_lists.py, fetched once first, then served by nginx's cache;
* search: the query mix of benchmarks/search.py (names in Chinese and English, USCCs), never cached.

Every run prints and writes (var/bench/scale-results.json) req/s, p50, p99, the ratio to N=1, the load average
and where the database transactions went (each replica and the primary). Everything started is stopped at the
end, replicas dropped, even on error or SIGTERM. Durations: BLUEMAP_SCALE_SECONDS (default 12 per run).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from urllib.parse import quote

import psycopg
import requests

from app.settings import PROJECT_ROOT
from benchmarks import scale_cpu
from benchmarks import scale_setup as setup
from benchmarks import search as search_bench
from benchmarks import tiles_lists as lists
from benchmarks.scale_nginx import nginx
from benchmarks.tiles_run import fetch_all, free_port, loadavg, server, wrk
from ops.cluster import Cluster

CONFIGS = (1, 2, 3)
WORKERS = int(os.environ.get("BLUEMAP_SCALE_WORKERS", "2"))  # gunicorn workers per app server
CONNS = 8  # wrk connections (one thread each), the same offered concurrency for every N
SECONDS = int(os.environ.get("BLUEMAP_SCALE_SECONDS", "12"))
COLD_PLACES = 300  # map sessions around this many facilities make the cold list
MIXES = ("cold tiles", "hot tiles", "search")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {loadavg()}] {msg}", flush=True)


@dataclass
class Row:
    """One mix through one configuration."""

    servers: int
    mix: str
    requests: int
    rate: float
    p50: float
    p99: float
    errors: int
    load_1m: float
    share: dict[str, float]  # database transactions during the run: fraction per server (replicas, primary)
    transactions: int
    distinct: int = 0  # the cold list's length (requests must stay below it: no tile fetched twice)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds during the run: app, nginx, replicas, ...


def tile_path(t: lists.Tile, version: str) -> str:
    return f"/tiles/factories/{t[0]}/{t[1]}/{t[2]}.mvt?v={version}"


def cold_tiles(url: str, exclude: set[lists.Tile]) -> list[lists.Tile]:
    """Distinct tiles of map sessions around COLD_PLACES facilities (a fixed sample), shuffled, none in `exclude`."""
    with psycopg.connect(url) as c:
        places = c.execute("SELECT ST_X(geom), ST_Y(geom) FROM facilities ORDER BY md5(id::text) LIMIT %s",
                           (COLD_PLACES,)).fetchall()
    seen: dict[lists.Tile, None] = {}
    for lon, lat in places:
        for z in (6, 8, 10, 11, 12):  # the zooms of the mix's sessions below their z4 overview
            for t in lists.viewport(lon, lat, z):
                if t not in exclude:
                    seen.setdefault(t)
    return random.Random(20261130).sample(list(seen), len(seen))


def transactions(clusters: dict[str, Cluster]) -> dict[str, int]:
    """Committed and rolled-back transactions of the benchmark database on each server, so far."""
    out = {}
    for name, cl in clusters.items():
        with psycopg.connect(cl.url, autocommit=True) as c:
            out[name] = int(c.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                                      (setup.DATABASE,)).fetchone()[0])  # type: ignore[index]
    return out


def app_server(name: str, primary: Cluster, replica: Cluster, var_dir) -> AbstractContextManager[str]:
    """One app server: gunicorn as `bluemap serve` runs it, reading from its own replica, a fresh var dir."""
    shutil.rmtree(var_dir, ignore_errors=True)
    (var_dir / "metrics").mkdir(parents=True)
    port = str(free_port())
    env = {"DATABASE_URL": primary.url, "DATABASE_REPLICA_URLS": replica.url, "PORT": port,
           "BLUEMAP_VAR_DIR": str(var_dir), "BLUEMAP_PROXY_FIX": "1", "BLUEMAP_TILE_CACHE": "true",
           "PROMETHEUS_MULTIPROC_DIR": str(var_dir / "metrics")}
    cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
           "--access-logfile", "-", "--timeout", "120", "app.wsgi:app"]
    return server(name, cmd, env, "/healthz")


def cpu_parts(clusters: dict[str, Cluster]) -> dict[str, list[int]]:
    """Root pids of each part: the app servers and nginx (children of this process), replicas, the primary."""
    me = os.getpid()
    kids = [(pid, comm) for pid, (comm, ppid, _) in scale_cpu.processes().items() if ppid == me]
    return {"app": [p for p, c in kids if c not in ("nginx", "wrk")], "nginx": [p for p, c in kids if c == "nginx"],
            "replicas": [scale_cpu.postmaster(r.datadir) for k, r in clusters.items() if k != "primary"],
            "primary": [scale_cpu.postmaster(clusters["primary"].datadir)]}


def measure(base: str, n: int, mix: str, paths: list[str], clusters: dict[str, Cluster]) -> Row:
    """wrk through nginx for SECONDS; the transactions each database served and the CPU each part used."""
    time.sleep(1.5)  # PostgreSQL publishes a backend's statistics at most once a second
    before = transactions(clusters)
    parts = cpu_parts(clusters)
    cpu0, t0 = scale_cpu.snapshot(parts), time.monotonic()
    w = wrk(base, paths, f"scale-{n}-{mix.replace(' ', '-')}", CONNS, SECONDS)
    cpu1 = scale_cpu.snapshot(parts)
    cpu = {k: cpu1[k] - cpu0[k] for k in cpu0} | {"wall": time.monotonic() - t0}
    cpu["others"] = cpu["machine"] - sum(v for k, v in cpu.items() if k not in ("machine", "wall"))
    time.sleep(1.5)
    after = transactions(clusters)
    delta = {k: after[k] - before[k] for k in clusters}
    total = max(sum(delta.values()), 1)
    errors = w.errors["status"] + w.errors["timeout"] + w.errors["connect"] + w.errors["read"]
    row = Row(n, mix, w.requests, w.rate, w.p50, w.p99, errors, os.getloadavg()[0],
              {k: v / total for k, v in delta.items() if v}, total, len(paths) if mix == "cold tiles" else 0, cpu)
    log(f"N={n} {mix}: {row.rate:,.0f} req/s, p50 {row.p50:.1f} ms, p99 {row.p99:.1f} ms, {errors} errors, "
        f"statuses {w.statuses}, {total:,} transactions: " + ", ".join(f"{k} {v:.0%}" for k, v in row.share.items())
        + "; CPU s: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    if row.distinct and row.requests >= row.distinct:
        log(f"WARNING: {row.requests} requests for {row.distinct} distinct tiles: some were fetched twice")
    return row


def configuration(n: int, primary: Cluster, reps: list[Cluster], cold: list[lists.Tile],
                  searches: list[str]) -> list[Row]:
    """N app servers on replicas 1..N behind a fresh nginx: warm up, then the three mixes."""
    run_dir = setup.SCALE_DIR / f"n{n}"
    with ExitStack() as stack:
        bases = [stack.enter_context(app_server(f"scale-app{i + 1}", primary, reps[i], run_dir / f"app{i + 1}"))
                 for i in range(n)]
        base = stack.enter_context(nginx(run_dir / "nginx", [int(b.rsplit(":", 1)[1]) for b in bases], free_port()))
        with psycopg.connect(primary.url) as c:  # the v= the TileJSON writes into its tile URLs
            version = str(c.execute("SELECT version FROM data_version").fetchone()[0])  # type: ignore[index]
        mix = lists.mix()
        warm = list(dict.fromkeys(lists.warm_up() + mix))
        log(f"N={n}: warm-up through nginx ({len(warm)} tiles, {len(searches)} searches, {CONNS} connections)")
        fetch_all(base, [tile_path(t, version) for t in warm], warm, conns=CONNS)
        fetch_all(base, searches, [(0, 0, 0)] * len(searches), conns=CONNS)
        hit = requests.get(base + tile_path(mix[0], version), headers={"Accept-Encoding": "gzip"}, timeout=30)
        if hit.headers.get("X-Cache-Status") != "HIT":
            raise SystemExit(f"the hot mix is not served from nginx's cache: {hit.headers.get('X-Cache-Status')}")
        clusters = {f"replica {i + 1}": r for i, r in enumerate(reps)} | {"primary": primary}
        order = random.Random(n).sample(mix, len(mix))
        return [measure(base, n, "cold tiles", [tile_path(t, version) for t in cold], clusters),
                measure(base, n, "hot tiles", [tile_path(t, version) for t in order], clusters),
                measure(base, n, "search", searches, clusters)]


def table(rows: list[Row]) -> str:
    """The results as a Markdown table: configuration, mix, req/s, p50, p99, ratio to N=1."""
    first = {r.mix: r.rate for r in rows if r.servers == 1}
    out = ["| configuration | mix | req/s | p50 ms | p99 ms | ratio to N=1 | errors | load 1 min | DB transactions |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r.rate / first[r.mix] if first.get(r.mix) else float("nan")
        share = ", ".join(f"{k} {v:.0%}" for k, v in r.share.items()) + f" of {r.transactions:,}"
        out.append(f"| {r.servers} app + {r.servers} replica | {r.mix} | {r.rate:,.0f} | {r.p50:.1f} | {r.p99:.1f} "
                   f"| {ratio:.2f} | {r.errors} | {r.load_1m:.2f} | {share} |")
    return "\n".join(out)


def cpu_table(rows: list[Row]) -> str:
    """CPU milliseconds per request of each part during each run, and what other work used of the machine."""
    out = ["| configuration | mix | req/s | app ms CPU/req | DB ms CPU/req | nginx ms CPU/req | wrk ms CPU/req "
           "| machine busy | of it others | cores used by the benchmark | req/s per core used |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        c, k = r.cpu, 1000 / max(r.requests, 1)
        db_ = c["replicas"] + c["primary"]
        busy = c["machine"] / (c["wall"] * (os.cpu_count() or 1))
        ours = (c["machine"] - c["others"]) / c["wall"]
        out.append(f"| {r.servers} app + {r.servers} replica | {r.mix} | {r.rate:,.0f} | {c['app'] * k:.2f} "
                   f"| {db_ * k:.2f} | {c['nginx'] * k:.3f} | {c['wrk'] * k:.3f} | {busy:.0%} "
                   f"| {c['others'] / max(c['machine'], 1e-9):.0%} | {ours:.2f} | {r.rate / max(ours, 1e-9):,.0f} |")
    return "\n".join(out)


def _prewarm(primary: Cluster, reps: list[Cluster]) -> None:
    """Read every table and index of each replica once (into the OS cache), so no replica starts colder."""
    with psycopg.connect(primary.url, autocommit=True) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    setup.wait_caught_up(primary, reps)
    for r in reps:
        with psycopg.connect(r.url, autocommit=True) as c:
            c.execute("SELECT pg_prewarm(c.oid, 'read') FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
                      "AND c.relkind IN ('r', 'i', 'm', 't')")


@contextmanager
def clusters() -> Iterator[tuple[Cluster, list[Cluster]]]:
    """The primary and three fresh replicas; replicas dropped and the primary stopped on the way out."""
    primary = setup.start_primary(log)
    reps: list[Cluster] = []
    try:
        reps = setup.make_replicas(primary, max(CONFIGS), log)
        _prewarm(primary, reps)
        yield primary, reps
    finally:
        for r in reps or setup.replicas.replicas(primary):
            r.destroy()
        primary.stop()
        log("replicas dropped, primary stopped")


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on `kill` as on Ctrl-C
    t0 = time.monotonic()
    setup.SCALE_DIR.mkdir(parents=True, exist_ok=True)
    loads = [loadavg()]
    with clusters() as (primary, reps):
        n_fac = setup.facilities(primary.url)
        searches = [f"/api/search?q={quote(q)}&limit=20" for _, q in search_bench.NAMES]
        searches += [f"/api/search?q={q}&limit=20" for q in search_bench.usccs(primary.url)]
        exclude = set(lists.mix()) | set(lists.warm_up())
        cold = cold_tiles(primary.url, exclude)
        zooms = ", ".join(f"z{z} {k}" for z, k in sorted(Counter(t[0] for t in cold).items()))
        log(f"{n_fac:,} facilities; cold list {len(cold):,} distinct tiles ({zooms}); "
            f"hot mix {len(lists.mix())} tiles; {len(searches)} searches; {WORKERS} workers per app server; "
            f"wrk {CONNS} connections, {SECONDS} s")
        rows: list[Row] = []
        for n in CONFIGS:
            rows += configuration(n, primary, reps, cold, searches)
            loads.append(loadavg())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=PROJECT_ROOT).stdout.strip()
    print(f"\nScale benchmark, {date.today()}, commit {commit}: {os.cpu_count()} cores, {n_fac:,} facilities, "
          f"{WORKERS} workers per app server, wrk {CONNS} connections x {SECONDS} s per run\n")
    print(table(rows))
    print("\nCPU per request (process trees read from /proc around each run; 'others' is everything else the "
          "machine ran)\n")
    print(cpu_table(rows))
    print(f"\nload average (1, 5, 15 min) at start and after each configuration: {' | '.join(loads)}")
    print(f"whole benchmark: {(time.monotonic() - t0) / 60:.1f} min")
    (setup.BENCH_DIR / "scale-results.json").write_text(json.dumps(
        {"date": str(date.today()), "commit": commit, "facilities": n_fac, "workers": WORKERS, "conns": CONNS,
         "seconds": SECONDS, "loads": loads, "rows": [asdict(r) for r in rows]}, indent=1))


if __name__ == "__main__":
    main()
