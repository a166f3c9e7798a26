"""Citizen reports and their photos, forwarding to bureaus, and the attempts the rate limits count.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UPGRADE = """
-- A report from a member of the public (signed in or not). `geom` is where it was seen, exactly, for
-- moderators only; `public_geom` is the same point rounded to a grid for the public map and API.
CREATE TABLE reports (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('smoke', 'odour', 'wastewater', 'dumping', 'dust', 'noise',
                                                 'other')),
    description    text NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    observed_at    timestamptz NOT NULL,
    geom           geometry(Point, 4326) NOT NULL,
    public_geom    geometry(Point, 4326) NOT NULL,
    location_source text NOT NULL CHECK (location_source IN ('device', 'map', 'place', 'photo')),
    licence        text NOT NULL DEFAULT 'CC-BY-4.0' CHECK (licence IN ('CC-BY-4.0', 'CC-BY-SA-4.0', 'CC0-1.0')),
    rights_confirmed boolean NOT NULL DEFAULT false,
    user_id        bigint REFERENCES users(id),
    contact_email  text CHECK (length(contact_email) <= 254),  -- never public
    ip             text NOT NULL,
    status         text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'published', 'rejected', 'merged')),
    reject_reason  text,
    merged_into    bigint REFERENCES reports(id),
    facility_id    bigint REFERENCES facilities(id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    moderated_at   timestamptz,
    moderated_by   bigint REFERENCES users(id),
    CHECK ((status = 'rejected') = (reject_reason IS NOT NULL)),
    CHECK ((status = 'merged') = (merged_into IS NOT NULL)),
    CHECK (merged_into IS DISTINCT FROM id)
);
CREATE INDEX reports_public_geom_idx ON reports USING gist (public_geom);
CREATE INDEX reports_status_idx ON reports (status, created_at);
CREATE INDEX reports_user_idx ON reports (user_id, created_at);
CREATE INDEX reports_facility_idx ON reports (facility_id);

-- Photos, re-encoded without metadata and stored by SHA-256 under var/uploads; the position and time read
-- from the EXIF before stripping are kept for the moderators; phash (dHash) finds near-identical photos.
CREATE TABLE report_photos (
    id            bigserial PRIMARY KEY,
    report_id     bigint NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    position      smallint NOT NULL CHECK (position BETWEEN 1 AND 6),
    filename      text NOT NULL CHECK (filename ~ '^[0-9a-f]{64}\\.(jpg|png)$'),
    media_type    text NOT NULL,
    phash         char(16) NOT NULL CHECK (phash ~ '^[0-9a-f]{16}$'),
    exif_lon      double precision,
    exif_lat      double precision,
    exif_taken_at timestamp,  -- camera local time, no zone
    duplicate_of  bigint REFERENCES report_photos(id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (report_id, position)
);
CREATE INDEX report_photos_filename_idx ON report_photos (filename);

-- Forwarding to the responsible bureau: the prepared message as sent, when, by whom; the bureau's answer.
CREATE TABLE report_forwards (
    id           bigserial PRIMARY KEY,
    report_id    bigint NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    bureau_zh    text NOT NULL,
    bureau_en    text NOT NULL,
    hotline      text,
    message      text NOT NULL,
    forwarded_on date NOT NULL,
    forwarded_by bigint REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    answer       text,
    answered_on  date,
    answer_recorded_by bigint REFERENCES users(id),
    CHECK ((answer IS NULL) = (answered_on IS NULL))
);
CREATE INDEX report_forwards_report_idx ON report_forwards (report_id);

-- Every submission attempt, shared by all worker processes: the per-IP and per-account limits count them.
CREATE TABLE report_attempts (
    id           bigserial PRIMARY KEY,
    ip           text NOT NULL,
    user_id      bigint REFERENCES users(id),
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_attempts_ip_idx ON report_attempts (ip, attempted_at);
CREATE INDEX report_attempts_user_idx ON report_attempts (user_id, attempted_at);

-- Alerts (migration 0015's outbox): a report becoming published is one `report_published` event, written in the
-- moderator's transaction, at the report's public (rounded) point, with its linked facility and smallest area.
CREATE FUNCTION alert_report_published() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind_zh text := CASE NEW.kind WHEN 'smoke' THEN '烟尘/黑烟' WHEN 'odour' THEN '异味'
                    WHEN 'wastewater' THEN '污水排放' WHEN 'dumping' THEN '倾倒垃圾/废物' WHEN 'dust' THEN '扬尘'
                    WHEN 'noise' THEN '噪声' ELSE '其他' END;
    kind_en text := CASE NEW.kind WHEN 'odour' THEN 'Odour' ELSE initcap(NEW.kind) END;
BEGIN
    INSERT INTO alert_events (kind, facility_id, area_code, geom, payload)
    SELECT 'report_published',
           (SELECT f.id FROM facilities f WHERE f.id = NEW.facility_id AND f.private_to_brand IS NULL),
           (SELECT a.code FROM admin_areas a WHERE a.geom && NEW.geom AND ST_Intersects(a.geom, NEW.geom)
            ORDER BY CASE a.level WHEN 'county' THEN 0 WHEN 'prefecture' THEN 1 ELSE 2 END, a.code LIMIT 1),
           NEW.public_geom,
           jsonb_build_object('report_id', NEW.id, 'title_zh', '公众举报 R' || NEW.id || '：' || kind_zh,
                              'title_en', 'Citizen report R' || NEW.id || ': ' || kind_en,
                              'url', '/reports/' || NEW.id, 'category', NEW.kind,
                              'observed_at', NEW.observed_at, 'licence', NEW.licence);
    PERFORM pg_notify('bluemap_alerts', '');
    RETURN NULL;
END $$;
CREATE TRIGGER alert_report_published AFTER UPDATE OF status ON reports
    FOR EACH ROW WHEN (NEW.status = 'published' AND OLD.status IS DISTINCT FROM 'published')
    EXECUTE FUNCTION alert_report_published();
"""

DOWNGRADE = """
DROP TRIGGER IF EXISTS alert_report_published ON reports;
DROP FUNCTION IF EXISTS alert_report_published();
DROP TABLE IF EXISTS report_attempts;
DROP TABLE IF EXISTS report_forwards;
DROP TABLE IF EXISTS report_photos;
DROP TABLE IF EXISTS reports;
"""


def upgrade() -> None:
    """Create the report tables."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Drop them."""
    op.execute(DOWNGRADE)
