"""Places, companies, facilities, records, brands and data sets (migration 0001)."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import BYTEA, DOUBLE_PRECISION, JSONB, REAL

from db.tables.common import (
    EMPTY_OBJECT,
    FALSE,
    NOW,
    TIMESTAMPTZ,
    TRUE,
    dataset,
    geometry,
    gist,
    metadata,
    reals,
    ref,
    supply_tier,
    synthetic,
    violation_status,
)

# ------------------------------------------------------------------------------------ 0001 foundation
datasets = Table(
    "datasets", metadata,
    Column("id", Text, primary_key=True), Column("title", Text, nullable=False),
    Column("licence", Text, nullable=False), Column("licence_url", Text), Column("attribution", Text, nullable=False),
    Column("source_url", Text), synthetic(), Column("loaded_at", TIMESTAMPTZ),
)

admin_areas = Table(
    "admin_areas", metadata,
    Column("code", CHAR(6), primary_key=True), Column("level", Text, nullable=False),
    Column("parent_code", CHAR(6), ForeignKey("admin_areas.code")), Column("name_zh", Text),
    Column("name_en", Text, nullable=False), geometry("MULTIPOLYGON", nullable=True),
    Column("label_point", Geometry("POINT", srid=4326, spatial_index=False)), dataset(),
    gist("admin_areas"),
)

places = Table(
    "places", metadata,
    Column("id", Integer, primary_key=True), Column("ne_id", BigInteger, unique=True),
    Column("name_en", Text, nullable=False), Column("name_zh", Text), Column("province_en", Text),
    Column("feature_class", Text), Column("pop_max", BigInteger), Column("scalerank", Integer),
    geometry("POINT"), dataset(),
    gist("places"),
)

companies = Table(
    "companies", metadata,
    Column("id", BigInteger, primary_key=True), Column("uscc", CHAR(18), unique=True), Column("name_zh", Text),
    Column("name_en", Text), dataset(), synthetic(),
)

company_alt_ids = Table(
    "company_alt_ids", metadata,
    ref("company_id", "companies.id", nullable=False), Column("kind", Text, nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("kind", "value"),
)

facilities = Table(
    "facilities", metadata,
    Column("id", BigInteger, primary_key=True), dataset(), Column("ext_id", Text, nullable=False),
    ref("company_id", "companies.id"), Column("name_zh", Text), Column("name_en", Text),
    Column("industry", Text, nullable=False), Column("address", Text), Column("area_code", CHAR(6)),
    Column("key_monitored", Boolean, nullable=False, server_default=FALSE),
    Column("source_crs", Text, nullable=False, server_default=text("'wgs84'::text")),
    Column("attrs", JSONB, nullable=False, server_default=EMPTY_OBJECT), synthetic(), geometry("POINT"),
    Column("updated_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    # 0002: the violation summary kept by triggers
    Column("violation_count", Integer, nullable=False, server_default=text("0")),
    Column("latest_violation", Date),
    Column("worst_status", Text, nullable=False, server_default=text("'none'::text")),
    Column("violations_synthetic", Boolean, nullable=False, server_default=FALSE),
    ref("private_to_brand", "brands.id"),  # 0009: made from this brand's private list rows alone: hidden to others
    Column("location_precision", Text, nullable=False, server_default=text("'exact'::text")),  # 0011
    # 0019: the names as supplier-list matching compares them (list_match_name of the names; 0029: set by a trigger)
    Column("match_zh", Text), Column("match_en", Text),
    Index("facilities_match_zh", "match_zh"), Index("facilities_match_en", "match_en"),
    Index("facilities_match_zh_trgm", "match_zh", postgresql_using="gin", postgresql_ops={"match_zh": "gin_trgm_ops"}),
    Index("facilities_match_en_words", func.to_tsvector(text("'simple'::regconfig"), text("match_en")),
          postgresql_using="gin"),
    UniqueConstraint("dataset_id", "ext_id"),
    gist("facilities"),
    Index("facilities_company_idx", "company_id"), Index("facilities_area_idx", "area_code"),
    Index("facilities_industry_idx", "industry"),
    # name search (0001, 0003)
    Index("facilities_name_en_trgm", func.lower(text("name_en")), postgresql_using="gin"),
    Index("facilities_name_zh_grams", func.name_grams(text("name_zh")), postgresql_using="gin"),
    Index("facilities_name_zh_pattern", "name_zh", postgresql_ops={"name_zh": "text_pattern_ops"}),
    Index("facilities_name_en_pattern", func.lower(text("name_en"))),
    postgresql_with={"fillfactor": "50"},  # 0022 (was 70 in 0002): room for heap-only summary updates
)

violations = Table(
    "violations", metadata,
    Column("id", BigInteger, primary_key=True), dataset(), Column("ext_id", Text, nullable=False),
    ref("facility_id", "facilities.id", nullable=False), Column("violation_date", Date, nullable=False),
    Column("authority", Text, nullable=False), Column("category", Text, nullable=False),
    Column("legal_basis", Text), Column("penalty_cny", Numeric(14, 2)), Column("description", Text),
    Column("source", Text, nullable=False),
    Column("status", violation_status, nullable=False, server_default=text("'open'::violation_status")),
    synthetic(), Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Column("details", JSONB, nullable=False, server_default=EMPTY_OBJECT),  # 0013: as published (tax id, fine...)
    UniqueConstraint("dataset_id", "ext_id"),
    Index("violations_facility_idx", "facility_id", "violation_date"),
)

violation_status_history = Table(
    "violation_status_history", metadata,
    Column("id", BigInteger, primary_key=True), ref("violation_id", "violations.id", nullable=False),
    Column("from_status", violation_status), Column("to_status", violation_status, nullable=False),
    Column("changed_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("note", Text),
    Index("violation_status_history_idx", "violation_id"),
)

explanations = Table(
    "explanations", metadata,
    Column("id", BigInteger, primary_key=True), ref("violation_id", "violations.id", nullable=False),
    Column("submitted_at", TIMESTAMPTZ, nullable=False), Column("body", Text, nullable=False),
    Column("rectification", Text), dataset(), synthetic(),
    Index("explanations_violation_idx", "violation_id"),
)

brands = Table(
    "brands", metadata,
    Column("id", BigInteger, primary_key=True), Column("slug", Text, nullable=False, unique=True),
    Column("name_zh", Text), Column("name_en", Text, nullable=False), Column("logo_key", Text, nullable=False),
    dataset(), synthetic(),
    # 0005: the uploaded logo and its PNG
    Column("logo", BYTEA), Column("logo_mime", Text), Column("logo_png", BYTEA),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)

supplier_lists = Table(
    "supplier_lists", metadata,
    Column("id", BigInteger, primary_key=True), ref("brand_id", "brands.id", nullable=False),
    Column("name", Text, nullable=False), Column("version", Integer, nullable=False, server_default=text("1")),
    Column("file_name", Text), Column("status", Text, nullable=False, server_default=text("'accepted'::text")),
    Column("uploaded_at", TIMESTAMPTZ, nullable=False, server_default=NOW), dataset(),
    # 0005: the review workflow
    ref("uploaded_by", "users.id"), Column("accepted_at", TIMESTAMPTZ), Column("replaced_at", TIMESTAMPTZ),
    Column("summary", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    UniqueConstraint("brand_id", "name", "version"),
    Index("supplier_lists_brand_idx", "brand_id", "status"),
)

brand_facility_links = Table(
    "brand_facility_links", metadata,
    Column("id", BigInteger, primary_key=True), ref("brand_id", "brands.id", nullable=False),
    ref("facility_id", "facilities.id", nullable=False), ref("list_id", "supplier_lists.id", nullable=False),
    Column("tier", supply_tier, nullable=False), Column("is_public", Boolean, nullable=False, server_default=TRUE),
    Column("active", Boolean, nullable=False, server_default=TRUE), dataset(), synthetic(),
    UniqueConstraint("brand_id", "facility_id", "list_id"),
    Index("brand_facility_links_facility_idx", "facility_id"),
    Index("brand_facility_links_brand_idx", "brand_id", "active"),
)

supplier_edges = Table(
    "supplier_edges", metadata,
    Column("id", BigInteger, primary_key=True), ref("supplier_facility_id", "facilities.id", nullable=False),
    ref("buyer_facility_id", "facilities.id", nullable=False), ref("list_id", "supplier_lists.id"),
    dataset(), synthetic(),
    UniqueConstraint("supplier_facility_id", "buyer_facility_id", "list_id"),
    Index("supplier_edges_list_idx", "list_id"),
)

area_carbon = Table(
    "area_carbon", metadata,
    Column("area_code", CHAR(6), ForeignKey("admin_areas.code"), primary_key=True),
    Column("year", Integer, primary_key=True), Column("sector", Text, primary_key=True),
    Column("co2_mt", DOUBLE_PRECISION, nullable=False), Column("energy_mtce", DOUBLE_PRECISION),
    Column("population", BigInteger), Column("population_year", Integer), Column("gdp_bn_cny", DOUBLE_PRECISION),
    Column("estimate", Boolean, nullable=False, server_default=FALSE),
    Column("dataset_id", Text, ForeignKey("datasets.id"), primary_key=True),  # 0013: one series per data set
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
    Column("coords_approximate", Boolean, nullable=False, server_default=FALSE), geometry("POINT"),
    dataset(), synthetic(),
    gist("stations"),
)

# Partitioned by month: the partitions (air_readings_2024_01, ...) come from monitoring.partitions.
air_readings = Table(
    "air_readings", metadata,
    ref("station_id", "stations.id", nullable=False), Column("observed_at", TIMESTAMPTZ, nullable=False),
    *reals("pm25", "pm10", "so2", "no2", "co", "o3", "temp", "pres", "dewp", "rain"), Column("wd", Text),
    Column("wspm", REAL), dataset(),
    PrimaryKeyConstraint("station_id", "observed_at"),
    postgresql_partition_by="RANGE (observed_at)",
)

water_readings = Table(
    "water_readings", metadata,
    ref("station_id", "stations.id", nullable=False), Column("observed_at", TIMESTAMPTZ, nullable=False),
    *reals("ph", "do_mg", "codmn", "nh3n", "tp", "tn", "turbidity", "conductivity"), dataset(),
    Column("water_class", Text), synthetic(),  # 0002
    Column("temp_c", REAL), Column("class_parameter", Text),  # 0013: water temperature, the class-setting parameter
    PrimaryKeyConstraint("station_id", "observed_at"),
    postgresql_partition_by="RANGE (observed_at)",
)

prtr_disclosures = Table(
    "prtr_disclosures", metadata,
    Column("facility_id", BigInteger, ForeignKey("facilities.id"), primary_key=True),
    Column("year", Integer, primary_key=True), Column("energy_tce", DOUBLE_PRECISION),
    Column("water_t", DOUBLE_PRECISION), Column("ghg_tco2e", DOUBLE_PRECISION),
    Column("chemicals", JSONB, nullable=False, server_default=EMPTY_OBJECT),
    Column("discharges", JSONB, nullable=False, server_default=EMPTY_OBJECT), dataset(), synthetic(),
)

data_version = Table(
    "data_version", metadata,
    Column("id", Boolean, primary_key=True, server_default=TRUE),
    Column("version", BigInteger, nullable=False, server_default=text("1")),
    Column("changed_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)
