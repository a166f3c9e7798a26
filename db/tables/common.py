"""Shared metadata, enum types and column helpers of the table descriptions.

The migrations (plain SQL under migrations/versions) stay the source of the schema; this metadata describes
it for Python code and Alembic, and tests/db/test_migrations.py fails when the two disagree. CHECK
constraints, triggers, rules and functions live only in the migrations (autogenerate does not compare them,
nor the predicate of a partial index); columns, types, server defaults, keys and indexes are compared.
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ENUM, REAL

metadata = MetaData()

# The enum types are created by the migrations, never by this metadata.
violation_status = ENUM("open", "explained", "rectified", "removed", name="violation_status", create_type=False)
supply_tier = ENUM("raw_materials", "processing", "manufacturing_assembly", "direct_supplier", "waste_treatment",
                   "packaging", "retail_distribution", name="supply_tier", create_type=False)

TIMESTAMPTZ = DateTime(timezone=True)
NOW = text("now()")
FALSE = text("false")
TRUE = text("true")
EMPTY_OBJECT = text("'{}'::jsonb")
EMPTY_ARRAY = text("'{}'::text[]")


def geometry(kind: str, nullable: bool = False) -> Column:
    """A `geom`-style WGS84 column; its GiST index is declared by name next to the table."""
    return Column("geom", Geometry(kind, srid=4326, spatial_index=False), nullable=nullable)


def ref(name: str, target: str, nullable: bool = True, **kw: object) -> Column:
    """A bigint column referring to `target` (table.column)."""
    return Column(name, BigInteger, ForeignKey(target, **kw), nullable=nullable)  # type: ignore[arg-type]


def dataset() -> Column:
    """The source data set of a row."""
    return Column("dataset_id", Text, ForeignKey("datasets.id"), nullable=False)


def synthetic() -> Column:
    """Whether a row is synthetic demo data."""
    return Column("synthetic", Boolean, nullable=False, server_default=FALSE)


def reals(*names: str) -> list[Column]:
    """Nullable REAL columns."""
    return [Column(n, REAL) for n in names]


def gist(table: str) -> Index:
    """The GiST index of a table's geom column."""
    return Index(f"{table}_geom_idx", "geom", postgresql_using="gist")
