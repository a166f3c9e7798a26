"""`bluemap serve` under gunicorn: a worker that dies leaves no live gauges behind in /metrics."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.db
LIVE = re.compile(r"^gauge_livesum_(\d+)\.db$")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


def _live_pids(folder: Path) -> set[int]:
    return {int(m.group(1)) for p in folder.iterdir() if (m := LIVE.match(p.name))}


def _until(check, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return found


def test_a_killed_worker_leaves_no_gauges(settings, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(DATABASE_URL=settings.database_url, BLUEMAP_VAR_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "ops.cli", "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folder = tmp_path / "metrics"
    pool = ThreadPoolExecutor(6)

    def both_answer() -> set[int]:  # concurrent requests reach both sync workers; each writes its pool gauges
        try:
            list(pool.map(lambda _: _get(base + "/healthz"), range(12)))
        except OSError:
            return set()
        return pids if len(pids := _live_pids(folder)) >= 2 else set()

    try:
        first = _until(both_answer, "two workers with gauges")
        assert len(first) == 2
        dead = min(first)
        os.kill(dead, signal.SIGKILL)  # a worker of the gunicorn this test started
        _until(lambda: dead not in _live_pids(folder), "the dead worker's gauge file to go")
        after = _until(lambda: (p := both_answer()) and dead not in p and p, "a replacement worker")
        assert len(after) == 2 and dead not in after and (after - first)
        text = _get(base + "/metrics").decode()
        sizes = [s.value for f in text_string_to_metric_families(text) for s in f.samples
                 if s.name == "bluemap_db_pool_connections" and s.labels.get("state") == "size"]
        assert sizes and 2 <= sum(sizes) <= 2 * settings.pool_max
        assert not (folder / f"gauge_livesum_{dead}.db").exists()
        assert (folder / f"counter_{dead}.db").exists()  # its requests still count in the totals
    finally:
        pool.shutdown()
        proc.terminate()
        proc.wait(timeout=30)
