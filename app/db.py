"""Per-request database connections: the primary's pool and, when configured, read replicas for public reads.

Public reads (tiles, styles, search and near, stations, exports, OGC API; GET and HEAD) go to a healthy replica,
the one with the fewest connections in use. A replica is healthy when its last check (every
`replica_check_s`, in a background thread of each process) reached it and its replay lag was at most
`replica_max_lag_s`; a replica that fails, or whose connection cannot be had, is skipped until a later check
finds it well again. With no healthy replica, reads go to the primary. Everything else goes to the primary,
and so does every request of a client for a while after it wrote (read-your-writes: the `bluemap_rw` cookie
holds until when). A short circuit breaker answers 503 at once during a primary outage.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from flask import Flask, Response, current_app, g, has_request_context, request
from psycopg_pool import ConnectionPool

from core.errors import Unavailable
from db.connection import make_pool
from tiles.version import DataVersion

log = logging.getLogger(__name__)

READ_BLUEPRINTS = frozenset({"tiles", "styles", "search", "stations", "exports", "ogc"})
# PMTiles exports build a temporary table, which a hot standby refuses.
PRIMARY_PATHS = (".pmtiles",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RW_COOKIE = "bluemap_rw"
# What a check reads of a standby: whether it is one, the WAL it has received and replayed (as byte offsets),
# and the age of its last replayed transaction.
LAG_SQL = ("SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn() - '0/0'::pg_lsn, "
           "pg_last_wal_replay_lsn() - '0/0'::pg_lsn, "
           "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8")


def _label(url: str) -> str:
    """host:port/dbname of a connection string, without credentials."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


@dataclass(eq=False)
class Database:
    """One database server the app reads from: its pool, data version and last health check."""

    name: str
    url: str
    pool: ConnectionPool
    version: DataVersion
    replica: bool
    lag_s: float | None = None
    error: str | None = "not checked yet"
    checked_at: float = 0.0
    busy: int = 0
    last_received: float | None = None  # WAL received (bytes) at the last check
    current_at: float | None = None  # when it last held all the primary had sent it (monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def opened(self) -> ConnectionPool:
        """The pool, opened on first use in this process."""
        if self.pool.closed:
            self.pool.open(wait=False)
        return self.pool

    def describe(self, max_lag_s: float) -> dict:
        """What /healthz says of this database."""
        out: dict = {"name": self.name, "role": "replica" if self.replica else "primary", "server": _label(self.url)}
        if not self.replica:
            return out | {"lag_s": 0.0}
        return out | {"lag_s": None if self.lag_s is None else round(self.lag_s, 3), "healthy": self.healthy(max_lag_s),
                      "error": self.error}

    def healthy(self, max_lag_s: float) -> bool:
        """Reachable at its last check and not lagging beyond the bound."""
        return self.error is None and self.lag_s is not None and self.lag_s <= max_lag_s


class Databases:
    """The primary and the replicas of one process, with the checker thread that keeps their state."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.primary = Database("primary", settings.dsn(), make_pool(settings), DataVersion(settings.dsn()), False,
                                lag_s=0.0, error=None)
        urls = [u.strip() for u in (settings.replica_urls or "").split(",") if u.strip()]
        self.replicas = [Database(f"replica{i}", u, make_pool(settings, u, f"bluemap-replica{i}", replica=True),
                                  DataVersion(u, listen=False, poll_s=settings.replica_check_s), True)
                         for i, u in enumerate(urls, 1)]
        self.down_until = 0.0  # the primary's circuit breaker
        self._thread: threading.Thread | None = None
        self._started = threading.Lock()
        self._turn = 0

    def all(self) -> list[Database]:
        """The primary, then the replicas."""
        return [self.primary, *self.replicas]

    def check(self, d: Database) -> None:
        """Reach a replica on a connection of its own and measure its replay lag."""
        try:
            with psycopg.connect(d.url, autocommit=True, connect_timeout=2, application_name="bluemap-check") as c:
                c.execute("SET statement_timeout = 2000")
                row = c.execute(LAG_SQL).fetchone()
            d.lag_s, d.error = _lag(d, row, time.monotonic()), None
        except psycopg.Error as exc:
            d.lag_s, d.error = None, (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        d.checked_at = time.monotonic()

    def failed(self, d: Database, exc: BaseException) -> None:
        """A request could not use this replica: skip it until a later check finds it well."""
        log.warning("replica %s unavailable, reading from the primary: %s", d.name, exc)
        d.error = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        d.checked_at = time.monotonic()

    def _watch(self) -> None:
        while True:
            time.sleep(self.settings.replica_check_s)
            for d in self.replicas:
                self.check(d)

    def start(self) -> None:
        """Check every replica now and start the checker thread (once per process)."""
        import os

        if self._thread is not None and self._thread.is_alive() and getattr(self, "_pid", 0) == os.getpid():
            return  # (the usual case, without the lock)
        with self._started:
            if self._thread is not None and self._thread.is_alive() and getattr(self, "_pid", 0) == os.getpid():
                return
            for d in self.replicas:
                self.check(d)
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._watch, daemon=True, name="replica-checks")
            self._thread.start()

    def pick(self) -> Database:
        """A healthy replica with the fewest connections in use (taking turns among equals), else the primary."""
        if not self.replicas:
            return self.primary
        self.start()
        ok = [d for d in self.replicas if d.healthy(self.settings.replica_max_lag_s)]
        if not ok:
            return self.primary
        self._turn += 1
        return min(ok, key=lambda d: (d.busy, (ok.index(d) - self._turn) % len(ok)))


def _lag(d: Database, row: tuple | None, now: float) -> float:
    """Seconds since the replica last held everything the primary had sent it.

    Caught up (replayed all it received): 0. Otherwise, if it has replayed all it had received by the previous
    check, it was current then; if not (replay paused or too slow), the lag keeps growing from the last time it
    was. Before a first such point is known, the age of its last replayed transaction stands in.
    """
    if row is None or not row[0]:  # not a standby (promoted): no lag
        return 0.0
    received, replayed, age = row[1], row[2], row[3]
    previous, d.last_received = d.last_received, received
    if received is not None and replayed is not None and replayed >= received:
        d.current_at = now
    elif previous is not None and replayed is not None and replayed >= previous and d.checked_at:
        d.current_at = d.checked_at
    if d.current_at is None:
        return float(age or 0.0)
    return now - d.current_at


def init_app(app: Flask) -> None:
    """Attach the (lazily opened) pools to the app; mark clients that wrote so their next reads see it."""
    dbs = Databases(app.config["SETTINGS"])
    app.extensions["databases"] = dbs
    app.extensions["pool"] = dbs.primary.pool

    @app.after_request
    def _read_your_writes(response: Response) -> Response:
        if dbs.replicas and request.method not in SAFE_METHODS and response.status_code < 400:
            s = app.config["SETTINGS"]
            hold = s.replica_max_lag_s + s.replica_check_s + 1
            response.set_cookie(RW_COOKIE, f"{time.time() + hold:.0f}", max_age=int(hold) + 1, httponly=True,
                                samesite="Lax", secure=s.secure_cookies)
        return response


def databases() -> Databases:
    """The current app's databases."""
    return current_app.extensions["databases"]


def _wrote_recently() -> bool:
    try:
        return float(request.cookies.get(RW_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def target() -> Database:
    """The database this request reads from (chosen once per request)."""
    dbs = databases()
    if not has_request_context():
        return dbs.primary
    chosen = g.get("bluemap_db")
    if chosen is None:
        readable = (request.method in SAFE_METHODS and request.blueprint in READ_BLUEPRINTS
                    and not request.path.endswith(PRIMARY_PATHS) and not _wrote_recently())
        chosen = g.bluemap_db = dbs.pick() if readable else dbs.primary
    return chosen


def _fall_back(d: Database, exc: BaseException) -> Database:
    dbs = databases()
    dbs.failed(d, exc)
    if has_request_context():
        g.bluemap_db = dbs.primary
    return dbs.primary


def pool() -> ConnectionPool:
    """The pool of this request's database, opened on first use in this process."""
    return target().opened()


def data_version() -> int:
    """The data version of this request's database (the primary's when a replica cannot be reached)."""
    d = target()
    try:
        return d.version.current()
    except psycopg.Error as exc:
        if not d.replica:
            raise Unavailable("database unavailable") from None
        return _fall_back(d, exc).version.current()


def _getconn(d: Database) -> tuple[Database, psycopg.Connection]:
    """A connection of `d`; from the primary when a replica cannot give one; Unavailable when the primary can't."""
    dbs = databases()
    if d.replica:
        try:
            return d, d.opened().getconn()
        except psycopg.OperationalError as exc:  # PoolTimeout included
            d = _fall_back(d, exc)
    if time.monotonic() < dbs.down_until:
        raise Unavailable("database unavailable")
    try:
        return d, d.opened().getconn()
    except psycopg.OperationalError as exc:  # PoolTimeout included: no connection within db_wait_s
        retry = current_app.config["SETTINGS"].db_retry_s
        dbs.down_until = time.monotonic() + retry
        log.warning("database unavailable, answering 503 for %.0f s: %s", retry, exc)
        raise Unavailable("database unavailable") from None


@contextmanager
def conn() -> Iterator[psycopg.Connection]:
    """A pooled connection of this request's database for the duration of a block (503 during an outage)."""
    d, c = _getconn(target())
    d.busy += 1
    started = time.perf_counter()
    try:
        with c:  # commits on success, rolls back on error (the pool resets what is left)
            yield c
    finally:
        d.busy -= 1
        d.pool.putconn(c)
        _observe(d, time.perf_counter() - started)


def _observe(d: Database, seconds: float) -> None:
    """Count database time per query family (the blueprint asking) and database."""
    hook = current_app.extensions.get("db_time")
    if hook is not None:
        hook(request.blueprint if has_request_context() else None, d.name, seconds)
