"""Basemap context, OpenStreetMap imports and the `osm` schema an import fills (migration 0012)."""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import CHAR, BigInteger, Column, Index, Integer, MetaData, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB, REAL

from db.tables.common import EMPTY_OBJECT, NOW, TIMESTAMPTZ, dataset, gist, metadata
from db.tables.foundation import admin_areas

basemap_context = Table(
    "basemap_context", metadata,
    Column("id", BigInteger, primary_key=True), Column("kind", Text, nullable=False), Column("name_zh", Text),
    Column("name_en", Text), Column("rank", Integer, nullable=False, server_default=text("0")),
    Column("minzoom", REAL, nullable=False, server_default=text("0")),
    Column("maxzoom", REAL, nullable=False, server_default=text("99")),
    Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False), dataset(),
    gist("basemap_context"),
)

basemap_imports = Table(
    "basemap_imports", metadata,
    Column("id", BigInteger, primary_key=True), Column("source", Text, nullable=False),
    Column("bytes", BigInteger, nullable=False), Column("started_at", TIMESTAMPTZ, nullable=False),
    Column("finished_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Column("seconds", REAL, nullable=False), Column("counts", JSONB, nullable=False, server_default=EMPTY_OBJECT),
)

Index("admin_areas_level_idx", admin_areas.c.level)


def _names() -> list[Column]:
    return [Column("kind", Text, nullable=False), Column("name_zh", Text), Column("name_en", Text),
            Column("minzoom", Integer, nullable=False)]


# The `osm` schema's tables, on their own metadata: each import replaces them (osm2pgsql creates them from
# data/loaders/osm_flex.lua), so they are described here but not compared with the migrations.
OSM = MetaData(schema="osm")


def _osm(name: str, ids: list[Column], kind: str) -> Table:
    """A table of the `osm` schema."""
    return Table(name, OSM, *ids, *_names(),
                 Column("geom", Geometry(kind, srid=4326, spatial_index=False), nullable=False))


OSM_TABLES = (
    *(_osm(n, [Column("way_id", BigInteger)], "LINESTRING") for n in ("roads", "railways", "water_lines")),
    *(_osm(n, [Column("area_id", BigInteger)], "GEOMETRY") for n in ("water_areas", "landuse", "buildings")),
    Table("places", OSM, Column("osm_type", CHAR(1)), Column("osm_id", BigInteger),
          Column("class", Text, nullable=False), *_names(),
          Column("population", BigInteger), Column("geom", Geometry("POINT", srid=4326, spatial_index=False),
                                                  nullable=False)),
)
