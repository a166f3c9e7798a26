"""A long supplier list at IPE scale: queued, matched by the worker and its row report read, set-based matching
(a batch of rows per statement) against the same matcher run one row per statement."""

from __future__ import annotations

import random
import sys
import time
from contextlib import contextmanager

import psycopg

from accounts import users as accounts
from benchmarks.common import bench_url
from supply import lists, matching, queue
from tests.supply_helpers import csv_bytes

N_ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
N_PEER = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
SEED = 20261130
# New suppliers' names: a city, a two-character trade name and a trade, as brands' lists name small plants.
_CHARS = ("安邦昌辰晨诚达德鼎东丰福富广国海瀚豪恒弘宏华辉汇佳嘉建金锦"
          "京景久聚凯康朗力利联隆茂美铭明南宁鹏普奇启强庆荣瑞润森尚盛世泰")
_CITIES = ("苏州", "东莞", "宁波", "泉州", "绍兴", "佛山", "无锡", "温州", "嘉兴", "中山", "常州", "台州", "潍坊",
           "青岛")
_WORDS = ("服装", "制衣", "印染", "针织", "鞋业", "皮革", "五金", "电子", "塑胶", "包装", "纸品", "家具")


def make_list(dsn: str, n: int) -> list[dict]:
    """A deterministic list like a brand's: 30% with a USCC on file, 30% a facility's name without its legal
    form 100 m off, 20% by English name, 20% suppliers not on file (new facilities)."""
    rnd = random.Random(SEED)
    with psycopg.connect(dsn) as c:
        uscc = c.execute("""SELECT f.name_zh, c.uscc, ST_X(f.geom), ST_Y(f.geom) FROM facilities f
                            JOIN companies c ON c.id = f.company_id WHERE c.uscc IS NOT NULL AND f.id %% 97 = 0
                            ORDER BY f.id LIMIT %s""", (n * 3 // 10,)).fetchall()
        named = c.execute("""SELECT f.name_zh, ST_X(f.geom), ST_Y(f.geom) FROM facilities f
                             WHERE f.id %% 89 = 1 AND f.name_zh <> '' ORDER BY f.id LIMIT %s""",
                          (n * 3 // 10,)).fetchall()
        english = c.execute("""SELECT f.name_en, ST_X(f.geom), ST_Y(f.geom) FROM facilities f
                               WHERE f.id %% 83 = 2 AND f.name_en <> '' ORDER BY f.id LIMIT %s""",
                            (n // 5,)).fetchall()
    rows = [{"name": a, "uscc": u.strip(), "lon": x, "lat": y} for a, u, x, y in uscc]
    rows += [{"name": a.replace("有限公司", ""), "uscc": "", "lon": round(x + 0.001, 6), "lat": y} for a, x, y in named]
    rows += [{"name": a, "uscc": "", "lon": x, "lat": y} for a, x, y in english]
    while len(rows) < n:
        trade = rnd.choice(_CHARS) + rnd.choice(_CHARS)
        rows.append({"name": f"{rnd.choice(_CITIES)}{trade}{rnd.choice(_WORDS)}厂", "uscc": "",
                     "lon": round(rnd.uniform(100, 121), 5), "lat": round(rnd.uniform(22, 40), 5)})
    rnd.shuffle(rows)
    return rows[:n]


@contextmanager
def connect(dsn: str):
    with psycopg.connect(dsn) as c:
        yield c


def queued_run(dsn: str, data: bytes, n: int) -> tuple[float, dict]:
    """Queue the list as the web does, run it as the worker does, read its row report: seconds and summary."""
    with psycopg.connect(dsn) as c:
        bid = accounts.create_brand(c, f"bench-{time.time_ns()}", "Benchmark brand", None)
        upload_id = queue.enqueue(c, bid, None, data, "bench.csv", None, {}, n)
        c.commit()
    t0 = time.perf_counter()
    assert queue.run_next(lambda: connect(dsn), lists.upload) == upload_id
    with psycopg.connect(dsn) as c:
        st = queue.status(c, bid, upload_id)
        report = lists.list_rows(c, bid, st["list_id"])
        summary = lists.versions(c, bid, st["list_id"])[0]["summary"]
    seconds = time.perf_counter() - t0
    assert st["state"] == "done" and len(report) == n, (st, len(report))
    return seconds, summary


def clean(dsn: str) -> None:
    """Remove what earlier runs made (their brands' lists, links and the facilities made from their rows)."""
    with psycopg.connect(dsn) as c:
        bench = "SELECT id FROM brands WHERE slug LIKE 'bench-%%'"
        lists_ = f"SELECT id FROM supplier_lists WHERE brand_id IN ({bench})"
        c.execute(f"DELETE FROM supplier_edges WHERE list_id IN ({lists_})")
        c.execute(f"DELETE FROM brand_facility_links WHERE brand_id IN ({bench})")
        c.execute(f"DELETE FROM supplier_list_rows WHERE list_id IN ({lists_})")
        c.execute(f"DELETE FROM supplier_list_uploads WHERE brand_id IN ({bench})")
        c.execute(f"DELETE FROM supplier_lists WHERE brand_id IN ({bench})")
        c.execute(f"DELETE FROM facilities WHERE private_to_brand IN ({bench})")
        c.execute(f"DELETE FROM brands WHERE id IN ({bench})")


def main() -> None:
    dsn = sys.argv[3] if len(sys.argv) > 3 else bench_url()
    with psycopg.connect(dsn) as c:
        n_fac = c.execute("SELECT count(*) FROM facilities").fetchone()[0]
    if n_fac < 100_000:
        raise SystemExit("the benchmark database holds few facilities: run `make bench-ingest` first")
    clean(dsn)
    rows = make_list(dsn, N_ROWS)
    print(f"\nSupplier list of {N_ROWS:,} rows against {n_fac:,} facilities: queued, matched by the worker, "
          "row report read\n")
    seconds, summary = queued_run(dsn, csv_bytes(rows), N_ROWS)
    outcomes = ", ".join(f"{k} {summary.get(k, 0):,}" for k in ("linked", "review", "new_facility", "rejected"))
    print(f"set-based ({matching.BATCH:,} rows per statement): {seconds:7.1f} s  {N_ROWS / seconds:8,.0f} rows/s"
          f"  ({outcomes})")
    matching.BATCH = 1
    peer_rows = rows[:N_PEER]
    peer_s, _ = queued_run(dsn, csv_bytes(peer_rows), N_PEER)
    print(f"one row per statement, first {N_PEER:,} rows: {peer_s:7.1f} s  {N_PEER / peer_s:8,.0f} rows/s  "
          f"(for {N_ROWS:,} rows about {N_ROWS / (N_PEER / peer_s):,.0f} s)")
    clean(dsn)
    print("\ntarget: a 20,000-row list matched and its report ready in under 60 s")


if __name__ == "__main__":
    main()
