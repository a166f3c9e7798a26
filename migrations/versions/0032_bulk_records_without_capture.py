"""The one-pass summary refresh and the alert batch as functions of their own, for a bulk load to call.

A statement trigger with a transition table makes PostgreSQL copy every row a statement inserts into a
tuplestore, whole, even while the trigger is disabled: at a national refresh that is 2M records (2-3 s). A bulk
records load therefore drops the records' three insert triggers for its insert, writes the history from the
insert's RETURNING, and calls these two functions, which the triggers now call too, so each is written once:

- `refresh_all_facility_summaries()`: every facility's summary from one pass over all records, written where it
  differs (the branch 0031 added to `refresh_facility_summary`);
- `queue_alert_batch(ids)`: one row naming the inserted records for the alert worker, and its notification (the
  bulk branch 0025 gave `alert_violations_inserted`).

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-30
"""

from alembic import op
from sqlalchemy import text

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

SUMMARY_UPDATE = """\
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
"""
BATCH_INSERT = """\
        INSERT INTO alert_event_batches (violation_ids)
        SELECT CASE WHEN hi - lo + 1 = n THEN int8multirange(int8range(lo, hi, '[]'))
                    ELSE (SELECT range_agg(int8range(id, id, '[]')) FROM new_rows) END;
        PERFORM pg_notify('bluemap_alerts', '');
"""
BATCH_CALL = """\
        PERFORM queue_alert_batch(CASE WHEN hi - lo + 1 = n THEN int8multirange(int8range(lo, hi, '[]'))
                                       ELSE (SELECT range_agg(int8range(id, id, '[]')) FROM new_rows) END);
"""
# (function, its text as 0031 left it, the text now)
CHANGES = [("refresh_facility_summary()", SUMMARY_UPDATE, "        PERFORM refresh_all_facility_summaries();\n"),
           ("alert_violations_inserted()", BATCH_INSERT, BATCH_CALL)]
FUNCTIONS = f"""
CREATE FUNCTION refresh_all_facility_summaries() RETURNS void LANGUAGE sql SET enable_nestloop = off AS $$
{SUMMARY_UPDATE.replace("  -- (most records changed: every facility's records, in one pass)", "")}$$;
CREATE FUNCTION queue_alert_batch(ids int8multirange) RETURNS void LANGUAGE sql AS $$
    INSERT INTO alert_event_batches (violation_ids) VALUES (ids);
    SELECT pg_notify('bluemap_alerts', '');
$$;
"""


def _rewrite(forward: bool) -> None:
    """Each function's stored definition with its change applied (or undone), exactly once."""
    conn = op.get_bind()
    for function, old, new in CHANGES:
        ddl = conn.execute(text(f"SELECT pg_get_functiondef('{function}'::regprocedure)")).scalar_one()
        a, b = (old, new) if forward else (new, old)
        if ddl.count(a) != 1:
            raise RuntimeError(f"{function} is not as expected: {a.strip()[:60]!r} found {ddl.count(a)} times")
        op.execute(text(ddl.replace(a, b)).execution_options(no_parameters=True))  # (a plpgsql body)


def upgrade() -> None:
    """The two functions, called by the triggers."""
    op.execute(text(FUNCTIONS).execution_options(no_parameters=True))
    _rewrite(True)


def downgrade() -> None:
    """The triggers as 0031 left them, without the functions."""
    _rewrite(False)
    op.execute("DROP FUNCTION queue_alert_batch(int8multirange)")
    op.execute("DROP FUNCTION refresh_all_facility_summaries()")
