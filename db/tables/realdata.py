"""City carbon series and area GDP (migration 0013); 0013's column changes are noted in foundation.py."""

from __future__ import annotations

from sqlalchemy import (
    CHAR,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION

from db.tables.common import FALSE, geometry, metadata

carbon_cities = Table(
    "carbon_cities", metadata,
    Column("dataset_id", Text, ForeignKey("datasets.id"), primary_key=True),
    Column("locode", Text, primary_key=True), Column("name_zh", Text), Column("name_en", Text),
    Column("area_code", CHAR(6)), Column("basis", Text, nullable=False),
    Column("on_polygon", Boolean, nullable=False, server_default=FALSE), Column("note", Text),
    geometry("POINT", nullable=True),
    Index("carbon_cities_polygon_idx", "dataset_id", "area_code", unique=True, postgresql_where=text("on_polygon")),
)

city_carbon = Table(
    "city_carbon", metadata,
    Column("dataset_id", Text, primary_key=True), Column("locode", Text, primary_key=True),
    Column("year", Integer, primary_key=True), Column("co2_mt", DOUBLE_PRECISION, nullable=False),
    ForeignKeyConstraint(["dataset_id", "locode"], ["carbon_cities.dataset_id", "carbon_cities.locode"],
                         ondelete="CASCADE"),
)

area_gdp = Table(
    "area_gdp", metadata,
    Column("area_code", CHAR(6), ForeignKey("admin_areas.code"), primary_key=True),
    Column("year", Integer, primary_key=True), Column("gdp_bn_cny", DOUBLE_PRECISION, nullable=False),
    Column("dataset_id", Text, ForeignKey("datasets.id"), primary_key=True),
)
