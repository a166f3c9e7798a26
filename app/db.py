"""Per-request database connections from the app's pool."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from flask import Flask, current_app
from psycopg_pool import ConnectionPool

from db.connection import make_pool


def init_app(app: Flask) -> None:
    """Attach a (lazily opened) pool to the app."""
    app.extensions["pool"] = make_pool(app.config["SETTINGS"])


def pool() -> ConnectionPool:
    """The current app's pool, opened on first use in this process."""
    p: ConnectionPool = current_app.extensions["pool"]
    if p.closed:
        p.open(wait=False)
    return p


@contextmanager
def conn() -> Iterator[psycopg.Connection]:
    """A pooled connection for the duration of a block."""
    with pool().connection() as c:
        yield c
