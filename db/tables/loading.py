"""The bundled data sets a database has loaded (migration 0018), and indexes a bulk load deferred (0024)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Table, Text, text

from db.tables.common import NOW, TIMESTAMPTZ, metadata

loaded_sets = Table(
    "loaded_sets", metadata,
    Column("name", Text, primary_key=True), Column("loaded_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)

# The secondary indexes a committed bulk load left to be made again, a few at a time (migration 0024).
deferred_indexes = Table(
    "deferred_indexes", metadata,
    Column("name", Text, primary_key=True), Column("table_name", Text, nullable=False),
    Column("ddl", Text, nullable=False), Column("cost", BigInteger, nullable=False, server_default=text("0")),
    Column("deferred_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)
