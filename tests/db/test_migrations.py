"""Migrations apply, revert and apply again on an empty database."""

import psycopg

from db import migrations as migrate


def tables(url):
    with psycopg.connect(url) as c:
        return {r[0] for r in c.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")}


def test_up_down_up(scratch_db):
    migrate.upgrade(scratch_db)
    assert migrate.current_revision(scratch_db) == migrate.head_revision()
    assert {"facilities", "violations", "air_readings", "brand_facility_links", "area_carbon"} <= tables(scratch_db)
    migrate.downgrade(scratch_db, "base")
    assert tables(scratch_db) <= {"alembic_version"}
    migrate.upgrade(scratch_db)
    assert "facilities" in tables(scratch_db)
