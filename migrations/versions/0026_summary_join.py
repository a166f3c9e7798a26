"""The facility summaries of a large records load are joined to the facilities by hash, not row by row.

The statement trigger that keeps `facilities.violation_count` (and the latest date, worst status and synthetic
flag) knows nothing of its transition table's size, so the planner guessed 200 facilities and joined the
aggregate to `facilities` by a million index lookups in random order: 20 s of a 2,000,000-record load. From
100,000 changed records on, the update is planned without nested loops: one pass over `facilities` joined to
the aggregate by hash (12 s). Smaller changes keep the plans of 0014.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

SMALL = """
        UPDATE facilities f
        SET violation_count = s.n, latest_violation = s.latest, worst_status = s.worst, violations_synthetic = s.syn
        FROM (SELECT DISTINCT facility_id FROM changed) c
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE v.status <> 'removed') AS n,
                   max(v.violation_date) FILTER (WHERE v.status <> 'removed') AS latest,
                   (ARRAY['none', 'rectified', 'explained', 'open'])[1 + coalesce(max(
                       CASE v.status WHEN 'open' THEN 3 WHEN 'explained' THEN 2 WHEN 'rectified' THEN 1 END), 0)]
                       AS worst,
                   coalesce(bool_or(v.synthetic) FILTER (WHERE v.status <> 'removed'), false) AS syn
            FROM violations v WHERE v.facility_id = c.facility_id
        ) s
        WHERE f.id = c.facility_id AND (f.violation_count, f.latest_violation, f.worst_status, f.violations_synthetic)
              IS DISTINCT FROM (s.n::int, s.latest, s.worst, s.syn);"""
LARGE = """
    UPDATE facilities f
    SET violation_count = s.n, latest_violation = s.latest, worst_status = s.worst, violations_synthetic = s.syn
    FROM (
        SELECT v.facility_id,
               count(*) FILTER (WHERE v.status <> 'removed') AS n,
               max(v.violation_date) FILTER (WHERE v.status <> 'removed') AS latest,
               (ARRAY['none', 'rectified', 'explained', 'open'])[1 + coalesce(max(
                   CASE v.status WHEN 'open' THEN 3 WHEN 'explained' THEN 2 WHEN 'rectified' THEN 1 END), 0)] AS worst,
               coalesce(bool_or(v.synthetic) FILTER (WHERE v.status <> 'removed'), false) AS syn
        FROM violations v
        WHERE v.facility_id IN (SELECT DISTINCT facility_id FROM changed)
        GROUP BY v.facility_id
    ) s
    WHERE f.id = s.facility_id;"""

# As 0014 left it (for the downgrade).
AS_0014 = f"""
CREATE OR REPLACE FUNCTION refresh_facility_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM (SELECT 1 FROM changed LIMIT 1000) few) < 1000 THEN
        {SMALL}
        RETURN NULL;
    END IF;
    {LARGE}
    RETURN NULL;
END $$"""

# The planner settings are set for the transaction (set_config's `true`) and put back after the statement; the
# statement's cached plan is made under them, as it is only ever run under them.
HASHED = f"""
CREATE OR REPLACE FUNCTION refresh_facility_summary() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    n bigint := (SELECT count(*) FROM (SELECT 1 FROM changed LIMIT 100000) few);
    nestloop text;
BEGIN
    IF n < 1000 THEN
        {SMALL}
        RETURN NULL;
    END IF;
    IF n < 100000 THEN
        {LARGE}
        RETURN NULL;
    END IF;
    nestloop := current_setting('enable_nestloop');
    PERFORM set_config('enable_nestloop', 'off', true);
    {LARGE.replace("UPDATE facilities f", "UPDATE facilities f  -- (the same statement, planned without nested loops)")}
    PERFORM set_config('enable_nestloop', nestloop, true);
    RETURN NULL;
END $$"""


def upgrade() -> None:
    """The summary trigger's function, with its third, hashed branch."""
    op.execute(HASHED)


def downgrade() -> None:
    """The function as 0014 left it."""
    op.execute(AS_0014)
