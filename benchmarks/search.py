"""Search latency: a fixed query mix, sequential keep-alive requests, p50/p95/p99 per query kind.

    python -m benchmarks.search            # the IPE-scale benchmark database, behind a service started here
    python -m benchmarks.search URL        # a service already running at URL (USCCs from DATABASE_URL)
"""

from __future__ import annotations

import math
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests

from app.settings import get_settings

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
N_USCC = 15
WORKERS = 2
TARGET_P95_MS = 50.0
ROOT = Path(__file__).resolve().parent.parent

# (kind, query): kinds are reported apart, then all together.
NAMES = [
    # Chinese substrings of 1 character: too short for any n-gram but a unigram.
    *(("zh-1", q) for q in ("水", "钢", "电", "化", "桥")),
    # Chinese substrings of 2 characters (industries, company-name parts, cities): no trigram exists.
    *(("zh-2", q) for q in (
        "水泥", "钢铁", "热电", "化工", "发电", "电厂", "风力", "光伏", "燃气", "纺织", "印染", "造纸",
        "制药", "集团", "股份", "北京", "上海", "天津", "重庆", "唐山", "广州", "深圳", "武汉", "南京",
        "成都", "杭州", "西安", "鞍山", "包头")),
    # Chinese substrings of 3+ characters.
    *(("zh-3+", q) for q in ("有限公司", "水泥厂", "热电有限", "北京京能", "发电有限公司")),
    # English substrings, mixed case.
    *(("en", q) for q in (
        "cement", "Steel", "POWER", "wind", "solar", "Huaneng", "Datang", "Guodian", "Conch", "Jidong",
        "Baosteel", "Shandong", "Hebei", "thermal", "Co Ltd")),
]
KINDS = ("zh-1", "zh-2", "zh-3+", "en", "uscc")


def usccs(dsn: str, n: int = N_USCC) -> list[str]:
    """A fixed sample of USCCs that have facilities, from the database behind the service."""
    with psycopg.connect(dsn, connect_timeout=5) as c:
        return [r[0] for r in c.execute(
            "SELECT c.uscc FROM companies c WHERE c.uscc IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM facilities f WHERE f.company_id = c.id) ORDER BY md5(c.uscc) LIMIT %s", (n,))]


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


def run(url: str, dsn: str) -> float | None:
    """Time the query mix against the service at `url`; print the table; return the overall p95 in ms."""
    try:
        codes = usccs(dsn)
    except psycopg.Error as exc:
        print(f"no USCCs from the database ({str(exc).strip().splitlines()[0]}); names only", file=sys.stderr)
        codes = []
    queries = NAMES + [("uscc", q) for q in codes]
    session = requests.Session()
    try:
        session.get(f"{url}/api/search", params={"q": "水泥"}, timeout=60)  # warm the pool
    except requests.ConnectionError:
        raise SystemExit(f"no service at {url} (start one with `bluemap serve`)") from None
    per_query: dict[tuple[str, str], list[float]] = {k: [] for k in queries}
    errors = 0
    for _ in range(ROUNDS):
        for kind, q in queries:
            t0 = time.perf_counter()
            r = session.get(f"{url}/api/search", params={"q": q, "limit": 20}, timeout=120)
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                errors += 1
                continue
            per_query[(kind, q)].append(ms)
    print(f"\n/api/search at {url}: {len(queries)} queries x {ROUNDS} rounds, limit 20, sequential, "
          "keep-alive\n")
    print(f"{'kind':<8}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    overall = None
    for kind in (*KINDS, "all"):
        ms = sorted(t for (k, _), ts in per_query.items() if kind in (k, "all") for t in ts)
        if ms:
            print(f"{kind:<8}{len(ms):>7}{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}"
                  f"{percentile(ms, 99):>9.1f}{ms[-1]:>9.1f}{statistics.fmean(ms):>9.1f}")
            if kind == "all":
                overall = percentile(ms, 95)
    slowest = sorted(((statistics.median(ts), q) for (_, q), ts in per_query.items() if ts), reverse=True)[:5]
    print("\nslowest queries (median ms): " + ", ".join(f"{q} {m:.0f}" for m, q in slowest))
    if errors:
        print(f"\n{errors} requests did not answer 200")
    if overall is not None:
        verdict = "met" if overall < TARGET_P95_MS else "NOT met"
        print(f"overall p95 {overall:.1f} ms: target p95 < {TARGET_P95_MS:.0f} ms {verdict}")
    return overall


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the service exited with status {proc.returncode} before answering")
        try:
            requests.get(f"{url}/api/search", params={"q": "水泥"}, timeout=30)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise SystemExit(f"the service did not answer at {url} within {timeout:.0f} s")


def bench() -> None:
    """The benchmark database (migrated), a service on a free port in front of it, the mix, then stop."""
    from benchmarks.common import bench_url

    dsn = bench_url()
    with psycopg.connect(dsn) as c:
        n = c.execute("SELECT count(*) FROM facilities").fetchone()[0]
    if n == 0:
        raise SystemExit("the benchmark database holds no facilities: run `make bench-ingest` first")
    print(f"benchmark database: {n:,} facilities")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": dsn, "PORT": str(port), "WORKERS": str(WORKERS)}
    bluemap = Path(sys.executable).with_name("bluemap")
    cmd = [str(bluemap)] if bluemap.exists() else [sys.executable, "-m", "ops.cli"]
    proc = subprocess.Popen([*cmd, "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_ready(url, proc)
        run(url, dsn)
    finally:
        proc.terminate()  # gunicorn's arbiter stops its workers on SIGTERM
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    if len(sys.argv) > 1:
        run(sys.argv[1].rstrip("/"), get_settings().dsn())
    else:
        bench()


if __name__ == "__main__":
    main()
