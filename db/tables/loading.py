"""The bundled data sets a database has loaded (migration 0018)."""

from __future__ import annotations

from sqlalchemy import Column, Table, Text

from db.tables.common import NOW, TIMESTAMPTZ, metadata

loaded_sets = Table(
    "loaded_sets", metadata,
    Column("name", Text, primary_key=True), Column("loaded_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)
