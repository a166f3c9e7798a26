"""When most records are new, the facility summaries come from one pass over all records.

The summary trigger's hashed branch (0026) first finds the facilities the changed records name, then reads those
facilities' records: at a national refresh into a new data set (2M records, most of the table) that set and its
join cost 2.7 s for nothing, as the records of nearly every facility changed. When the changed records are at
least half the records the table held, the branch now groups every record by facility in one pass and updates
the facilities whose summary differs (the others keep theirs, as they were right). Smaller changes keep 0026's
statement.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-30
"""

from alembic import op
from sqlalchemy import text

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

FUNCTION = "refresh_facility_summary()"
AT = "    PERFORM set_config('enable_nestloop', 'off', true);\n"
# reltuples is what the table held at its last ANALYZE (-1 before any): a guide for the plan, not for the result,
# which is the same either way.
ALL = """\
    IF (SELECT count(*) FROM changed) * 2 >= (SELECT reltuples FROM pg_class WHERE oid = 'violations'::regclass)
    THEN
        UPDATE facilities f  -- (most records changed: every facility's records, in one pass)
        SET violation_count = s.n, latest_violation = s.latest, worst_status = s.worst, violations_synthetic = s.syn
        FROM (
            SELECT v.facility_id,
                   count(*) FILTER (WHERE v.status <> 'removed') AS n,
                   max(v.violation_date) FILTER (WHERE v.status <> 'removed') AS latest,
                   (ARRAY['none', 'rectified', 'explained', 'open'])[1 + coalesce(max(
                       CASE v.status WHEN 'open' THEN 3 WHEN 'explained' THEN 2 WHEN 'rectified' THEN 1 END), 0)]
                       AS worst,
                   coalesce(bool_or(v.synthetic) FILTER (WHERE v.status <> 'removed'), false) AS syn
            FROM violations v
            GROUP BY v.facility_id
        ) s
        WHERE f.id = s.facility_id AND (f.violation_count, f.latest_violation, f.worst_status, f.violations_synthetic)
              IS DISTINCT FROM (s.n::int, s.latest, s.worst, s.syn);
        PERFORM set_config('enable_nestloop', nestloop, true);
        RETURN NULL;
    END IF;
"""


def _rewrite(forward: bool) -> None:
    """The function's stored definition with ALL added after AT (or taken out)."""
    conn = op.get_bind()
    ddl = conn.execute(text(f"SELECT pg_get_functiondef('{FUNCTION}'::regprocedure)")).scalar_one()
    a, b = (AT, AT + ALL) if forward else (AT + ALL, AT)
    if ddl.count(a) != 1:
        raise RuntimeError(f"{FUNCTION} is not as expected: {a.strip()[:60]!r} found {ddl.count(a)} times")
    op.execute(text(ddl.replace(a, b)).execution_options(no_parameters=True))  # (a plpgsql body, not a template)


def upgrade() -> None:
    """The one-pass branch."""
    _rewrite(True)


def downgrade() -> None:
    """The function as 0026 left it."""
    _rewrite(False)
