"""GHG calculations, brand index snapshots, DECRA institutions and portfolios, PITI scores (migration 0017)."""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION, JSONB, REAL

from db.tables.common import FALSE, NOW, TIMESTAMPTZ, metadata, ref

EMPTY_LIST = text("'[]'::jsonb")

ghg_calculations = Table(
    "ghg_calculations", metadata,
    Column("id", BigInteger, primary_key=True), ref("facility_id", "facilities.id", nullable=False),
    Column("year", Integer, nullable=False), Column("factor_version", Text, nullable=False),
    Column("inputs", JSONB, nullable=False), Column("lines", JSONB, nullable=False),
    Column("scope1_tco2e", DOUBLE_PRECISION, nullable=False), Column("scope2_tco2e", DOUBLE_PRECISION, nullable=False),
    Column("saved_to_prtr", Boolean, nullable=False, server_default=FALSE), ref("created_by", "users.id"),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Index("ghg_calculations_facility_idx", "facility_id", "year"),
)

index_snapshots = Table(
    "index_snapshots", metadata,
    Column("id", BigInteger, primary_key=True), Column("index_id", Text, nullable=False),
    Column("methodology", Text, nullable=False), Column("year", Integer, nullable=False),
    ref("brand_id", "brands.id", nullable=False), Column("score", DOUBLE_PRECISION, nullable=False),
    Column("indicators", JSONB, nullable=False), Column("data_version", BigInteger, nullable=False),
    Column("computed_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    UniqueConstraint("index_id", "methodology", "year", "brand_id"),
    Index("index_snapshots_brand_idx", "brand_id", "index_id"),
)

lender_institutions = Table(
    "lender_institutions", metadata,
    Column("id", BigInteger, primary_key=True), Column("name", Text, nullable=False, unique=True),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)

lender_members = Table(
    "lender_members", metadata,
    Column("user_id", BigInteger, ForeignKey("users.id"), primary_key=True),
    ref("institution_id", "lender_institutions.id", nullable=False),
)

decra_portfolios = Table(
    "decra_portfolios", metadata,
    Column("id", BigInteger, primary_key=True), ref("institution_id", "lender_institutions.id", nullable=False),
    Column("name", Text, nullable=False), Column("file_name", Text), Column("rules", Text, nullable=False),
    ref("uploaded_by", "users.id"), Column("uploaded_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Column("assessed_at", TIMESTAMPTZ),
    Index("decra_portfolios_institution_idx", "institution_id"),
)

decra_rows = Table(
    "decra_rows", metadata,
    Column("id", BigInteger, primary_key=True), ref("portfolio_id", "decra_portfolios.id", nullable=False),
    Column("line", Integer, nullable=False), Column("borrower", Text, nullable=False), Column("uscc", CHAR(18)),
    Column("address", Text), Column("lon", DOUBLE_PRECISION), Column("lat", DOUBLE_PRECISION),
    Column("exposure_cny", Numeric(18, 2), nullable=False), Column("outcome", Text, nullable=False),
    Column("reason", Text), ref("facility_id", "facilities.id"), Column("confidence", REAL),
    Column("candidates", JSONB, nullable=False, server_default=EMPTY_LIST), Column("risk_level", Text),
    Column("risk_points", Integer), Column("risk_reasons", JSONB, nullable=False, server_default=EMPTY_LIST),
    Column("watched", Boolean, nullable=False, server_default=FALSE),
    Column("watch_subscription_id", BigInteger, ForeignKey("alert_subscriptions.id", ondelete="SET NULL")),
    UniqueConstraint("portfolio_id", "line"),
)

piti_scores = Table(
    "piti_scores", metadata,
    Column("id", BigInteger, primary_key=True), Column("methodology", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("area_code", CHAR(6), ForeignKey("admin_areas.code"), nullable=False),
    Column("item", Text, nullable=False), Column("points", REAL, nullable=False), Column("evidence_url", Text),
    Column("note", Text), ref("assessor_id", "users.id"),
    Column("scored_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    ref("checker_id", "users.id"), Column("checked_at", TIMESTAMPTZ), Column("check_status", Text),
    Column("check_note", Text), Column("synthetic", Boolean, nullable=False, server_default=FALSE),
    UniqueConstraint("methodology", "year", "area_code", "item"),
)
