"""The tables the migrations create, as SQLAlchemy Core metadata with GeoAlchemy2 geometry columns.

The migrations (plain SQL under migrations/versions) stay the source of the schema; this metadata describes
it for Python code and Alembic, and tests/db/test_migrations.py fails when the two disagree. CHECK
constraints, triggers, rules and functions live only in the migrations (autogenerate does not compare them,
nor the predicate of a partial index); columns, types, server defaults, keys and indexes are compared.
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, DOUBLE_PRECISION, ENUM, JSONB, REAL

metadata = MetaData()

# The enum types are created by the migrations, never by this metadata.
violation_status = ENUM("open", "explained", "rectified", "removed", name="violation_status", create_type=False)
supply_tier = ENUM("raw_materials", "processing", "manufacturing_assembly", "direct_supplier", "waste_treatment",
                   "packaging", "retail_distribution", name="supply_tier", create_type=False)

TIMESTAMPTZ = DateTime(timezone=True)
NOW = text("now()")
FALSE = text("false")
TRUE = text("true")
EMPTY_OBJECT = text("'{}'::jsonb")
EMPTY_ARRAY = text("'{}'::text[]")


def _geometry(kind: str, nullable: bool = False) -> Column:
    """A `geom`-style WGS84 column; its GiST index is declared by name next to the table."""
    return Column("geom", Geometry(kind, srid=4326, spatial_index=False), nullable=nullable)


def _ref(name: str, target: str, nullable: bool = True, **kw: object) -> Column:
    """A bigint column referring to `target` (table.column)."""
    return Column(name, BigInteger, ForeignKey(target, **kw), nullable=nullable)  # type: ignore[arg-type]


def _dataset() -> Column:
    return Column("dataset_id", Text, ForeignKey("datasets.id"), nullable=False)


def _synthetic() -> Column:
    return Column("synthetic", Boolean, nullable=False, server_default=FALSE)


def _reals(*names: str) -> list[Column]:
    return [Column(n, REAL) for n in names]


def _gist(table: str) -> Index:
    return Index(f"{table}_geom_idx", "geom", postgresql_using="gist")


# ------------------------------------------------------------------------------------ 0001 foundation
datasets = Table(
    "datasets", metadata,
    Column("id", Text, primary_key=True), Column("title", Text, nullable=False),
    Column("licence", Text, nullable=False), Column("licence_url", Text), Column("attribution", Text, nullable=False),
    Column("source_url", Text), _synthetic(), Column("loaded_at", TIMESTAMPTZ),
)

admin_areas = Table(
    "admin_areas", metadata,
    Column("code", CHAR(6), primary_key=True), Column("level", Text, nullable=False),
    Column("parent_code", CHAR(6), ForeignKey("admin_areas.code")), Column("name_zh", Text),
    Column("name_en", Text, nullable=False), _geometry("MULTIPOLYGON", nullable=True),
    Column("label_point", Geometry("POINT", srid=4326, spatial_index=False)), _dataset(),
    _gist("admin_areas"),
)

places = Table(
    "places", metadata,
    Column("id", Integer, primary_key=True), Column("ne_id", BigInteger, unique=True),
    Column("name_en", Text, nullable=False), Column("name_zh", Text), Column("province_en", Text),
    Column("feature_class", Text), Column("pop_max", BigInteger), Column("scalerank", Integer),
    _geometry("POINT"), _dataset(),
    _gist("places"),
)

companies = Table(
    "companies", metadata,
    Column("id", BigInteger, primary_key=True), Column("uscc", CHAR(18), unique=True), Column("name_zh", Text),
    Column("name_en", Text), _dataset(), _synthetic(),
)

company_alt_ids = Table(
    "company_alt_ids", metadata,
    _ref("company_id", "companies.id", nullable=False), Column("kind", Text, nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("kind", "value"),
)

facilities = Table(
    "facilities", metadata,
    Column("id", BigInteger, primary_key=True), _dataset(), Column("ext_id", Text, nullable=False),
    _ref("company_id", "companies.id"), Column("name_zh", Text), Column("name_en", Text),
    Column("industry", Text, nullable=False), Column("address", Text), Column("area_code", CHAR(6)),
    Column("key_monitored", Boolean, nullable=False, server_default=FALSE),
    Column("source_crs", Text, nullable=False, server_default=text("'wgs84'::text")),
    Column("attrs", JSONB, nullable=False, server_default=EMPTY_OBJECT), _synthetic(), _geometry("POINT"),
    Column("updated_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    # 0002: the violation summary kept by triggers
    Column("violation_count", Integer, nullable=False, server_default=text("0")),
    Column("latest_violation", Date),
    Column("worst_status", Text, nullable=False, server_default=text("'none'::text")),
    Column("violations_synthetic", Boolean, nullable=False, server_default=FALSE),
    _ref("private_to_brand", "brands.id"),  # 0009: made from this brand's private list rows alone: hidden to others
    UniqueConstraint("dataset_id", "ext_id"),
    _gist("facilities"),
    Index("facilities_company_idx", "company_id"), Index("facilities_area_idx", "area_code"),
    Index("facilities_industry_idx", "industry"),
    # name search (0001, 0003)
    Index("facilities_name_zh_trgm", "name_zh", postgresql_using="gin", postgresql_ops={"name_zh": "gin_trgm_ops"}),
    Index("facilities_name_en_trgm", func.lower(text("name_en")), postgresql_using="gin"),
    Index("facilities_name_zh_grams", func.name_grams(text("name_zh")), postgresql_using="gin"),
    Index("facilities_name_zh_pattern", "name_zh", postgresql_ops={"name_zh": "text_pattern_ops"}),
    Index("facilities_name_en_pattern", func.lower(text("name_en"))),
    postgresql_with={"fillfactor": "70"},
)

violations = Table(
    "violations", metadata,
    Column("id", BigInteger, primary_key=True), _dataset(), Column("ext_id", Text, nullable=False),
    _ref("facility_id", "facilities.id", nullable=False), Column("violation_date", Date, nullable=False),
    Column("authority", Text, nullable=False), Column("category", Text, nullable=False),
    Column("legal_basis", Text), Column("penalty_cny", Numeric(14, 2)), Column("description", Text),
    Column("source", Text, nullable=False),
    Column("status", violation_status, nullable=False, server_default=text("'open'::violation_status")),
    _synthetic(), Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    UniqueConstraint("dataset_id", "ext_id"),
    Index("violations_facility_idx", "facility_id", "violation_date"),
)

violation_status_history = Table(
    "violation_status_history", metadata,
    Column("id", BigInteger, primary_key=True), _ref("violation_id", "violations.id", nullable=False),
    Column("from_status", violation_status), Column("to_status", violation_status, nullable=False),
    Column("changed_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("note", Text),
    Index("violation_status_history_idx", "violation_id"),
)

explanations = Table(
    "explanations", metadata,
    Column("id", BigInteger, primary_key=True), _ref("violation_id", "violations.id", nullable=False),
    Column("submitted_at", TIMESTAMPTZ, nullable=False), Column("body", Text, nullable=False),
    Column("rectification", Text), _dataset(), _synthetic(),
    Index("explanations_violation_idx", "violation_id"),
)

brands = Table(
    "brands", metadata,
    Column("id", BigInteger, primary_key=True), Column("slug", Text, nullable=False, unique=True),
    Column("name_zh", Text), Column("name_en", Text, nullable=False), Column("logo_key", Text, nullable=False),
    _dataset(), _synthetic(),
    # 0005: the uploaded logo and its PNG
    Column("logo", BYTEA), Column("logo_mime", Text), Column("logo_png", BYTEA),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)

supplier_lists = Table(
    "supplier_lists", metadata,
    Column("id", BigInteger, primary_key=True), _ref("brand_id", "brands.id", nullable=False),
    Column("name", Text, nullable=False), Column("version", Integer, nullable=False, server_default=text("1")),
    Column("file_name", Text), Column("status", Text, nullable=False, server_default=text("'accepted'::text")),
    Column("uploaded_at", TIMESTAMPTZ, nullable=False, server_default=NOW), _dataset(),
    # 0005: the review workflow
    _ref("uploaded_by", "users.id"), Column("accepted_at", TIMESTAMPTZ), Column("replaced_at", TIMESTAMPTZ),
    Column("summary", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    UniqueConstraint("brand_id", "name", "version"),
    Index("supplier_lists_brand_idx", "brand_id", "status"),
)

brand_facility_links = Table(
    "brand_facility_links", metadata,
    Column("id", BigInteger, primary_key=True), _ref("brand_id", "brands.id", nullable=False),
    _ref("facility_id", "facilities.id", nullable=False), _ref("list_id", "supplier_lists.id", nullable=False),
    Column("tier", supply_tier, nullable=False), Column("is_public", Boolean, nullable=False, server_default=TRUE),
    Column("active", Boolean, nullable=False, server_default=TRUE), _dataset(), _synthetic(),
    UniqueConstraint("brand_id", "facility_id", "list_id"),
    Index("brand_facility_links_facility_idx", "facility_id"),
    Index("brand_facility_links_brand_idx", "brand_id", "active"),
)

supplier_edges = Table(
    "supplier_edges", metadata,
    Column("id", BigInteger, primary_key=True), _ref("supplier_facility_id", "facilities.id", nullable=False),
    _ref("buyer_facility_id", "facilities.id", nullable=False), _ref("list_id", "supplier_lists.id"),
    _dataset(), _synthetic(),
    UniqueConstraint("supplier_facility_id", "buyer_facility_id", "list_id"),
    Index("supplier_edges_list_idx", "list_id"),
)

area_carbon = Table(
    "area_carbon", metadata,
    Column("area_code", CHAR(6), ForeignKey("admin_areas.code"), primary_key=True),
    Column("year", Integer, primary_key=True), Column("sector", Text, primary_key=True),
    Column("co2_mt", DOUBLE_PRECISION, nullable=False), Column("energy_mtce", DOUBLE_PRECISION),
    Column("population", BigInteger), Column("population_year", Integer), Column("gdp_bn_cny", DOUBLE_PRECISION),
    Column("estimate", Boolean, nullable=False, server_default=FALSE), _dataset(),
)

area_population = Table(
    "area_population", metadata,
    Column("area_code", CHAR(6), ForeignKey("admin_areas.code"), primary_key=True),
    Column("year", Integer, primary_key=True), Column("population", BigInteger, nullable=False),
    Column("dataset_id", Text, ForeignKey("datasets.id"), primary_key=True),
)

stations = Table(
    "stations", metadata,
    Column("id", BigInteger, primary_key=True), Column("code", Text, nullable=False, unique=True),
    Column("kind", Text, nullable=False), Column("name_zh", Text), Column("name_en", Text, nullable=False),
    Column("water_body_type", Text), Column("area_code", CHAR(6)),
    Column("coords_approximate", Boolean, nullable=False, server_default=FALSE), _geometry("POINT"),
    _dataset(), _synthetic(),
    _gist("stations"),
)

# Partitioned by month: the partitions (air_readings_2024_01, ...) come from monitoring.partitions.
air_readings = Table(
    "air_readings", metadata,
    _ref("station_id", "stations.id", nullable=False), Column("observed_at", TIMESTAMPTZ, nullable=False),
    *_reals("pm25", "pm10", "so2", "no2", "co", "o3", "temp", "pres", "dewp", "rain"), Column("wd", Text),
    Column("wspm", REAL), _dataset(),
    PrimaryKeyConstraint("station_id", "observed_at"),
    postgresql_partition_by="RANGE (observed_at)",
)

water_readings = Table(
    "water_readings", metadata,
    _ref("station_id", "stations.id", nullable=False), Column("observed_at", TIMESTAMPTZ, nullable=False),
    *_reals("ph", "do_mg", "codmn", "nh3n", "tp", "tn", "turbidity", "conductivity"), _dataset(),
    Column("water_class", Text), _synthetic(),  # 0002
    PrimaryKeyConstraint("station_id", "observed_at"),
    postgresql_partition_by="RANGE (observed_at)",
)

prtr_disclosures = Table(
    "prtr_disclosures", metadata,
    Column("facility_id", BigInteger, ForeignKey("facilities.id"), primary_key=True),
    Column("year", Integer, primary_key=True), Column("energy_tce", DOUBLE_PRECISION),
    Column("water_t", DOUBLE_PRECISION), Column("ghg_tco2e", DOUBLE_PRECISION),
    Column("chemicals", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    Column("discharges", JSONB, nullable=False, server_default=EMPTY_OBJECT), _dataset(), _synthetic(),
)

data_version = Table(
    "data_version", metadata,
    Column("id", Boolean, primary_key=True, server_default=TRUE),
    Column("version", BigInteger, nullable=False, server_default=text("1")),
    Column("changed_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)

# ------------------------------------------------------------------------------------ 0002 and 0004: air
air_aqi_hourly = Table(
    "air_aqi_hourly", metadata,
    _ref("station_id", "stations.id", nullable=False), Column("observed_at", TIMESTAMPTZ, nullable=False),
    Column("aqi", Integer), Column("category", Integer),
    Column("primary_pollutants", ARRAY(Text), nullable=False, server_default=EMPTY_ARRAY),
    Column("iaqi", JSONB, nullable=False, server_default=EMPTY_OBJECT), Column("version", Text, nullable=False),
    PrimaryKeyConstraint("station_id", "observed_at"),
)

air_daily = Table(
    "air_daily", metadata,
    _ref("station_id", "stations.id", nullable=False), Column("day", Date, nullable=False),
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
    Column("label", Text, nullable=False), _ref("station_id", "stations.id"),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("revoked_at", TIMESTAMPTZ),
    Column("last_used_at", TIMESTAMPTZ),
)

# ------------------------------------------------------------------------------------ 0005 accounts
users = Table(
    "users", metadata,
    Column("id", BigInteger, primary_key=True), Column("email", Text, nullable=False),
    Column("name", Text, nullable=False, server_default=text("''::text")),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False), _ref("brand_id", "brands.id"),
    Column("disabled", Boolean, nullable=False, server_default=FALSE),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("last_login_at", TIMESTAMPTZ),
    # 0010: bumped on sign-out, so every copy of the session cookie ends
    Column("session_generation", Integer, nullable=False, server_default=text("0")),
    Index("users_email_idx", func.lower(text("email")), unique=True),
)

invitations = Table(
    "invitations", metadata,
    Column("id", BigInteger, primary_key=True), Column("token_hash", CHAR(64), nullable=False, unique=True),
    Column("email", Text, nullable=False), Column("role", Text, nullable=False), _ref("brand_id", "brands.id"),
    _ref("created_by", "users.id"), Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Column("expires_at", TIMESTAMPTZ, nullable=False), Column("accepted_at", TIMESTAMPTZ),
    _ref("user_id", "users.id"), Column("revoked_at", TIMESTAMPTZ),
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
    _ref("user_id", "users.id", nullable=False), Column("label", Text, nullable=False),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("last_used_at", TIMESTAMPTZ),
    Column("revoked_at", TIMESTAMPTZ),
    Index("user_api_tokens_user_idx", "user_id"),
)

supplier_list_rows = Table(
    "supplier_list_rows", metadata,
    Column("id", BigInteger, primary_key=True), _ref("list_id", "supplier_lists.id", False, ondelete="CASCADE"),
    Column("line", Integer, nullable=False), Column("ref", Text, nullable=False),
    Column("raw", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    *[Column(n, Text) for n in ("name", "address", "uscc")],
    Column("lon", DOUBLE_PRECISION), Column("lat", DOUBLE_PRECISION), Column("crs", Text),
    Column("tier", supply_tier), Column("parent_ref", Text),
    Column("is_public", Boolean, nullable=False, server_default=FALSE), Column("outcome", Text, nullable=False),
    Column("reason", Text), _ref("match_facility_id", "facilities.id"), Column("confidence", REAL),
    Column("candidates", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    _ref("facility_id", "facilities.id"), Column("decision", Text), _ref("decided_by", "users.id"),
    Column("decided_at", TIMESTAMPTZ),
    UniqueConstraint("list_id", "line"),
    Index("supplier_list_rows_review_idx", "list_id", postgresql_where=text("outcome = 'review'")),
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
    Column("unit", Text, nullable=False), Column("basis", Text), _dataset(), _synthetic(),
)

emission_readings = Table(
    "emission_readings", metadata,
    Column("facility_id", BigInteger, primary_key=True), Column("pollutant", Text, primary_key=True),
    Column("observed_at", TIMESTAMPTZ, primary_key=True), Column("value", DOUBLE_PRECISION, nullable=False),
    _dataset(), _synthetic(),
    ForeignKeyConstraint(["facility_id", "pollutant"], ["permit_limits.facility_id", "permit_limits.pollutant"]),
)
