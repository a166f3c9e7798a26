"""gunicorn server hooks for `bluemap serve` (loaded with `--config python:ops.gunicorn_conf`)."""

from __future__ import annotations

import os
from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended (or was killed): drop its live gauges from the shared Prometheus files.

    Counters and histograms of a dead worker stay (they are totals); gauges in a `live*` mode, such as the pool
    sizes, would otherwise add a process that no longer exists to every /metrics answer.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
