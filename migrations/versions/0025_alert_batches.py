"""A bulk load of records queues its alert events as one batch, which the alert worker writes out.

The outbox trigger of `violations` wrote one `alert_events` row (with its jsonb payload) per inserted record,
inside the load's transaction: 14 s of a 2,000,000-record load. When the loader sets `bluemap.alert_batch` for
its transaction, the trigger now writes one `alert_event_batches` row naming the inserted ids (a multirange:
one range when the ids are consecutive, as they are for a load). It is committed with the records, so no event
is lost; the worker (`alerts.matching.match_batch`) writes the batch's events a chunk at a time, each chunk and
the shrinking of its batch in one transaction, with the payload the trigger would have written (the status is
the record's first one, from its history) and the batch's time as the events' time.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

PER_ROW = """
    INSERT INTO alert_events (kind, facility_id, violation_id, payload)
    SELECT CASE WHEN n.ext_id LIKE 'om:%' THEN 'monitoring_episode' ELSE 'new_record' END, n.facility_id, n.id,
           jsonb_build_object('date', n.violation_date, 'authority', n.authority, 'category', n.category,
                              'status', n.status, 'penalty_cny', n.penalty_cny, 'synthetic', n.synthetic,
                              'ext_id', n.ext_id)
    FROM new_rows n ORDER BY n.id;"""


def upgrade() -> None:
    """The batch table, the trigger that fills it for bulk loads, and the function that writes a batch out."""
    op.execute("""
CREATE TABLE alert_event_batches (
    id             bigserial PRIMARY KEY,
    violation_ids  int8multirange NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
)""")
    op.execute(f"""
CREATE OR REPLACE FUNCTION alert_violations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lo bigint; hi bigint; n bigint;
BEGIN
    IF coalesce(current_setting('bluemap.alert_batch', true), '') <> 'on' THEN
        {PER_ROW}
        IF FOUND THEN PERFORM pg_notify('bluemap_alerts', ''); END IF;
        RETURN NULL;
    END IF;
    -- A bulk load: one row naming the records, written out by the alert worker.
    SELECT min(id), max(id), count(*) INTO lo, hi, n FROM new_rows;
    IF n > 0 THEN
        INSERT INTO alert_event_batches (violation_ids)
        SELECT CASE WHEN hi - lo + 1 = n THEN int8multirange(int8range(lo, hi, '[]'))
                    ELSE (SELECT range_agg(int8range(id, id, '[]')) FROM new_rows) END;
        PERFORM pg_notify('bluemap_alerts', '');
    END IF;
    RETURN NULL;
END $$""")
    op.execute("""
-- Writes the events of the first `max_rows` records of the oldest batch no other worker holds; the number of
-- record ids it took (0: no batch is waiting).
CREATE FUNCTION expand_alert_batch(max_rows bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    b alert_event_batches%ROWTYPE; r int8range; left_ bigint := max_rows; upto bigint; take int8multirange;
BEGIN
    SELECT * INTO b FROM alert_event_batches ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    FOR r IN SELECT * FROM unnest(b.violation_ids) LOOP  -- ranges in order, upper bounds exclusive
        IF upper(r) - lower(r) >= left_ THEN
            upto := lower(r) + left_;
            EXIT;
        END IF;
        left_ := left_ - (upper(r) - lower(r));
    END LOOP;
    take := CASE WHEN upto IS NULL THEN b.violation_ids
                 ELSE b.violation_ids * int8multirange(int8range(NULL, upto)) END;
    INSERT INTO alert_events (kind, facility_id, violation_id, payload, created_at)
    SELECT CASE WHEN v.ext_id LIKE 'om:%' THEN 'monitoring_episode' ELSE 'new_record' END, v.facility_id, v.id,
           jsonb_build_object('date', v.violation_date, 'authority', v.authority, 'category', v.category,
                              'status', coalesce(h.to_status, v.status), 'penalty_cny', v.penalty_cny,
                              'synthetic', v.synthetic, 'ext_id', v.ext_id),
           b.created_at
    FROM unnest(take) AS t(r)
    JOIN violations v ON v.id >= lower(t.r) AND v.id < upper(t.r)
    LEFT JOIN LATERAL (SELECT to_status FROM violation_status_history
                       WHERE violation_id = v.id AND from_status IS NULL ORDER BY id LIMIT 1) h ON true
    ORDER BY v.id;
    IF upto IS NULL THEN
        DELETE FROM alert_event_batches WHERE id = b.id;
    ELSE
        UPDATE alert_event_batches SET violation_ids = violation_ids - take WHERE id = b.id;
    END IF;
    RETURN (SELECT sum(upper(x) - lower(x)) FROM unnest(take) AS x);
END $$""")


def downgrade() -> None:
    """Write out every waiting batch, then the per-row trigger only."""
    op.execute("DO $$ BEGIN WHILE expand_alert_batch(1000000) > 0 LOOP END LOOP; END $$")
    op.execute("DROP FUNCTION expand_alert_batch(bigint)")
    op.execute(f"""
CREATE OR REPLACE FUNCTION alert_violations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {PER_ROW}
    IF FOUND THEN PERFORM pg_notify('bluemap_alerts', ''); END IF;
    RETURN NULL;
END $$""")
    op.execute("DROP TABLE alert_event_batches")
