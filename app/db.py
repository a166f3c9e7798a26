"""Per-request database connections from the app's pool, with a short circuit breaker during an outage."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from flask import Flask, current_app
from psycopg_pool import ConnectionPool

from core.errors import Unavailable
from db.connection import make_pool

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Attach a (lazily opened) pool to the app, and its breaker state."""
    app.extensions["pool"] = make_pool(app.config["SETTINGS"])
    app.extensions["db_down_until"] = 0.0


def pool() -> ConnectionPool:
    """The current app's pool, opened on first use in this process."""
    p: ConnectionPool = current_app.extensions["pool"]
    if p.closed:
        p.open(wait=False)
    return p


@contextmanager
def conn() -> Iterator[psycopg.Connection]:
    """A pooled connection for the duration of a block; Unavailable (503) at once while the breaker is open."""
    ext = current_app.extensions
    if time.monotonic() < ext["db_down_until"]:
        raise Unavailable("database unavailable")
    p = pool()
    try:
        c = p.getconn()
    except psycopg.OperationalError as exc:  # PoolTimeout included: no connection within db_wait_s
        ext["db_down_until"] = time.monotonic() + current_app.config["SETTINGS"].db_retry_s
        log.warning("database unavailable, answering 503 for %.0f s: %s", current_app.config["SETTINGS"].db_retry_s,
                    exc)
        raise Unavailable("database unavailable") from None
    try:
        with c:  # commits on success, rolls back on error (the pool resets what is left)
            yield c
    finally:
        p.putconn(c)
