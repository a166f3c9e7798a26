"""Latency of /api/stations/<id>/readings for one-year windows (hour, day) against a gunicorn subprocess."""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta

import psycopg

from app.settings import get_settings
from ops.cluster import embedded_cluster

DB = "bluemap_bench_stations"  # its own database: other benchmarks recreate theirs
N = int(sys.argv[1]) if len(sys.argv) > 1 else 300
FIRST, LAST = date(2013, 3, 1), date(2016, 2, 28)  # one-year windows inside the Beijing data (to 2017-02)


def database() -> str:
    """URL of the benchmark database, migrated, with the Beijing readings and their rollups loaded once."""
    s = get_settings()
    if s.embedded:
        embedded_cluster(s).start()
    base = s.dsn().rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone():
            c.execute(f'CREATE DATABASE "{DB}"')
    url = f"{base}/{DB}"
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    from db import migrations as migrate

    migrate.upgrade(url)
    with psycopg.connect(url) as c:
        if not c.execute("SELECT EXISTS (SELECT 1 FROM air_daily)").fetchone()[0]:  # type: ignore[index]
            from data.loaders import beijing_aq

            print("loading the Beijing readings (once) ...", flush=True)
            print(beijing_aq.load(c).summary(), flush=True)
    return url


def serve(url: str) -> tuple[subprocess.Popen, int]:
    """gunicorn (`bluemap serve`) on a free port, once /healthz answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url}
    proc = subprocess.Popen([sys.executable, "-m", "ops.cli", "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc, port
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)


def measure(port: int, ids: list[int], interval: str, fmt: str, rng: random.Random) -> dict:
    """Wall times (ms) of N requests for random stations and one-year windows, after a warm-up."""
    times, sizes, rows = [], [], []
    for i in range(N + 20):
        start = FIRST + timedelta(days=rng.randrange((LAST - FIRST).days))
        end = start + timedelta(days=364)
        q = f"/api/stations/{rng.choice(ids)}/readings?interval={interval}&from={start}&to={end}&format={fmt}"
        t0 = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{q}", timeout=30) as r:
            body = r.read()
        if i >= 20:
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(body))
            rows.append(json.loads(body)["count"] if fmt == "json" else body.count(b"\n") - 1)
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "rows": statistics.median(rows),
            "kb": statistics.median(sizes) / 1024}


def main() -> None:
    url = database()
    with psycopg.connect(url) as c:
        ids = [r[0] for r in c.execute("SELECT id FROM stations WHERE kind = 'air' ORDER BY id")]
    proc, port = serve(url)
    rng = random.Random(633)
    try:
        results = {(iv, fmt): measure(port, ids, iv, fmt, rng)
                   for iv, fmt in (("hour", "json"), ("day", "json"), ("hour", "csv"), ("day", "csv"))}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"\n/api/stations/<id>/readings, one-year windows, {N} requests each (random station and start), "
          "gunicorn 2 workers, sequential client\n")
    print("| interval | format | rows | size KB | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|---|")
    for (iv, fmt), r in results.items():
        print(f"| {iv} | {fmt} | {r['rows']:,.0f} | {r['kb']:,.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
              f"{r['p99']:.1f} |")


if __name__ == "__main__":
    main()
