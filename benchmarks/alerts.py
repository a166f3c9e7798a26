"""`make bench-alerts`: alert delivery at scale, against a database of its own (`bluemap_bench_alerts`).

Builds FACILITIES facilities, BRANDS brands each following SUPPLIERS suppliers (one user each, the implied brand
subscription, every tenth also by webhook) and AREAS area subscriptions (a third each by area code, polygon and
point + radius), then with real `bluemap worker` processes and a local webhook receiver measures: (a) one new
violation -> webhook received, p95 from commit; (b) 10,000 new violations in one transaction -> every delivery
written and every webhook received, with one and with two workers; the peer: a naive loop over subscribers
(one query per subscription) for the same events. Delivery counts are checked against an independent SQL count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg

from app.settings import get_settings
from ops.cluster import embedded_cluster

DB = "bluemap_bench_alerts"
SETUP = """
INSERT INTO datasets (id, title, licence, attribution, synthetic) VALUES
    ('bench-alerts', 'Synthetic alert benchmark data', 'CC0', 'this project', true) ON CONFLICT DO NOTHING;
INSERT INTO facilities (dataset_id, ext_id, name_zh, name_en, industry, area_code, geom, synthetic)
SELECT 'bench-alerts', 'f' || g, '工厂' || g, 'Plant ' || g,
       (ARRAY['cement', 'chemicals', 'power_coal', 'steel'])[1 + g %% 4],
       lpad((11 + g %% 50)::text, 2, '0') || lpad((1 + (g / 50) %% 20)::text, 2, '0')
           || lpad((1 + (g / 1000) %% 10)::text, 2, '0'),
       ST_SetSRID(ST_MakePoint(100 + (hashint4(g) & 65535) / 65535.0 * 22,
                               22 + (hashint4(g + 7) & 65535) / 65535.0 * 20), 4326),
       true
FROM generate_series(1, %(facilities)s) g;
INSERT INTO brands (slug, name_en, logo_key, dataset_id, synthetic)
SELECT 'bench-' || b, 'Bench brand ' || b, 'brand-bench-' || b, 'bench-alerts', true
FROM generate_series(1, %(brands)s) b;
INSERT INTO supplier_lists (brand_id, name, dataset_id, accepted_at)
SELECT id, 'bench', 'bench-alerts', now() FROM brands WHERE slug LIKE 'bench-%%';
ANALYZE facilities;
ANALYZE supplier_lists;
INSERT INTO brand_facility_links (brand_id, facility_id, list_id, tier, is_public, dataset_id, synthetic)
SELECT DISTINCT ON (l.brand_id, f.id) l.brand_id, f.id, l.id, 'processing', s %% 5 <> 0, 'bench-alerts', true
FROM supplier_lists l CROSS JOIN generate_series(1, %(suppliers)s) s
JOIN facilities f ON f.dataset_id = 'bench-alerts'
                  AND f.ext_id = 'f' || (1 + abs(hashint8(l.id * 100003 + s)) %% %(facilities)s)
WHERE l.name = 'bench' ORDER BY l.brand_id, f.id;
INSERT INTO users (email, password_hash, role, brand_id)
SELECT 'brand-' || b.id || '@bench.test', 'x', 'brand', b.id FROM brands b WHERE b.slug LIKE 'bench-%%';
INSERT INTO users (email, password_hash, role)
SELECT 'area-' || g || '@bench.test', 'x', 'member' FROM generate_series(1, %(areas)s / 10) g;
INSERT INTO alert_subscriptions (user_id, target, brand_id, kinds, webhook_url, webhook_secret, created_at)
SELECT u.id, 'brand', u.brand_id, ARRAY['new_record'], CASE WHEN u.brand_id %% 10 = 0 THEN %(hook)s END, 'secret',
       now() - interval '1 hour'
FROM users u WHERE u.email LIKE 'brand-%%@bench.test';
INSERT INTO alert_subscriptions (user_id, target, area_code, geom, center, radius_m, kinds, created_at)
SELECT u.id, 'area',
       CASE WHEN k = 0 THEN (SELECT area_code FROM facilities WHERE dataset_id = 'bench-alerts'
                             AND ext_id = 'f' || (1 + abs(hashint4(g)) %% %(facilities)s)) END,
       CASE WHEN k = 1 THEN ST_MakeEnvelope(x - 0.1, y - 0.1, x + 0.1, y + 0.1, 4326)
            WHEN k = 2 THEN ST_Buffer(ST_SetSRID(ST_MakePoint(x, y), 4326)::geography, r * 1.01)::geometry END,
       CASE WHEN k = 2 THEN ST_SetSRID(ST_MakePoint(x, y), 4326) END, CASE WHEN k = 2 THEN r END,
       ARRAY['new_record'], now() - interval '1 hour'
FROM generate_series(1, %(areas)s) g
CROSS JOIN LATERAL (SELECT g %% 3 AS k, 100 + (hashint4(g * 3) & 65535) / 65535.0 * 22 AS x,
                           22 + (hashint4(g * 5) & 65535) / 65535.0 * 20 AS y, 2000 + g %% 18000 AS r) p
JOIN users u ON u.email = 'area-' || (1 + g %% (%(areas)s / 10)) || '@bench.test';
INSERT INTO alert_allowed_hosts (host) VALUES ('127.0.0.1') ON CONFLICT DO NOTHING;
UPDATE alert_events SET processed_at = now() WHERE processed_at IS NULL;
"""

# The expected (event, subscription) pairs, written apart from alerts/matching.py: containment and distance
# instead of intersection and DWithin, a prefix rule instead of the three-code list, and one query per kind.
EXPECTED = """
WITH ev AS (SELECT e.id, f.id AS fid, f.area_code, f.geom
            FROM alert_events e JOIN facilities f ON f.id = e.facility_id
            WHERE e.id BETWEEN %(lo)s AND %(hi)s AND e.kind = 'new_record')
SELECT (SELECT count(*) FROM (SELECT DISTINCT ev.id, s.id FROM ev
          JOIN brand_facility_links l ON l.facility_id = ev.fid AND l.active
          JOIN alert_subscriptions s ON s.target = 'brand' AND s.brand_id = l.brand_id
          JOIN users u ON u.id = s.user_id WHERE l.is_public OR u.brand_id = l.brand_id) x)
     + (SELECT count(*) FROM ev JOIN alert_subscriptions s ON s.target = 'area' AND s.area_code IS NOT NULL
          AND ev.area_code LIKE CASE WHEN s.area_code LIKE '%%0000' THEN left(s.area_code, 2)
                                     WHEN s.area_code LIKE '%%00' THEN left(s.area_code, 4)
                                     ELSE s.area_code END || '%%')
     + (SELECT count(*) FROM ev JOIN alert_subscriptions s ON s.target = 'area' AND s.radius_m IS NULL
          AND s.geom IS NOT NULL AND ST_Covers(s.geom, ev.geom))
     + (SELECT count(*) FROM ev JOIN alert_subscriptions s ON s.target = 'area' AND s.radius_m IS NOT NULL
          AND abs(ST_X(s.center) - ST_X(ev.geom)) < 0.5 AND abs(ST_Y(s.center) - ST_Y(ev.geom)) < 0.25
          AND ST_Distance(s.center::geography, ev.geom::geography) <= s.radius_m)"""

NAIVE = {  # one query per subscription: what a loop over subscribers does
    "brand": """SELECT count(*) FROM alert_events e JOIN brand_facility_links l ON l.facility_id = e.facility_id
                AND l.active AND l.brand_id = %(brand)s AND (l.is_public OR l.brand_id = %(user_brand)s)
                WHERE e.id BETWEEN %(lo)s AND %(hi)s""",
    "code": """SELECT count(*) FROM alert_events e JOIN facilities f ON f.id = e.facility_id
               WHERE e.id BETWEEN %(lo)s AND %(hi)s
                 AND %(code)s::text IN (f.area_code::text, left(f.area_code, 4) || '00',
                                        left(f.area_code, 2) || '0000')""",
    "shape": """SELECT count(*) FROM alert_events e JOIN facilities f ON f.id = e.facility_id
                JOIN alert_subscriptions s ON s.id = %(sub)s
                WHERE e.id BETWEEN %(lo)s AND %(hi)s AND ST_Intersects(s.geom, f.geom)
                  AND (s.radius_m IS NULL OR ST_DWithin(s.center::geography, f.geom::geography, s.radius_m))""",
}


class Receiver(ThreadingHTTPServer):
    """Counts webhook requests and remembers when each violation's first arrived."""

    daemon_threads = True
    request_queue_size = 128  # listen backlog: socketserver's default of 5 drops connections (SYN retried after 1 s)

    def __init__(self, keep_alive: bool = True) -> None:
        self.count, self.first, self.lock = 0, {}, threading.Lock()
        rec = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"  # keep-alive, like production servers

            def do_POST(self) -> None:  # noqa: N802
                import json

                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with rec.lock:
                    rec.count += 1
                    rec.first.setdefault(body["violation_id"], time.monotonic())
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def database(name: str = DB) -> str:
    """A fresh, migrated benchmark database on the configured server."""
    from db import migrations as migrate

    s = get_settings()
    if s.embedded:
        embedded_cluster(s).start()
    base = s.dsn().rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    url = f"{base}/{name}"
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    migrate.upgrade(url)
    return url


def reuse(name: str = DB) -> str:
    """The database of an earlier run, brought up to the newest migration."""
    from db import migrations as migrate

    s = get_settings()
    if s.embedded:
        embedded_cluster(s).start()
    url = s.dsn().rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    return url


def workers(url: str, n: int, var: str, rec: Receiver, facility: int) -> list[subprocess.Popen]:
    """`bluemap worker` processes, started and warmed up (one alert through each start-up)."""
    env = {**os.environ, "DATABASE_URL": url, "BLUEMAP_VAR_DIR": var, "BLUEMAP_LOG_LEVEL": "WARNING"}
    procs = [subprocess.Popen([sys.executable, "-m", "ops.cli", "worker", "--poll", "1"], env=env)
             for _ in range(n)]
    time.sleep(5)
    latency(url, rec, facility, 2)
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(30)


def latency(url: str, rec: Receiver, facility: int, trials: int) -> list[float]:
    """Seconds from commit of one violation to its webhook's arrival."""
    out = []
    with psycopg.connect(url, autocommit=True) as c:
        for i in range(trials):
            vid = c.execute("""INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority,
                               category, source, synthetic) VALUES ('bench-alerts', %s, %s, current_date, 'EPB', 'air',
                               'bench', true) RETURNING id""", (f"lat-{time.time_ns()}-{i}", facility)).fetchone()[0]
            t0 = time.monotonic()
            while vid not in rec.first and time.monotonic() - t0 < 30:
                time.sleep(0.002)
            out.append(rec.first.get(vid, t0 + 30) - t0)
            time.sleep(0.05)
    return out


def bulk(url: str, rec: Receiver, n: int) -> dict:
    """n violations in one transaction; seconds until every delivery is written and every webhook received."""
    with psycopg.connect(url, autocommit=True) as c:
        lo = c.execute("SELECT coalesce(max(id), 0) + 1 FROM alert_events").fetchone()[0]
        received0 = rec.count
        c.execute("""INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category,
                     source, synthetic)
                     SELECT 'bench-alerts', 'bulk-' || %s || '-' || g, id, current_date, 'EPB', 'air', 'bench', true
                     FROM (SELECT id, row_number() OVER () AS g FROM facilities ORDER BY random() LIMIT %s) f""",
                  (time.time_ns(), n))
        t0 = time.monotonic()
        hi = c.execute("SELECT max(id) FROM alert_events").fetchone()[0]
        while True:
            left = c.execute("""SELECT (SELECT count(*) FROM alert_events WHERE processed_at IS NULL)
                                     + (SELECT count(*) FROM alert_deliveries WHERE state IN ('pending', 'sending')
                                        AND event_id >= %s)""", (lo,)).fetchone()[0]
            if left == 0:
                break
            time.sleep(0.05)
        took = time.monotonic() - t0
        print(f"    all delivered in {took:.1f} s; counting independently ...", flush=True)
        pairs, hooks = c.execute("""SELECT count(DISTINCT (event_id, subscription_id)),
                                           count(*) FILTER (WHERE channel = 'webhook' AND state = 'sent')
                                    FROM alert_deliveries WHERE event_id BETWEEN %s AND %s""", (lo, hi)).fetchone()
        expected = c.execute(EXPECTED, {"lo": lo, "hi": hi}).fetchone()[0]
        expected_hooks = c.execute("""SELECT count(DISTINCT (e.id, s.id)) FROM alert_events e
            JOIN brand_facility_links l ON l.facility_id = e.facility_id AND l.active
            JOIN alert_subscriptions s ON s.target = 'brand' AND s.brand_id = l.brand_id AND s.webhook_url IS NOT NULL
            JOIN users u ON u.id = s.user_id
            WHERE e.id BETWEEN %s AND %s AND (l.is_public OR u.brand_id = l.brand_id)""", (lo, hi)).fetchone()[0]
    return {"seconds": took, "events": hi - lo + 1, "pairs": pairs, "expected_pairs": expected, "webhooks": hooks,
            "expected_webhooks": expected_hooks, "received": rec.count - received0, "lo": lo, "hi": hi}


def naive(url: str, lo: int, hi: int) -> tuple[float, int]:
    """The peer: one query per subscription over the same events; (seconds, matches)."""
    total, t0 = 0, time.monotonic()
    with psycopg.connect(url) as c:
        subs = c.execute("""SELECT s.id, s.target, s.brand_id, u.brand_id, s.area_code FROM alert_subscriptions s
                            JOIN users u ON u.id = s.user_id""").fetchall()
        for sub, target, brand, user_brand, code in subs:
            if target == "brand":
                q, args = NAIVE["brand"], {"brand": brand, "user_brand": user_brand}
            elif code:
                q, args = NAIVE["code"], {"code": code}
            else:
                q, args = NAIVE["shape"], {"sub": sub}
            total += c.execute(q, {**args, "lo": lo, "hi": hi}).fetchone()[0]
    return time.monotonic() - t0, total


def main() -> None:
    """Build, measure, print."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--facilities", type=int, default=200_000)
    ap.add_argument("--brands", type=int, default=2_000)
    ap.add_argument("--suppliers", type=int, default=500)
    ap.add_argument("--areas", type=int, default=10_000)
    ap.add_argument("--violations", type=int, default=10_000)
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--db", default=DB, help="Name of the benchmark database.")
    ap.add_argument("--reuse", action="store_true", help="Keep the database of an earlier run (no set-up).")
    ap.add_argument("--setup-only", action="store_true", help="Build the database, then stop (run later with --reuse).")
    ap.add_argument("--workers", default="1,2", help="Worker counts to run (b) with, comma-separated.")
    ap.add_argument("--no-keep-alive", action="store_true", help="The receiver closes every connection.")
    ap.add_argument("--no-peer", action="store_true", help="Skip the naive per-subscriber loop.")
    a = ap.parse_args()
    rec = Receiver(not a.no_keep_alive)
    threading.Thread(target=rec.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{rec.server_address[1]}/hook"
    url = database(a.db) if not a.reuse else reuse(a.db)
    t0 = time.monotonic()
    with psycopg.connect(url) as c:
        c.execute("SET max_parallel_workers_per_gather = 0")
        for stmt in SETUP.split(";\n") if not a.reuse else ():
            if stmt.strip():
                c.execute(stmt, {"facilities": a.facilities, "brands": a.brands, "suppliers": a.suppliers,
                                 "areas": a.areas, "hook": hook})
                print(f"  {time.monotonic() - t0:5.0f} s  {stmt.strip().splitlines()[0][:70]}", flush=True)
        c.commit()
        c.autocommit = True
        c.execute("UPDATE alert_events SET processed_at = now() WHERE processed_at IS NULL")
        c.execute("UPDATE alert_subscriptions SET webhook_url = %s, webhook_failures = 0, webhook_paused_at = NULL "
                  "WHERE webhook_url IS NOT NULL", (hook,))  # this run's receiver
        c.execute("UPDATE alert_deliveries SET state = 'skipped' WHERE state IN ('pending', 'sending')")
        c.execute("VACUUM ANALYZE")
        links = c.execute("SELECT count(*) FROM brand_facility_links").fetchone()[0]
        a.facilities = c.execute("SELECT count(*) FROM facilities").fetchone()[0]  # of the database reused
        target = c.execute("""SELECT l.facility_id FROM brand_facility_links l JOIN alert_subscriptions s
                              ON s.brand_id = l.brand_id AND s.webhook_url IS NOT NULL AND l.is_public LIMIT 1"""
                           ).fetchone()[0]
    print(f"set-up: {a.facilities:,} facilities, {a.brands:,} brands x {a.suppliers} = {links:,} links, "
          f"{a.areas:,} area subscriptions, in {time.monotonic() - t0:.0f} s", flush=True)
    if not a.setup_only:
        measure(a, url, rec, target)


def measure(a: argparse.Namespace, url: str, rec: Receiver, target: int) -> None:
    """(a) with one worker, (b) with each worker count, the peer; counts checked."""
    runs = []
    with tempfile.TemporaryDirectory() as var:
        for i, n in enumerate(int(x) for x in a.workers.split(",")):
            procs = workers(url, n, var, rec, target)
            try:
                if i == 0:
                    lat = sorted(latency(url, rec, target, a.trials))
                    p95 = lat[max(0, int(len(lat) * 0.95) - 1)]
                    print(f"(a) commit -> webhook, {len(lat)} trials, {n} worker(s): p50 "
                          f"{statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                          f"max {lat[-1] * 1000:.0f} ms", flush=True)
                load0 = os.getloadavg()[0]
                runs.append(bulk(url, rec, a.violations))
                print(f"(b) {a.violations:,} violations, {n} worker(s): {runs[-1]}; load average "
                      f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after", flush=True)
            finally:
                stop(procs)
    ok = all(r["pairs"] == r["expected_pairs"] and r["webhooks"] == r["expected_webhooks"]
             and r["received"] >= r["webhooks"] for r in runs)
    if not a.no_peer:
        secs, matches = naive(url, runs[0]["lo"], runs[0]["hi"])
        print(f"peer: naive per-subscriber loop over the same {runs[0]['events']:,} events: {secs:.1f} s "
              f"({matches:,} matches; set-based run wrote {runs[0]['pairs']:,})", flush=True)
        ok = ok and matches == runs[0]["pairs"]
    print("counts equal the independent SQL count" if ok else "COUNT MISMATCH")


if __name__ == "__main__":
    main()
