"""/metrics in Prometheus format, and the JSON log lines option."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import mercantile
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core import logs

pytestmark = pytest.mark.db
TILE_RULE = "/tiles/<spec>/<z>/<x>/<y>.mvt"


def _samples(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    out = {}
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _get(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_latency_tile_cache_db_time_and_pool(client, conn):
    lon, lat = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM facilities ORDER BY id DESC LIMIT 1").fetchone()
    t = mercantile.tile(lon, lat, 13)
    url = f"/tiles/factories/{t.z}/{t.x}/{t.y}.mvt?status=open"
    before = _samples(client)
    assert client.get(url).status_code in (200, 204)
    assert client.get(url).status_code in (200, 204)
    assert client.get("/tiles/nope/1/0/0.mvt").status_code == 404
    after = _samples(client)
    ok = [k for k in after if k[0] == "bluemap_http_requests_total" and ("endpoint", TILE_RULE) in k[1]]
    assert sum(after[k] - before.get(k, 0) for k in ok) == 3
    assert _get(after, "bluemap_http_requests_total", endpoint=TILE_RULE, method="GET", status="404") \
        - _get(before, "bluemap_http_requests_total", endpoint=TILE_RULE, method="GET", status="404") == 1
    assert _get(after, "bluemap_tile_cache_total", result="miss") - _get(before, "bluemap_tile_cache_total",
                                                                         result="miss") == 1
    assert _get(after, "bluemap_tile_cache_total", result="hit") - _get(before, "bluemap_tile_cache_total",
                                                                        result="hit") == 1
    count = [k for k in after if k[0] == "bluemap_http_request_duration_seconds_count"
             and ("endpoint", TILE_RULE) in k[1]]
    assert sum(after[k] - before.get(k, 0) for k in count) == 3
    assert _get(after, "bluemap_db_seconds_count", family="tiles", database="primary") \
        - _get(before, "bluemap_db_seconds_count", family="tiles", database="primary") == 1
    assert _get(after, "bluemap_db_pool_connections", database="primary", state="size") >= 1
    assert _get(after, "bluemap_database_up", database="primary") == 1
    assert ("bluemap_export_jobs", (("state", "queued"),)) in after


def test_metrics_add_up_across_worker_processes(tmp_path, settings):
    """Under gunicorn each worker is a process: with PROMETHEUS_MULTIPROC_DIR /metrics sums them."""
    script = (
        "import sys\n"
        "from app import create_app\n"
        "from app.settings import get_settings\n"
        "app = create_app(get_settings(database_url=sys.argv[1], var_dir=sys.argv[2]))\n"
        "c = app.test_client()\n"
        "if sys.argv[3] == 'hit':\n"
        "    assert c.get('/tiles/nope/0/0/0.mvt').status_code == 404\n"
        "else:\n"
        "    sys.stdout.write(c.get('/metrics').get_data(as_text=True))\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    args = [sys.executable, "-c", script, settings.dsn(), str(settings.var_dir)]
    root = Path(__file__).resolve().parents[2]
    for _ in range(2):
        subprocess.run([*args, "hit"], env=env, cwd=root, check=True, timeout=120)
    text = subprocess.run([*args, "read"], env=env, cwd=root, check=True, timeout=120, capture_output=True,
                          text=True).stdout
    total = sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
                if s.name == "bluemap_http_requests_total" and s.labels.get("status") == "404")
    assert total == 2


def test_json_log_lines():
    formatter = logs.JsonFormatter()
    record = logging.LogRecord("app.requests", logging.INFO, __file__, 1, "%s %s", ("GET", "/tiles"), None)
    record.status = 200
    line = json.loads(formatter.format(record))
    assert line["message"] == "GET /tiles" and line["level"] == "INFO" and line["logger"] == "app.requests"
    assert line["status"] == 200 and line["time"].endswith("+00:00")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in json.loads(formatter.format(record))["exception"]


def test_json_logs_setting_switches_the_handler(settings):
    from app import create_app

    try:
        create_app(settings.model_copy(update={"log_json": True}))
        mine = [h for h in logging.getLogger().handlers if getattr(h, "_bluemap", False)]
        assert mine and all(isinstance(h.formatter, logs.JsonFormatter) for h in mine)
    finally:
        logs.configure(settings.log_level)
    assert not any(isinstance(h.formatter, logs.JsonFormatter) for h in logging.getLogger().handlers
                   if getattr(h, "_bluemap", False))
