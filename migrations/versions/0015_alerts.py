"""Alerts: event outbox (written by triggers in the changing transaction), subscriptions, deliveries.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

Every change that matters inserts one `alert_events` row from a trigger, in the transaction of the change: a
rolled-back change leaves no event. Statement-level triggers with transition tables keep bulk loads cheap (one
INSERT ... SELECT per statement). Each trigger also NOTIFYs `bluemap_alerts` (delivered at commit) so the
worker wakes at once. Other rooms may insert events of their own kinds (see alerts/events.py).
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = """
CREATE TABLE alert_events (
    id            bigserial PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('new_record', 'status_change', 'monitoring_episode', 'prtr_form',
                                                'list_accepted', 'aqi_threshold', 'report_published', 'notice')),
    facility_id   bigint,
    violation_id  bigint,
    station_id    bigint,
    brand_id      bigint,
    area_code     char(6),
    geom          geometry(Point, 4326),
    payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT now(),
    processed_at  timestamptz
);
CREATE INDEX alert_events_pending_idx ON alert_events (id) WHERE processed_at IS NULL;

CREATE TABLE alert_subscriptions (
    id                bigserial PRIMARY KEY,
    user_id           bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    target            text NOT NULL CHECK (target IN ('facility', 'company', 'area', 'industry', 'brand')),
    label             text NOT NULL DEFAULT '',
    facility_id       bigint REFERENCES facilities(id) ON DELETE CASCADE,
    uscc              char(18),
    area_code         char(6),
    industry          text,
    brand_id          bigint REFERENCES brands(id) ON DELETE CASCADE,
    geom              geometry(Geometry, 4326),
    center            geometry(Point, 4326),
    radius_m          double precision,
    kinds             text[] NOT NULL,
    aqi_category      smallint NOT NULL DEFAULT 5 CHECK (aqi_category BETWEEN 2 AND 6),
    inbox             boolean NOT NULL DEFAULT true,
    email_mode        text NOT NULL DEFAULT 'off' CHECK (email_mode IN ('off', 'immediate', 'digest')),
    digest_hour       smallint NOT NULL DEFAULT 8 CHECK (digest_hour BETWEEN 0 AND 23),
    email             text,
    webhook_url       text,
    webhook_secret    text,
    webhook_failures  integer NOT NULL DEFAULT 0,
    webhook_paused_at timestamptz,
    feed_token        text UNIQUE,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_subscriptions_user_idx ON alert_subscriptions (user_id);
CREATE INDEX alert_subscriptions_facility_idx ON alert_subscriptions (facility_id);
CREATE INDEX alert_subscriptions_uscc_idx ON alert_subscriptions (uscc);
CREATE INDEX alert_subscriptions_area_idx ON alert_subscriptions (area_code);
CREATE INDEX alert_subscriptions_industry_idx ON alert_subscriptions (industry);
CREATE INDEX alert_subscriptions_brand_idx ON alert_subscriptions (brand_id);
CREATE INDEX alert_subscriptions_geom_idx ON alert_subscriptions USING gist (geom);

CREATE TABLE alert_deliveries (
    id               bigserial PRIMARY KEY,
    event_id         bigint NOT NULL REFERENCES alert_events(id) ON DELETE CASCADE,
    subscription_id  bigint NOT NULL REFERENCES alert_subscriptions(id) ON DELETE CASCADE,
    channel          text NOT NULL CHECK (channel IN ('inbox', 'feed', 'email', 'webhook')),
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    due_at           timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text,
    sent_at          timestamptz,
    read_at          timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, subscription_id, channel)
);
CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (channel, due_at) WHERE state IN ('pending', 'sending');
CREATE INDEX alert_deliveries_subscription_idx ON alert_deliveries (subscription_id, id);

CREATE TABLE alert_allowed_hosts (
    host      text PRIMARY KEY,
    note      text NOT NULL DEFAULT '',
    added_at  timestamptz NOT NULL DEFAULT now()
);
"""

TRIGGERS = r"""
-- The next time the local (Asia/Shanghai) clock shows `h` o'clock: when a daily digest goes out.
CREATE FUNCTION alerts_next_digest(h smallint) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN t > now() THEN t ELSE t + interval '1 day' END
    FROM (SELECT (date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') + make_interval(hours => h))
                 AT TIME ZONE 'Asia/Shanghai' AS t) x
$$;

CREATE FUNCTION alert_violations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alert_events (kind, facility_id, violation_id, payload)
    SELECT CASE WHEN n.ext_id LIKE 'om:%' THEN 'monitoring_episode' ELSE 'new_record' END, n.facility_id, n.id,
           jsonb_build_object('date', n.violation_date, 'authority', n.authority, 'category', n.category,
                              'status', n.status, 'penalty_cny', n.penalty_cny, 'synthetic', n.synthetic,
                              'ext_id', n.ext_id)
    FROM new_rows n ORDER BY n.id;
    IF FOUND THEN PERFORM pg_notify('bluemap_alerts', ''); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER alert_violations_inserted AFTER INSERT ON violations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_violations_inserted();

CREATE FUNCTION alert_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alert_events (kind, facility_id, violation_id, payload)
    SELECT 'status_change', v.facility_id, v.id,
           jsonb_build_object('from', h.from_status, 'to', h.to_status, 'note', h.note, 'date', v.violation_date,
                              'category', v.category, 'authority', v.authority, 'synthetic', v.synthetic,
                              'history_id', h.id)
    FROM new_rows h JOIN violations v ON v.id = h.violation_id
    WHERE h.from_status IS NOT NULL AND h.from_status IS DISTINCT FROM h.to_status ORDER BY h.id;
    IF FOUND THEN PERFORM pg_notify('bluemap_alerts', ''); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER alert_status_changed AFTER INSERT ON violation_status_history
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_status_changed();

CREATE FUNCTION alert_prtr_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alert_events (kind, facility_id, payload)
    SELECT 'prtr_form', n.facility_id,
           jsonb_build_object('year', n.year, 'corrected', TG_OP = 'UPDATE', 'synthetic', n.synthetic)
    FROM new_rows n ORDER BY n.facility_id, n.year;
    IF FOUND THEN PERFORM pg_notify('bluemap_alerts', ''); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER alert_prtr_inserted AFTER INSERT ON prtr_disclosures
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_prtr_changed();
CREATE TRIGGER alert_prtr_updated AFTER UPDATE ON prtr_disclosures
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_prtr_changed();

-- A list version accepted: counted at commit (deferred), when its links are all written.
CREATE FUNCTION alert_list_accepted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE prev bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = 'accepted' THEN RETURN NULL; END IF;
    IF (SELECT status FROM supplier_lists WHERE id = NEW.id) IS DISTINCT FROM 'accepted' THEN RETURN NULL; END IF;
    SELECT id INTO prev FROM supplier_lists
    WHERE brand_id = NEW.brand_id AND id <> NEW.id AND accepted_at IS NOT NULL
    ORDER BY accepted_at DESC, id DESC LIMIT 1;
    INSERT INTO alert_events (kind, brand_id, payload)
    SELECT 'list_accepted', NEW.brand_id, jsonb_build_object(
        'list_id', NEW.id, 'name', NEW.name, 'version', NEW.version, 'previous_list_id', prev,
        'suppliers', (SELECT count(DISTINCT facility_id) FROM brand_facility_links
                      WHERE brand_id = NEW.brand_id AND list_id = NEW.id),
        'added', (SELECT count(DISTINCT facility_id) FROM brand_facility_links a
                  WHERE a.brand_id = NEW.brand_id AND a.list_id = NEW.id
                  AND NOT EXISTS (SELECT 1 FROM brand_facility_links b WHERE b.brand_id = NEW.brand_id
                                  AND b.facility_id = a.facility_id AND b.list_id = prev)),
        'removed', (SELECT count(DISTINCT facility_id) FROM brand_facility_links b
                    WHERE b.brand_id = NEW.brand_id AND b.list_id = prev
                    AND NOT EXISTS (SELECT 1 FROM brand_facility_links a WHERE a.brand_id = NEW.brand_id
                                    AND a.facility_id = b.facility_id AND a.list_id = NEW.id)));
    PERFORM pg_notify('bluemap_alerts', '');
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER alert_list_accepted AFTER INSERT OR UPDATE OF status ON supplier_lists
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'accepted')
    EXECUTE FUNCTION alert_list_accepted();

CREATE FUNCTION alert_links_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO alert_events (kind, brand_id, payload)
    SELECT 'list_accepted', o.brand_id,
           jsonb_build_object('list_id', o.list_id, 'removed', count(DISTINCT o.facility_id), 'added', 0)
    FROM old_rows o GROUP BY o.brand_id, o.list_id ORDER BY o.brand_id, o.list_id;
    IF FOUND THEN PERFORM pg_notify('bluemap_alerts', ''); END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER alert_links_deleted AFTER DELETE ON brand_facility_links
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION alert_links_deleted();

-- A station's hourly AQI category rising into "moderately polluted" (4) or worse, for the last 2 days' hours
-- only (recomputing history raises no alarm). Subscribers choose their own threshold (aqi_category).
CREATE FUNCTION alert_aqi_rose() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE prev integer;
BEGIN
    SELECT category INTO prev FROM air_aqi_hourly
    WHERE station_id = NEW.station_id AND observed_at < NEW.observed_at AND category IS NOT NULL
    ORDER BY observed_at DESC LIMIT 1;
    IF TG_OP = 'UPDATE' AND OLD.category IS NOT DISTINCT FROM NEW.category THEN RETURN NULL; END IF;
    IF coalesce(prev, 1) >= NEW.category THEN RETURN NULL; END IF;
    INSERT INTO alert_events (kind, station_id, area_code, geom, payload)
    SELECT 'aqi_threshold', s.id, s.area_code, s.geom,
           jsonb_build_object('category', NEW.category, 'previous', coalesce(prev, 1), 'aqi', NEW.aqi,
                              'observed_at', NEW.observed_at, 'station_code', s.code,
                              'station_zh', s.name_zh, 'station_en', s.name_en)
    FROM stations s WHERE s.id = NEW.station_id;
    PERFORM pg_notify('bluemap_alerts', '');
    RETURN NULL;
END $$;
CREATE TRIGGER alert_aqi_rose AFTER INSERT OR UPDATE OF category ON air_aqi_hourly FOR EACH ROW
    WHEN (NEW.category >= 4 AND NEW.observed_at > now() - interval '2 days') EXECUTE FUNCTION alert_aqi_rose();
"""

DROP = """
DROP TRIGGER IF EXISTS alert_aqi_rose ON air_aqi_hourly;
DROP TRIGGER IF EXISTS alert_links_deleted ON brand_facility_links;
DROP TRIGGER IF EXISTS alert_list_accepted ON supplier_lists;
DROP TRIGGER IF EXISTS alert_prtr_inserted ON prtr_disclosures;
DROP TRIGGER IF EXISTS alert_prtr_updated ON prtr_disclosures;
DROP TRIGGER IF EXISTS alert_status_changed ON violation_status_history;
DROP TRIGGER IF EXISTS alert_violations_inserted ON violations;
DROP FUNCTION IF EXISTS alerts_next_digest(smallint), alert_aqi_rose(), alert_links_deleted(), alert_list_accepted(),
    alert_prtr_changed(), alert_status_changed(), alert_violations_inserted();
DROP TABLE IF EXISTS alert_deliveries, alert_subscriptions, alert_events, alert_allowed_hosts;
"""


def upgrade() -> None:
    """Outbox, subscriptions, deliveries, allowed webhook hosts and the event triggers."""
    op.execute(TABLES)
    op.execute(TRIGGERS)


def downgrade() -> None:
    """Drop the alert triggers and tables."""
    op.execute(DROP)
