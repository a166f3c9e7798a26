"""Rows as dicts keyed by column name (psycopg's dict_row), and the single row of an aggregate query."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import Params
from psycopg.rows import dict_row

Query = str | sql.SQL | sql.Composed


def dicts(conn: psycopg.Connection, query: Query, params: Params | None = None, **kw: Any) -> list[dict[str, Any]]:
    """Every row of `query`, as dicts."""
    return conn.cursor(row_factory=dict_row).execute(query, params, **kw).fetchall()


def first(conn: psycopg.Connection, query: Query, params: Params | None = None) -> dict[str, Any] | None:
    """The first row of `query` as a dict, or None."""
    return conn.cursor(row_factory=dict_row).execute(query, params).fetchone()


def aggregate(conn: psycopg.Connection, query: Query, params: Params | None = None) -> tuple[Any, ...]:
    """The one row of an aggregate query (which always has one)."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, "an aggregate query returns one row"
    return row


def aggregate_dict(conn: psycopg.Connection, query: Query, params: Params | None = None) -> dict[str, Any]:
    """The one row of an aggregate query, as a dict."""
    row = first(conn, query, params)
    assert row is not None, "an aggregate query returns one row"
    return row
