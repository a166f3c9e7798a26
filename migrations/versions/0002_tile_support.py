"""Facility violation summary kept current by triggers; change notifications; AQI and water class columns.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE facilities
    ADD COLUMN violation_count int NOT NULL DEFAULT 0,
    ADD COLUMN latest_violation date,
    ADD COLUMN worst_status text NOT NULL DEFAULT 'none'
        CHECK (worst_status IN ('none', 'rectified', 'explained', 'open')),
    ADD COLUMN violations_synthetic boolean NOT NULL DEFAULT false;
CREATE INDEX facilities_industry_idx ON facilities (industry);
-- Free space in every page lets the summary updates below be HOT (no index maintenance).
ALTER TABLE facilities SET (fillfactor = 70);

-- Recompute the summary of the facilities a statement touched (removed records do not count).
CREATE FUNCTION refresh_facility_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    WHERE f.id = s.facility_id;
    RETURN NULL;
END $$;
CREATE TRIGGER violations_summary_insert AFTER INSERT ON violations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION refresh_facility_summary();
CREATE TRIGGER violations_summary_update AFTER UPDATE ON violations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION refresh_facility_summary();

UPDATE facilities f
SET violation_count = s.n, latest_violation = s.latest, worst_status = s.worst, violations_synthetic = s.syn
FROM (
    SELECT v.facility_id, count(*) FILTER (WHERE v.status <> 'removed') AS n,
           max(v.violation_date) FILTER (WHERE v.status <> 'removed') AS latest,
           (ARRAY['none', 'rectified', 'explained', 'open'])[1 + coalesce(max(
               CASE v.status WHEN 'open' THEN 3 WHEN 'explained' THEN 2 WHEN 'rectified' THEN 1 END), 0)] AS worst,
           coalesce(bool_or(v.synthetic) FILTER (WHERE v.status <> 'removed'), false) AS syn
    FROM violations v GROUP BY v.facility_id
) s WHERE f.id = s.facility_id;

-- Every data change bumps data_version; listeners (tile caches) hear it at once.
CREATE FUNCTION notify_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bluemap_data', NEW.version::text);
    RETURN NULL;
END $$;
CREATE TRIGGER data_version_notify AFTER UPDATE ON data_version
    FOR EACH ROW EXECUTE FUNCTION notify_data_version();

-- Hourly AQI per station (computed by the standards module on ingest) and water quality class per reading.
CREATE TABLE air_aqi_hourly (
    station_id  bigint NOT NULL REFERENCES stations(id),
    observed_at timestamptz NOT NULL,
    aqi         int,
    category    int,
    primary_pollutants text[] NOT NULL DEFAULT '{}',
    iaqi        jsonb NOT NULL DEFAULT '{}',
    version     text NOT NULL,
    PRIMARY KEY (station_id, observed_at)
);
ALTER TABLE water_readings ADD COLUMN water_class text,
    ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
"""

DOWNGRADE = """
ALTER TABLE water_readings DROP COLUMN water_class, DROP COLUMN synthetic;
DROP TABLE air_aqi_hourly;
DROP TRIGGER data_version_notify ON data_version;
DROP FUNCTION notify_data_version();
DROP TRIGGER violations_summary_insert ON violations;
DROP TRIGGER violations_summary_update ON violations;
DROP FUNCTION refresh_facility_summary();
DROP INDEX facilities_industry_idx;
ALTER TABLE facilities RESET (fillfactor);
ALTER TABLE facilities DROP COLUMN violation_count, DROP COLUMN latest_violation, DROP COLUMN worst_status,
    DROP COLUMN violations_synthetic;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
