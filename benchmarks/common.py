"""Shared benchmark plumbing: a dedicated database, timing of child processes with /usr/bin/time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass

import psycopg

from app.settings import get_settings
from ops.cluster import embedded_cluster

BENCH_DB = "bluemap_bench"


def bench_url(fresh: bool = False) -> str:
    """URL of the benchmark database on the configured server (created, migrated; recreated when fresh)."""
    s = get_settings()
    if s.embedded:
        embedded_cluster(s).start()
    base = s.dsn().rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as c:
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DB,)).fetchone()
        if exists and fresh:
            c.execute(f'DROP DATABASE "{BENCH_DB}" WITH (FORCE)')
            exists = None
        if not exists:  # with the collation a new embedded cluster has (C), whatever this cluster's default
            ctype = c.execute("SELECT datctype FROM pg_database WHERE datname = 'template1'").fetchone()[0]
            c.execute(f"""CREATE DATABASE "{BENCH_DB}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C'
                          LC_CTYPE '{ctype}'""")
    url = f"{base}/{BENCH_DB}"
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    from db import migrations as migrate

    migrate.upgrade(url)
    return url


@dataclass
class Run:
    """Wall time and peak resident memory of one child process, and the CPU time the machine was busy meanwhile."""

    seconds: float
    peak_mb: float
    output: str
    busy: float = float("nan")


def busy_seconds() -> float:
    """CPU seconds this machine has been busy since boot, on all its cores (Linux /proc/stat; nan elsewhere)."""
    try:
        with open("/proc/stat") as fh:
            t = [int(x) for x in fh.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
    except (OSError, ValueError):
        return float("nan")
    return (sum(t) - t[3] - t[4]) / os.sysconf("SC_CLK_TCK")


def timed(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `cmd` under /usr/bin/time -v; fail loudly if it fails."""
    t0, b0 = time.perf_counter(), busy_seconds()
    res = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    wall, busy = time.perf_counter() - t0, busy_seconds() - b0
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit(f"benchmark step failed: {' '.join(cmd)}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr)
    return Run(wall, int(m.group(1)) / 1024 if m else float("nan"), res.stdout, busy)
