"""Search latency against a running service: a fixed query mix, sequential keep-alive requests."""

from __future__ import annotations

import math
import statistics
import sys
import time

import psycopg
import requests

from app.settings import get_settings

URL = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
ROUNDS = 10
N_USCC = 15

NAMES = [
    # Chinese substrings: industries, company-name parts, cities.
    "水泥", "钢铁", "热电", "化工", "发电", "电厂", "风力", "光伏", "燃气", "纺织", "印染", "造纸", "制药",
    "有限公司", "集团", "股份", "北京", "上海", "天津", "重庆", "唐山", "广州", "深圳", "武汉", "南京",
    "成都", "杭州", "西安", "鞍山", "包头",
    # English substrings, mixed case.
    "cement", "Steel", "POWER", "wind", "solar", "Huaneng", "Datang", "Guodian", "Conch", "Jidong",
    "Baosteel", "Shandong", "Hebei", "thermal", "Co Ltd",
]


def usccs(n: int = N_USCC) -> list[str]:
    """A fixed sample of USCCs that have facilities, from the database behind the service."""
    with psycopg.connect(get_settings().dsn(), connect_timeout=5) as c:
        return [r[0] for r in c.execute(
            "SELECT c.uscc FROM companies c WHERE c.uscc IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM facilities f WHERE f.company_id = c.id) ORDER BY md5(c.uscc) LIMIT %s", (n,))]


def percentile(sorted_ms: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_ms[max(0, math.ceil(p / 100 * len(sorted_ms)) - 1)]


def main() -> None:
    try:
        codes = usccs()
    except psycopg.Error as exc:
        print(f"no USCCs from the database ({str(exc).strip().splitlines()[0]}); names only", file=sys.stderr)
        codes = []
    queries = [("name", q) for q in NAMES] + [("uscc", q) for q in codes]
    session = requests.Session()
    try:
        session.get(f"{URL}/api/search", params={"q": "水泥"}, timeout=30)  # warm the pool
    except requests.ConnectionError:
        raise SystemExit(f"no service at {URL} (start one with `bluemap serve`)") from None
    per_query: dict[tuple[str, str], list[float]] = {k: [] for k in queries}
    errors = 0
    for _ in range(ROUNDS):
        for kind, q in queries:
            t0 = time.perf_counter()
            r = session.get(f"{URL}/api/search", params={"q": q, "limit": 20}, timeout=60)
            ms = (time.perf_counter() - t0) * 1000
            if r.status_code != 200:
                errors += 1
                continue
            per_query[(kind, q)].append(ms)
    print(f"\n/api/search at {URL}: {len(queries)} queries x {ROUNDS} rounds, sequential, keep-alive\n")
    print(f"{'kind':<8}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    for kind in ("name", "uscc", "all"):
        ms = sorted(t for (k, _), ts in per_query.items() if kind in (k, "all") for t in ts)
        if ms:
            print(f"{kind:<8}{len(ms):>7}{percentile(ms, 50):>9.1f}{percentile(ms, 95):>9.1f}"
                  f"{percentile(ms, 99):>9.1f}{ms[-1]:>9.1f}{statistics.fmean(ms):>9.1f}")
    slowest = sorted(((statistics.median(ts), q) for (_, q), ts in per_query.items() if ts), reverse=True)[:5]
    print("\nslowest queries (median ms): " + ", ".join(f"{q} {m:.0f}" for m, q in slowest))
    if errors:
        print(f"\n{errors} requests did not answer 200")


if __name__ == "__main__":
    main()
