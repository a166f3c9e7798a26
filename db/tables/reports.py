"""Citizen reports, their photos, forwards to bureaus and submission attempts (migration 0016)."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION

from db.tables.common import FALSE, NOW, TIMESTAMPTZ, geometry, metadata, ref

reports = Table(
    "reports", metadata,
    Column("id", BigInteger, primary_key=True), Column("kind", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=text("''::text")),
    Column("observed_at", TIMESTAMPTZ, nullable=False), geometry("POINT"),
    Column("public_geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
    Column("location_source", Text, nullable=False),
    Column("licence", Text, nullable=False, server_default=text("'CC-BY-4.0'::text")),
    Column("rights_confirmed", Boolean, nullable=False, server_default=FALSE),
    ref("user_id", "users.id"), Column("contact_email", Text), Column("ip", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'new'::text")), Column("reject_reason", Text),
    ref("merged_into", "reports.id"), ref("facility_id", "facilities.id"),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("published_at", TIMESTAMPTZ),
    Column("moderated_at", TIMESTAMPTZ), ref("moderated_by", "users.id"),
    Index("reports_public_geom_idx", "public_geom", postgresql_using="gist"),
    Index("reports_status_idx", "status", "created_at"),
    Index("reports_user_idx", "user_id", "created_at"),
    Index("reports_facility_idx", "facility_id"),
)

report_photos = Table(
    "report_photos", metadata,
    Column("id", BigInteger, primary_key=True), ref("report_id", "reports.id", nullable=False, ondelete="CASCADE"),
    Column("position", SmallInteger, nullable=False), Column("filename", Text, nullable=False),
    Column("media_type", Text, nullable=False), Column("phash", CHAR(16), nullable=False),
    Column("exif_lon", DOUBLE_PRECISION), Column("exif_lat", DOUBLE_PRECISION),
    Column("exif_taken_at", DateTime(timezone=False)), ref("duplicate_of", "report_photos.id"),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    UniqueConstraint("report_id", "position"),
    Index("report_photos_filename_idx", "filename"),
)

report_forwards = Table(
    "report_forwards", metadata,
    Column("id", BigInteger, primary_key=True), ref("report_id", "reports.id", nullable=False, ondelete="CASCADE"),
    Column("bureau_zh", Text, nullable=False), Column("bureau_en", Text, nullable=False), Column("hotline", Text),
    Column("message", Text, nullable=False), Column("forwarded_on", Date, nullable=False),
    ref("forwarded_by", "users.id"), Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Column("answer", Text), Column("answered_on", Date), ref("answer_recorded_by", "users.id"),
    Index("report_forwards_report_idx", "report_id"),
)

report_attempts = Table(
    "report_attempts", metadata,
    Column("id", BigInteger, primary_key=True), Column("ip", Text, nullable=False), ref("user_id", "users.id"),
    Column("attempted_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Index("report_attempts_ip_idx", "ip", "attempted_at"),
    Index("report_attempts_user_idx", "user_id", "attempted_at"),
)
