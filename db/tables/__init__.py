"""The tables the migrations create, as SQLAlchemy Core metadata with GeoAlchemy2 geometry columns.

The migrations (plain SQL under migrations/versions) stay the source of the schema; this metadata describes
it for Python code and Alembic, and tests/db/test_migrations.py fails when the two disagree. CHECK
constraints, triggers, rules and functions live only in the migrations (autogenerate does not compare them,
nor the predicate of a partial index); columns, types, server defaults, keys and indexes are compared.
Each room's tables are one module here; importing the package registers them all on `metadata`.
"""

from db.tables import (  # noqa: F401  (registers the tables)
    alerts,
    basemap,
    foundation,
    indices,
    loading,
    merges,
    readings,
    realdata,
    reports,
    supply,
    workflow,
)
from db.tables.common import metadata

__all__ = ["metadata"]
