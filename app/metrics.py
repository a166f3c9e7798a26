"""Prometheus metrics: requests, latency, tile cache, pools, database time, job queues and replica lag.

Under gunicorn (`bluemap serve` sets PROMETHEUS_MULTIPROC_DIR) every worker writes its samples to files there
and `/metrics` adds them up across the workers; without it the metrics are this process's.
"""

from __future__ import annotations

import os
import time
from collections import Counter as Tally
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

REQUESTS = Counter("bluemap_http_requests_total", "HTTP requests answered", ["endpoint", "method", "status"])
LATENCY = Histogram("bluemap_http_request_duration_seconds", "Time to answer a request", ["endpoint", "status"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
TILE_CACHE = Counter("bluemap_tile_cache_total", "Tiles served from the tile cache (hit) or rendered (miss)",
                     ["result"])
DB_TIME = Histogram("bluemap_db_seconds", "Time a request held a database connection, per query family",
                    ["family", "database"], buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 15))
POOL = Gauge("bluemap_db_pool_connections", "Connections of the pools (size, idle, waiting requests)",
             ["database", "state"], multiprocess_mode="livesum")


class _Scraped(Collector):
    """Values read when /metrics is asked for: replica lag and health, export job queue lengths."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the replica and job gauges."""
        dbs = self.app.extensions["databases"]
        lag = GaugeMetricFamily("bluemap_replica_lag_seconds", "Replay lag of each read replica at its last check",
                                labels=["database"])
        up = GaugeMetricFamily("bluemap_database_up", "1 when the database is used for reads", labels=["database"])
        up.add_metric(["primary"], 1.0)
        for d in dbs.replicas:
            lag.add_metric([d.name], d.lag_s if d.lag_s is not None else float("nan"))
            up.add_metric([d.name], 1.0 if d.healthy(dbs.settings.replica_max_lag_s) else 0.0)
        yield lag
        yield up
        jobs = GaugeMetricFamily("bluemap_export_jobs", "Export jobs by state (queued: the worker's queue)",
                                 labels=["state"])
        root = Path(self.app.config["SETTINGS"].var_dir) / "exports" / "jobs"
        counts = Tally(job.get("state", "unknown") for job in _jobs(root))
        for state in ("queued", "running", "done", "failed", "cancelled"):
            jobs.add_metric([state], float(counts.get(state, 0)))
        yield jobs


def _jobs(root: Path) -> Iterator[dict]:
    """Every export job's state file under `root` (none when there is no folder yet)."""
    if not root.is_dir():
        return
    from exports.jobs import JobStore

    yield from JobStore(root).jobs()


def _pool_gauges(app: Flask) -> None:
    for d in app.extensions["databases"].all():
        if d.pool.closed:
            continue
        stats = d.pool.get_stats()
        POOL.labels(d.name, "size").set(stats.get("pool_size", 0))
        POOL.labels(d.name, "idle").set(stats.get("pool_available", 0))
        POOL.labels(d.name, "waiting").set(stats.get("requests_waiting", 0))


def init_app(app: Flask) -> None:
    """Count every request, tile and database use, and serve /metrics (when settings.metrics)."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for metric in (REQUESTS, LATENCY, TILE_CACHE, DB_TIME, POOL):
            registry.register(metric)
    registry.register(_Scraped(app))
    app.extensions["db_time"] = lambda family, database, s: DB_TIME.labels(family or "other", database).observe(s)
    app.extensions["tile_served"] = lambda hit: TILE_CACHE.labels("hit" if hit else "miss").inc()

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        status = str(response.status_code)
        REQUESTS.labels(endpoint, request.method, status).inc()
        LATENCY.labels(endpoint, status).observe(time.perf_counter() - g.get("metrics_started", time.perf_counter()))
        _pool_gauges(app)
        return response

    if app.config["SETTINGS"].metrics:
        app.add_url_rule("/metrics", "metrics", lambda: Response(generate_latest(registry),
                                                                 content_type=CONTENT_TYPE_LATEST))
