"""Migrations apply, revert and apply again on an empty database, and agree with db/tables/."""

import re
from datetime import date

import psycopg
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from db import migrations as migrate
from db.tables import metadata
from monitoring.partitions import ensure_month_partitions


def tables(url):
    """The names of the tables in the public schema, PostGIS's own left out."""
    with psycopg.connect(url) as c:
        return {r[0] for r in c.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")}


def test_up_down_up(scratch_db):
    """Migrations apply, revert to an empty schema and apply again."""
    migrate.upgrade(scratch_db)
    assert migrate.current_revision(scratch_db) == migrate.head_revision()
    assert {"facilities", "violations", "air_readings", "brand_facility_links", "area_carbon"} <= tables(scratch_db)
    migrate.downgrade(scratch_db, "base")
    assert tables(scratch_db) <= {"alembic_version"}
    migrate.upgrade(scratch_db)
    assert "facilities" in tables(scratch_db)


# Tables in the database that db/tables/ does not describe, on purpose: PostGIS's own, Alembic's, and the
# monthly partitions of the readings tables (the partitioned parents are described).
NOT_DESCRIBED = re.compile(r"spatial_ref_sys|alembic_version|geometry_columns|geography_columns|"
                           r"(air|water)_readings_\d{4}_\d{2}")


def _described(obj, name, type_, reflected, compare_to):
    """Compare every table db/tables/ describes: columns, types, defaults, keys, unique constraints, indexes."""
    return type_ != "table" or not NOT_DESCRIBED.fullmatch(name or "")


def test_metadata_matches_the_migrations(scratch_db):
    """db/tables/ and the migrated database agree: autogenerate finds nothing to do."""
    migrate.upgrade(scratch_db)
    with psycopg.connect(scratch_db) as c:  # one partition, to show partitions are left out on purpose
        ensure_month_partitions(c, "air_readings", date(2024, 1, 1), date(2024, 1, 1))
    engine = sqlalchemy.create_engine(migrate.sqlalchemy_url(scratch_db), poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_object": _described, "compare_type": True, "compare_server_default": True})
        diff = compare_metadata(context, metadata)
    assert diff == []
