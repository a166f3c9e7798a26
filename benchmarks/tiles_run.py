"""Plumbing of the tile benchmark: servers as child processes, an HTTP client, wrk, and the SQL floor."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

from app.settings import PROJECT_ROOT
from benchmarks.tiles_lists import Tile

BENCH_DIR = PROJECT_ROOT / "var" / "bench"
WRK_LUA = Path(__file__).with_name("tiles_wrk.lua")


@dataclass
class Sample:
    """One tile fetched (or rendered): latency, status, uncompressed and on-the-wire sizes."""

    tile: Tile
    ms: float
    status: int
    raw: int
    wire: int
    body: bytes | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(name: str, cmd: list[str], env: dict[str, str], ready_path: str, cwd: Path | None = None,
           wait_s: float = 120.0) -> Iterator[str]:
    """Start `cmd` in its own process group, wait until `ready_path` answers, yield its base URL, stop it."""
    port = env["PORT"]
    base = f"http://127.0.0.1:{port}"
    log = open(BENCH_DIR / f"{name}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=cwd or PROJECT_ROOT, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + wait_s
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{name} exited with {proc.returncode}; see {log.name}")
            try:
                if requests.get(base + ready_path, timeout=5, stream=True).status_code < 500:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not answer within {wait_s:.0f} s; see {log.name}")
            time.sleep(0.3)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its workers (a group of our own)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


_local = threading.local()


def _session() -> requests.Session:
    if not hasattr(_local, "s"):
        _local.s = requests.Session()
        _local.s.headers["Accept-Encoding"] = "gzip"
    return _local.s


def fetch(base: str, path: str, tile: Tile, keep_body: bool = False) -> Sample:
    """GET one tile; latency up to the last byte; sizes before and after gzip."""
    t0 = time.perf_counter()
    r = _session().get(base + path, timeout=120)
    body = r.content  # decoded (uncompressed) body
    ms = (time.perf_counter() - t0) * 1000
    wire = int(r.headers.get("Content-Length", len(body)))
    return Sample(tile, ms, r.status_code, len(body), wire, body if keep_body else None)


def fetch_all(base: str, paths: Sequence[str], tiles: Sequence[Tile], conns: int = 1,
              keep_body=lambda t: False) -> list[Sample]:
    """Fetch every tile once, sequentially (conns=1) or with `conns` concurrent keep-alive connections."""
    if conns == 1:
        return [fetch(base, p, t, keep_body(t)) for p, t in zip(paths, tiles, strict=True)]
    with ThreadPoolExecutor(conns) as pool:
        return list(pool.map(lambda p, t: fetch(base, p, t, keep_body(t)), paths, tiles))


@dataclass
class WrkResult:
    """What a wrk run measured: requests, duration, bytes and latency percentiles (ms)."""

    requests: int
    seconds: float
    bytes: int
    p50: float
    p95: float
    p99: float
    mean: float
    max: float
    errors: dict[str, int]
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(base: str, paths: Sequence[str], label: str, conns: int, seconds: int) -> WrkResult:
    """wrk for `seconds`, one connection per thread, each thread cycling through its share of `paths`."""
    paths_file = BENCH_DIR / f"paths-{label}.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    cmd = ["wrk", f"-t{conns}", f"-c{conns}", f"-d{seconds}s", "--timeout", "60s", "-s", str(WRK_LUA), base,
           "--", str(paths_file), str(conns)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=seconds + 120)
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if res.returncode != 0 or line is None:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit(f"wrk failed against {base}")
    d = json.loads(line[len("WRKJSON "):])
    ms = {k: d[f"{k}_us"] / 1000 for k in ("p50", "p95", "p99", "mean", "max")}
    return WrkResult(d["requests"], d["duration_us"] / 1e6, d["bytes"], errors=d["errors"],
                     statuses=d["statuses"], **ms)


def load(base: str, paths: Sequence[str], tiles: Sequence[Tile], conns: int) -> tuple[list[Sample], float]:
    """A fixed amount of work: every tile once, `conns` connections taking the next tile as they free up.

    For slow (cold) tiles, where a run of wrk would stop at different places in the list for different
    servers; tiles/s = tiles / wall time.
    """
    t0 = time.perf_counter()
    samples = fetch_all(base, paths, tiles, conns=conns)
    return samples, time.perf_counter() - t0


def db_floor(url: str, tiles: Sequence[Tile], timeout_ms: int) -> list[Sample]:
    """The server's tile SQL run directly: same query text, same bind parameters, one connection.

    The connection is configured as the server's pool configures its connections (statement timeout, no
    parallel workers, no JIT); only the execution and fetch of the tile are timed.
    """
    from db.connection import _configure_pooled
    from layers.registry import LAYERS
    from tiles.render import params, tile_mode
    from tiles.sql import tile_query

    layer = LAYERS.get("factories")
    filters = layer.parse_filters({})
    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        _configure_pooled(conn, timeout_ms)
        for t in tiles:
            z, x, y = t
            values = params(layer, z, x, y) | filters
            if layer.prepare:
                values |= layer.prepare(conn, filters)
            t0 = time.perf_counter()
            query = tile_query(layer, tile_mode(conn, layer, z, frozenset(filters)), frozenset(filters))
            try:
                row = conn.execute(query, values, binary=True).fetchone()
                data = bytes(row[0]) if row and row[0] else b""
                status = 200 if data else 204
            except psycopg.errors.QueryCanceled:
                data, status = b"", 500
            ms = (time.perf_counter() - t0) * 1000
            out.append(Sample(t, ms, status, len(data), len(data), data))
    return out


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)] if s else float("nan")


@dataclass
class Stats:
    """Latency, rate and size statistics of one set of tile requests."""

    n: int
    rate: float  # tiles/s, one connection: n / sum of latencies
    p50: float
    p95: float
    p99: float
    raw: float  # mean uncompressed bytes of non-empty tiles
    wire: float  # mean bytes on the wire (gzip) of non-empty tiles
    errors: int


def stats(samples: Sequence[Sample]) -> Stats:
    ms = [s.ms for s in samples]
    full = [s for s in samples if s.raw]
    return Stats(len(ms), len(ms) / (sum(ms) / 1000) if ms else 0.0, percentile(ms, 50), percentile(ms, 95),
                 percentile(ms, 99), statistics.fmean([s.raw for s in full]) if full else 0.0,
                 statistics.fmean([s.wire for s in full]) if full else 0.0,
                 sum(1 for s in samples if s.status >= 400))


def loadavg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())
