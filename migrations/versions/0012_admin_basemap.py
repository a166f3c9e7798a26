"""Prefecture and county boundaries and basemap context layers.

Counties become a level of admin_areas; basemap_context holds the Natural Earth context (land, water, urban
areas, international boundaries, country labels) and the province outlines dissolved from the prefectures;
basemap_imports records OpenStreetMap imports; the `osm` schema holds the tables an import fills (empty until
`bluemap basemap load`, replaced as a whole by each new import).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The same columns as ops/cli/basemap.lua's tables (osm2pgsql creates its own copies in a staging schema).
OSM_LINES = ("roads", "railways", "water_lines")
OSM_AREAS = ("water_areas", "landuse", "buildings")
NAMES = "kind text NOT NULL, name_zh text, name_en text, minzoom int NOT NULL"

UPGRADE = f"""
ALTER TABLE admin_areas DROP CONSTRAINT admin_areas_level_check;
ALTER TABLE admin_areas ADD CONSTRAINT admin_areas_level_check
    CHECK (level IN ('province', 'prefecture', 'county'));
CREATE INDEX admin_areas_level_idx ON admin_areas (level);

CREATE TABLE basemap_context (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('land', 'coastline', 'lake', 'river', 'urban', 'boundary',
                                              'disputed', 'country_label', 'province_line')),
    name_zh     text,
    name_en     text,
    rank        int NOT NULL DEFAULT 0,
    minzoom     real NOT NULL DEFAULT 0,
    maxzoom     real NOT NULL DEFAULT 99,
    geom        geometry(Geometry, 4326) NOT NULL,
    dataset_id  text NOT NULL REFERENCES datasets(id)
);
CREATE INDEX basemap_context_geom_idx ON basemap_context USING gist (geom);

CREATE TABLE basemap_imports (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL,
    bytes       bigint NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    seconds     real NOT NULL,
    counts      jsonb NOT NULL DEFAULT '{{}}'::jsonb
);

CREATE SCHEMA osm;
{"".join(f"CREATE TABLE osm.{t} (way_id bigint, {NAMES}, geom geometry(LineString, 4326) NOT NULL);"
         for t in OSM_LINES)}
{"".join(f"CREATE TABLE osm.{t} (area_id bigint, {NAMES}, geom geometry(Geometry, 4326) NOT NULL);"
         for t in OSM_AREAS)}
CREATE TABLE osm.places (osm_type char(1), osm_id bigint, kind text NOT NULL, class text NOT NULL,
                         name_zh text, name_en text, minzoom int NOT NULL, population bigint,
                         geom geometry(Point, 4326) NOT NULL);
"""

DOWNGRADE = """
DROP SCHEMA IF EXISTS osm CASCADE;
DROP SCHEMA IF EXISTS osm_next CASCADE;
DROP TABLE IF EXISTS basemap_imports, basemap_context;
DROP INDEX IF EXISTS admin_areas_level_idx;
DELETE FROM admin_areas WHERE level = 'county';
ALTER TABLE admin_areas DROP CONSTRAINT admin_areas_level_check;
ALTER TABLE admin_areas ADD CONSTRAINT admin_areas_level_check CHECK (level IN ('province', 'prefecture'));
"""


def upgrade() -> None:
    """Counties in admin_areas, the basemap context and import tables, the empty `osm` schema."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Drop the basemap tables and the county level (its rows go with it)."""
    op.execute(DOWNGRADE)
