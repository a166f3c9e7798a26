"""Real and current data: city carbon series, water readings, enforcement record details.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UPGRADE = """
-- City CO2 series (Carbon Monitor Cities, CMCC): one row per city of a data set, joined to a GB/T 2260
-- prefecture by a reviewed table; no foreign key to admin_areas, since the boundaries may load later.
CREATE TABLE carbon_cities (
    dataset_id  text NOT NULL REFERENCES datasets(id),
    locode      text NOT NULL,
    name_zh     text,
    name_en     text,
    area_code   char(6),
    basis       text NOT NULL CHECK (basis IN ('point_reviewed', 'locode_reviewed', 'corrected',
                                               'county_level_city', 'point_unverified', 'unmatched')),
    on_polygon  boolean NOT NULL DEFAULT false,
    note        text,
    geom        geometry(Point, 4326),
    PRIMARY KEY (dataset_id, locode),
    CHECK (NOT on_polygon OR area_code IS NOT NULL)
);
CREATE UNIQUE INDEX carbon_cities_polygon_idx ON carbon_cities (dataset_id, area_code) WHERE on_polygon;
CREATE TABLE city_carbon (
    dataset_id  text NOT NULL,
    locode      text NOT NULL,
    year        integer NOT NULL,
    co2_mt      double precision NOT NULL CHECK (co2_mt >= 0),
    PRIMARY KEY (dataset_id, locode, year),
    FOREIGN KEY (dataset_id, locode) REFERENCES carbon_cities (dataset_id, locode) ON DELETE CASCADE
);
-- Several data sets of area CO2 side by side (province inventories, gridded totals): one series each.
ALTER TABLE area_carbon DROP CONSTRAINT area_carbon_pkey;
ALTER TABLE area_carbon ADD PRIMARY KEY (area_code, year, sector, dataset_id);
-- Water: temperature and the parameter that sets the GB 3838 class.
ALTER TABLE water_readings ADD COLUMN temp_c real, ADD COLUMN class_parameter text;
-- Enforcement records from other administrations: tax id, control number, fine in its own currency,
-- improvement status, appeal outcome, as published.
ALTER TABLE violations ADD COLUMN details jsonb NOT NULL DEFAULT '{}'::jsonb;
-- GDP of areas (operator tables from `bluemap load-file area-stats`), beside area_population.
CREATE TABLE area_gdp (
    area_code   char(6) NOT NULL REFERENCES admin_areas(code),
    year        integer NOT NULL,
    gdp_bn_cny  double precision NOT NULL CHECK (gdp_bn_cny >= 0),
    dataset_id  text NOT NULL REFERENCES datasets(id),
    PRIMARY KEY (area_code, year, dataset_id)
);
-- Taiwan's 8-digit unified business number (統一編號) as a company's alternative id.
ALTER TABLE company_alt_ids DROP CONSTRAINT company_alt_ids_kind_check;
ALTER TABLE company_alt_ids ADD CONSTRAINT company_alt_ids_kind_check
    CHECK (kind IN ('registration_no', 'organisation_code', 'permid', 'other', 'tw_ban'));
"""

DOWNGRADE = """
DELETE FROM company_alt_ids WHERE kind = 'tw_ban';
ALTER TABLE company_alt_ids DROP CONSTRAINT company_alt_ids_kind_check;
ALTER TABLE company_alt_ids ADD CONSTRAINT company_alt_ids_kind_check
    CHECK (kind IN ('registration_no', 'organisation_code', 'permid', 'other'));
ALTER TABLE violations DROP COLUMN details;
ALTER TABLE water_readings DROP COLUMN class_parameter, DROP COLUMN temp_c;
DELETE FROM area_carbon a USING area_carbon b
 WHERE a.area_code = b.area_code AND a.year = b.year AND a.sector = b.sector AND a.dataset_id > b.dataset_id;
ALTER TABLE area_carbon DROP CONSTRAINT area_carbon_pkey;
ALTER TABLE area_carbon ADD PRIMARY KEY (area_code, year, sector);
DROP TABLE area_gdp;
DROP TABLE city_carbon;
DROP TABLE carbon_cities;
"""


def upgrade() -> None:
    """City carbon tables, area carbon per data set, water class parameter, violation details."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Back to 0012."""
    op.execute(DOWNGRADE)
