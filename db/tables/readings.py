"""Air rollups, accounts, cluster cells and emissions (migrations 0002 to 0010)."""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, DOUBLE_PRECISION, JSONB, REAL

from db.tables.common import (
    EMPTY_ARRAY,
    EMPTY_OBJECT,
    FALSE,
    NOW,
    TIMESTAMPTZ,
    TRUE,
    dataset,
    metadata,
    ref,
    supply_tier,
    synthetic,
)

# ------------------------------------------------------------------------------------ 0002 and 0004: air
air_aqi_hourly = Table(
    "air_aqi_hourly", metadata,
    ref("station_id", "stations.id", nullable=False), Column("observed_at", TIMESTAMPTZ, nullable=False),
    Column("aqi", Integer), Column("category", Integer),
    Column("primary_pollutants", ARRAY(Text), nullable=False, server_default=EMPTY_ARRAY),
    Column("iaqi", JSONB, nullable=False, server_default=EMPTY_OBJECT), Column("version", Text, nullable=False),
    PrimaryKeyConstraint("station_id", "observed_at"),
)

air_daily = Table(
    "air_daily", metadata,
    ref("station_id", "stations.id", nullable=False), Column("day", Date, nullable=False),
    Column("hours", SmallInteger, nullable=False),
    *[Column(n, DOUBLE_PRECISION) for n in ("pm25", "pm10", "so2", "no2", "co", "o3_1h_max", "o3_8h_max")],  # 0008
    *[Column(f"n_{p}", SmallInteger, nullable=False, server_default=text("0"))
      for p in ("pm25", "pm10", "so2", "no2", "co", "o3", "o3_8h")],
    Column("hourly_rows", Text), Column("aqi", Integer), Column("category", Integer),
    Column("iaqi", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    Column("primary_pollutants", ARRAY(Text), nullable=False, server_default=EMPTY_ARRAY),
    Column("over_standard", ARRAY(Text), nullable=False, server_default=EMPTY_ARRAY),
    Column("version", Text, nullable=False), Column("updated_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    PrimaryKeyConstraint("station_id", "day"),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", BigInteger, primary_key=True), Column("token_hash", CHAR(64), nullable=False, unique=True),
    Column("label", Text, nullable=False), ref("station_id", "stations.id"),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("revoked_at", TIMESTAMPTZ),
    Column("last_used_at", TIMESTAMPTZ),
)

# ------------------------------------------------------------------------------------ 0005 accounts
users = Table(
    "users", metadata,
    Column("id", BigInteger, primary_key=True), Column("email", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=text("''::text")),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False), ref("brand_id", "brands.id"),
    Column("disabled", Boolean, nullable=False, server_default=FALSE),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("last_login_at", TIMESTAMPTZ),
    # 0010: bumped on sign-out, so every copy of the session cookie ends
    Column("session_generation", Integer, nullable=False, server_default=text("0")),
    Index("users_email_idx", func.lower(text("email")), unique=True),
)

invitations = Table(
    "invitations", metadata,
    Column("id", BigInteger, primary_key=True), Column("token_hash", CHAR(64), nullable=False, unique=True),
    Column("email", Text, nullable=False), Column("role", Text, nullable=False), ref("brand_id", "brands.id"),
    ref("created_by", "users.id"), Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Column("expires_at", TIMESTAMPTZ, nullable=False), Column("accepted_at", TIMESTAMPTZ),
    ref("user_id", "users.id"), Column("revoked_at", TIMESTAMPTZ),
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", BigInteger, primary_key=True), Column("email", Text, nullable=False),
    Column("ip", Text, nullable=False), Column("success", Boolean, nullable=False),
    Column("attempted_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Index("login_attempts_key_idx", "email", "ip", "attempted_at"),
    Index("login_attempts_ip_idx", "ip", "attempted_at"),
    Index("login_attempts_time_idx", "attempted_at"),
)

user_api_tokens = Table(
    "user_api_tokens", metadata,
    Column("id", BigInteger, primary_key=True), Column("token_hash", CHAR(64), nullable=False, unique=True),
    ref("user_id", "users.id", nullable=False), Column("label", Text, nullable=False),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("last_used_at", TIMESTAMPTZ),
    Column("revoked_at", TIMESTAMPTZ),
    Index("user_api_tokens_user_idx", "user_id"),
)

supplier_list_rows = Table(
    "supplier_list_rows", metadata,
    Column("id", BigInteger, primary_key=True), ref("list_id", "supplier_lists.id", False, ondelete="CASCADE"),
    Column("line", Integer, nullable=False), Column("ref", Text, nullable=False),
    Column("raw", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    *[Column(n, Text) for n in ("name", "address", "uscc")],
    Column("lon", DOUBLE_PRECISION), Column("lat", DOUBLE_PRECISION), Column("crs", Text),
    Column("tier", supply_tier), Column("parent_ref", Text),
    Column("is_public", Boolean, nullable=False, server_default=FALSE), Column("outcome", Text, nullable=False),
    Column("reason", Text), ref("match_facility_id", "facilities.id"), Column("confidence", REAL),
    Column("candidates", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    ref("facility_id", "facilities.id"), Column("decision", Text), ref("decided_by", "users.id"),
    Column("decided_at", TIMESTAMPTZ),
    UniqueConstraint("list_id", "line"),
    Index("supplier_list_rows_review_idx", "list_id", postgresql_where=text("outcome = 'review'")),
    Index("supplier_list_rows_ref_idx", "list_id", "ref"),  # 0019
)

# ------------------------------------------------------------------------------------ 0006 cluster cells
facility_cells = Table(
    "facility_cells", metadata,
    Column("z", SmallInteger, primary_key=True), Column("cx", Integer, primary_key=True),
    Column("cy", Integer, primary_key=True), Column("status", Text, primary_key=True),
    Column("key_monitored", Boolean, primary_key=True), Column("n", Integer, nullable=False),
    Column("violations", BigInteger, nullable=False), Column("sx", DOUBLE_PRECISION, nullable=False),
    Column("sy", DOUBLE_PRECISION, nullable=False), Column("id_sum", BigInteger, nullable=False),
    Index("facility_cells_tile_idx", "z", text("(cx / 16)"), text("(cy / 16)")),
)

facility_cells_state = Table(
    "facility_cells_state", metadata,
    Column("one", Boolean, primary_key=True, server_default=TRUE), Column("dirty", Boolean, nullable=False),
    Column("maxzoom", SmallInteger, nullable=False), Column("built_at", TIMESTAMPTZ),
)

# ------------------------------------------------------------------------------------ 0007 emissions
permit_limits = Table(
    "permit_limits", metadata,
    Column("facility_id", BigInteger, ForeignKey("facilities.id"), primary_key=True),
    Column("pollutant", Text, primary_key=True), Column("limit_value", DOUBLE_PRECISION, nullable=False),
    Column("unit", Text, nullable=False), Column("basis", Text), dataset(), synthetic(),
)

emission_readings = Table(
    "emission_readings", metadata,
    Column("facility_id", BigInteger, primary_key=True), Column("pollutant", Text, primary_key=True),
    Column("observed_at", TIMESTAMPTZ, primary_key=True), Column("value", DOUBLE_PRECISION, nullable=False),
    dataset(), synthetic(),
    ForeignKeyConstraint(["facility_id", "pollutant"], ["permit_limits.facility_id", "permit_limits.pollutant"]),
)
