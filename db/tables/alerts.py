"""Tables of the alerts room (migration 0015): the event outbox, subscriptions, deliveries, allowed hosts; the
index alert matching uses on the brands' supplier links (migration 0021); bulk loads' event batches (0025)."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, DOUBLE_PRECISION, INT8MULTIRANGE, JSONB

from db.tables.common import EMPTY_OBJECT, NOW, TIMESTAMPTZ, TRUE, metadata, ref
from db.tables.foundation import brand_facility_links

alert_events = Table(
    "alert_events", metadata,
    Column("id", BigInteger, primary_key=True), Column("kind", Text, nullable=False),
    Column("facility_id", BigInteger), Column("violation_id", BigInteger), Column("station_id", BigInteger),
    Column("brand_id", BigInteger), Column("area_code", CHAR(6)),
    Column("geom", Geometry("POINT", srid=4326, spatial_index=False)),
    Column("payload", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("processed_at", TIMESTAMPTZ),
    Index("alert_events_pending_idx", "id", postgresql_where=text("processed_at IS NULL")),
)

# A bulk load's records, whose events the worker writes out (alerts.matching).
alert_event_batches = Table(
    "alert_event_batches", metadata,
    Column("id", BigInteger, primary_key=True), Column("violation_ids", INT8MULTIRANGE, nullable=False),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)

alert_subscriptions = Table(
    "alert_subscriptions", metadata,
    Column("id", BigInteger, primary_key=True), ref("user_id", "users.id", False, ondelete="CASCADE"),
    Column("target", Text, nullable=False), Column("label", Text, nullable=False, server_default=text("''::text")),
    ref("facility_id", "facilities.id", ondelete="CASCADE"), Column("uscc", CHAR(18)), Column("area_code", CHAR(6)),
    Column("industry", Text), ref("brand_id", "brands.id", ondelete="CASCADE"),
    Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False)),
    Column("center", Geometry("POINT", srid=4326, spatial_index=False)), Column("radius_m", DOUBLE_PRECISION),
    Column("kinds", ARRAY(Text), nullable=False),
    Column("aqi_category", SmallInteger, nullable=False, server_default=text("5")),
    Column("inbox", Boolean, nullable=False, server_default=TRUE),
    Column("email_mode", Text, nullable=False, server_default=text("'off'::text")),
    Column("digest_hour", SmallInteger, nullable=False, server_default=text("8")), Column("email", Text),
    Column("webhook_url", Text), Column("webhook_secret", Text),
    Column("webhook_failures", Integer, nullable=False, server_default=text("0")),
    Column("webhook_paused_at", TIMESTAMPTZ), Column("feed_token", Text, unique=True),
    Column("active", Boolean, nullable=False, server_default=TRUE),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Index("alert_subscriptions_user_idx", "user_id"), Index("alert_subscriptions_facility_idx", "facility_id"),
    Index("alert_subscriptions_uscc_idx", "uscc"), Index("alert_subscriptions_area_idx", "area_code"),
    Index("alert_subscriptions_industry_idx", "industry"), Index("alert_subscriptions_brand_idx", "brand_id"),
    Index("alert_subscriptions_geom_idx", "geom", postgresql_using="gist"),
)

alert_deliveries = Table(
    "alert_deliveries", metadata,
    Column("id", BigInteger, primary_key=True), ref("event_id", "alert_events.id", False, ondelete="CASCADE"),
    ref("subscription_id", "alert_subscriptions.id", False, ondelete="CASCADE"),
    Column("channel", Text, nullable=False),
    Column("state", Text, nullable=False, server_default=text("'pending'::text")),
    Column("due_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Column("attempts", Integer, nullable=False, server_default=text("0")), Column("last_error", Text),
    Column("sent_at", TIMESTAMPTZ), Column("read_at", TIMESTAMPTZ),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    UniqueConstraint("event_id", "subscription_id", "channel"),
    Index("alert_deliveries_due_idx", "channel", "due_at", postgresql_where=text("state IN ('pending', 'sending')")),
    Index("alert_deliveries_subscription_idx", "subscription_id", "id"),
)

alert_allowed_hosts = Table(
    "alert_allowed_hosts", metadata,
    Column("host", Text, primary_key=True), Column("note", Text, nullable=False, server_default=text("''::text")),
    Column("added_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)

# Matching looks up the active links of a batch's facilities by an index-only scan (migration 0021).
Index("brand_facility_links_alert_idx", brand_facility_links.c.facility_id, brand_facility_links.c.brand_id,
      postgresql_include=["is_public"], postgresql_where=text("active"))
