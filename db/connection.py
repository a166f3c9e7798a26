"""Connections: one for a command or loader, one pool per application; both set the session up alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool


class Settings(Protocol):
    """What connections need of the service settings (the app's Settings object provides it)."""

    statement_timeout_ms: int
    pool_min: int
    pool_max: int
    db_wait_s: float

    def dsn(self) -> str:
        """The libpq connection string."""
        ...


def _configure(conn: psycopg.Connection, timeout_ms: int) -> None:
    conn.execute(f"SET statement_timeout = {int(timeout_ms)}")
    conn.execute("SET max_parallel_workers_per_gather = 0")  # faster for small tile-sized queries
    conn.execute("SET jit = off")  # JIT compilation costs 300+ ms on tile queries and never pays back
    conn.commit()


def _configure_pooled(conn: psycopg.Connection, timeout_ms: int) -> None:
    """A pool connection: as above, and PostGIS set up (about 25 ms per new backend) before a request needs it."""
    _configure(conn, timeout_ms)
    try:
        conn.execute("SELECT ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint(116.4, 39.9), 4326), 3857), "
                     "ST_MakeEnvelope(0, 0, 1, 1, 3857))")
    except psycopg.Error:  # a database without PostGIS yet: requests will say what is missing
        pass
    conn.rollback()


@contextmanager
def connect(settings: Settings, autocommit: bool = False) -> Iterator[psycopg.Connection]:
    """A single connection for the CLI and loaders (committed on success, rolled back on error)."""
    with psycopg.connect(settings.dsn(), autocommit=autocommit) as conn:
        _configure(conn, settings.statement_timeout_ms * 40)  # bulk loads may run long
        yield conn


def same_target(conn: psycopg.Connection) -> str:
    """The conninfo of `conn`'s database, password included: more connections for one job (a bulk load's)."""
    return make_conninfo(conn.info.dsn, password=conn.info.password or None)


def make_pool(settings: Settings, dsn: str | None = None, name: str = "bluemap", replica: bool = False
              ) -> ConnectionPool:
    """The application's connection pool (opened lazily, per process: safe with gunicorn's fork).

    `dsn` names another database than the settings' (a read replica, whose connections are checked before use
    and waited for at most a second, so a stopped replica is noticed and the primary used); `name` is the pool's.
    """
    wait = min(settings.db_wait_s, 1.0) if replica else settings.db_wait_s
    # A request waits at most `wait` seconds for a connection (then 503), and a new connection's TCP/TLS set-up
    # is bounded alike: an outage answers fast instead of hanging every worker for the pool's 30 s default.
    return ConnectionPool(dsn or settings.dsn(), name=name, min_size=settings.pool_min, max_size=settings.pool_max,
                          open=False, check=ConnectionPool.check_connection if replica else None,
                          timeout=wait, reconnect_timeout=0,
                          configure=lambda c: _configure_pooled(c, settings.statement_timeout_ms),
                          kwargs={"application_name": "bluemap", "connect_timeout": max(1, round(wait))})
