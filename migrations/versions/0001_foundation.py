"""Foundation schema: datasets, areas, companies, facilities, violations, brands, carbon, stations, PRTR.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE datasets (
    id          text PRIMARY KEY,
    title       text NOT NULL,
    licence     text NOT NULL,
    licence_url text,
    attribution text NOT NULL,
    source_url  text,
    synthetic   boolean NOT NULL DEFAULT false,
    loaded_at   timestamptz
);

CREATE TABLE admin_areas (
    code        char(6) PRIMARY KEY,
    level       text NOT NULL CHECK (level IN ('province', 'prefecture')),
    parent_code char(6) REFERENCES admin_areas(code),
    name_zh     text,
    name_en     text NOT NULL,
    geom        geometry(MultiPolygon, 4326),
    label_point geometry(Point, 4326),
    dataset_id  text NOT NULL REFERENCES datasets(id)
);
CREATE INDEX admin_areas_geom_idx ON admin_areas USING gist (geom);

CREATE TABLE places (
    id          serial PRIMARY KEY,
    ne_id       bigint UNIQUE,
    name_en     text NOT NULL,
    name_zh     text,
    province_en text,
    feature_class text,
    pop_max     bigint,
    scalerank   int,
    geom        geometry(Point, 4326) NOT NULL,
    dataset_id  text NOT NULL REFERENCES datasets(id)
);
CREATE INDEX places_geom_idx ON places USING gist (geom);

CREATE TABLE companies (
    id          bigserial PRIMARY KEY,
    uscc        char(18) UNIQUE,
    name_zh     text,
    name_en     text,
    dataset_id  text NOT NULL REFERENCES datasets(id),
    synthetic   boolean NOT NULL DEFAULT false
);

CREATE TABLE company_alt_ids (
    company_id  bigint NOT NULL REFERENCES companies(id),
    kind        text NOT NULL CHECK (kind IN ('registration_no', 'organisation_code', 'permid', 'other')),
    value       text NOT NULL,
    PRIMARY KEY (kind, value)
);

CREATE TABLE facilities (
    id            bigserial PRIMARY KEY,
    dataset_id    text NOT NULL REFERENCES datasets(id),
    ext_id        text NOT NULL,
    company_id    bigint REFERENCES companies(id),
    name_zh       text,
    name_en       text,
    industry      text NOT NULL,
    address       text,
    area_code     char(6),
    key_monitored boolean NOT NULL DEFAULT false,
    source_crs    text NOT NULL DEFAULT 'wgs84' CHECK (source_crs IN ('wgs84', 'gcj02', 'bd09', 'cgcs2000')),
    attrs         jsonb NOT NULL DEFAULT '{}',
    synthetic     boolean NOT NULL DEFAULT false,
    geom          geometry(Point, 4326) NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dataset_id, ext_id)
);
CREATE INDEX facilities_geom_idx ON facilities USING gist (geom);
CREATE INDEX facilities_company_idx ON facilities (company_id);
CREATE INDEX facilities_area_idx ON facilities (area_code);
CREATE INDEX facilities_name_zh_trgm ON facilities USING gin (name_zh gin_trgm_ops);
CREATE INDEX facilities_name_en_trgm ON facilities USING gin (lower(name_en) gin_trgm_ops);

CREATE TYPE violation_status AS ENUM ('open', 'explained', 'rectified', 'removed');

CREATE TABLE violations (
    id            bigserial PRIMARY KEY,
    dataset_id    text NOT NULL REFERENCES datasets(id),
    ext_id        text NOT NULL,
    facility_id   bigint NOT NULL REFERENCES facilities(id),
    violation_date date NOT NULL,
    authority     text NOT NULL,
    category      text NOT NULL,
    legal_basis   text,
    penalty_cny   numeric(14, 2),
    description   text,
    source        text NOT NULL,
    status        violation_status NOT NULL DEFAULT 'open',
    synthetic     boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dataset_id, ext_id)
);
CREATE INDEX violations_facility_idx ON violations (facility_id, violation_date);

CREATE TABLE violation_status_history (
    id           bigserial PRIMARY KEY,
    violation_id bigint NOT NULL REFERENCES violations(id),
    from_status  violation_status,
    to_status    violation_status NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    note         text
);
CREATE INDEX violation_status_history_idx ON violation_status_history (violation_id);

CREATE TABLE explanations (
    id            bigserial PRIMARY KEY,
    violation_id  bigint NOT NULL REFERENCES violations(id),
    submitted_at  timestamptz NOT NULL,
    body          text NOT NULL,
    rectification text,
    dataset_id    text NOT NULL REFERENCES datasets(id),
    synthetic     boolean NOT NULL DEFAULT false
);
CREATE INDEX explanations_violation_idx ON explanations (violation_id);

-- Status changes never delete: every transition is written to the history table (statement-level, so bulk
-- loads of millions of records cost one set-based insert).
CREATE FUNCTION record_violation_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO violation_status_history (violation_id, from_status, to_status, changed_at)
    SELECT id, NULL, status, created_at FROM new_rows;
    RETURN NULL;
END $$;
CREATE FUNCTION record_violation_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO violation_status_history (violation_id, from_status, to_status)
    SELECT n.id, o.status, n.status FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.status IS DISTINCT FROM o.status ORDER BY n.id;
    RETURN NULL;
END $$;
CREATE TRIGGER violations_history_insert AFTER INSERT ON violations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION record_violation_insert();
CREATE TRIGGER violations_history_update AFTER UPDATE ON violations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION record_violation_update();
CREATE RULE violations_no_delete AS ON DELETE TO violations DO INSTEAD NOTHING;

CREATE TABLE brands (
    id          bigserial PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name_zh     text,
    name_en     text NOT NULL,
    logo_key    text NOT NULL,
    dataset_id  text NOT NULL REFERENCES datasets(id),
    synthetic   boolean NOT NULL DEFAULT false
);

CREATE TABLE supplier_lists (
    id          bigserial PRIMARY KEY,
    brand_id    bigint NOT NULL REFERENCES brands(id),
    name        text NOT NULL,
    version     int NOT NULL DEFAULT 1,
    file_name   text,
    status      text NOT NULL DEFAULT 'accepted' CHECK (status IN ('pending', 'accepted', 'replaced', 'rejected')),
    uploaded_at timestamptz NOT NULL DEFAULT now(),
    dataset_id  text NOT NULL REFERENCES datasets(id),
    UNIQUE (brand_id, name, version)
);

CREATE TYPE supply_tier AS ENUM ('raw_materials', 'processing', 'manufacturing_assembly',
    'direct_supplier', 'waste_treatment', 'packaging', 'retail_distribution');

CREATE TABLE brand_facility_links (
    id          bigserial PRIMARY KEY,
    brand_id    bigint NOT NULL REFERENCES brands(id),
    facility_id bigint NOT NULL REFERENCES facilities(id),
    list_id     bigint NOT NULL REFERENCES supplier_lists(id),
    tier        supply_tier NOT NULL,
    is_public   boolean NOT NULL DEFAULT true,
    active      boolean NOT NULL DEFAULT true,
    dataset_id  text NOT NULL REFERENCES datasets(id),
    synthetic   boolean NOT NULL DEFAULT false,
    UNIQUE (brand_id, facility_id, list_id)
);
CREATE INDEX brand_facility_links_facility_idx ON brand_facility_links (facility_id);

CREATE TABLE supplier_edges (
    id                   bigserial PRIMARY KEY,
    supplier_facility_id bigint NOT NULL REFERENCES facilities(id),
    buyer_facility_id    bigint NOT NULL REFERENCES facilities(id),
    list_id              bigint REFERENCES supplier_lists(id),
    dataset_id           text NOT NULL REFERENCES datasets(id),
    synthetic            boolean NOT NULL DEFAULT false,
    CHECK (supplier_facility_id <> buyer_facility_id),
    UNIQUE (supplier_facility_id, buyer_facility_id, list_id)
);

CREATE TABLE area_carbon (
    area_code   char(6) NOT NULL REFERENCES admin_areas(code),
    year        int NOT NULL,
    sector      text NOT NULL,
    co2_mt      double precision NOT NULL,
    energy_mtce double precision,
    population  bigint,
    population_year int,
    gdp_bn_cny  double precision,
    estimate    boolean NOT NULL DEFAULT false,
    dataset_id  text NOT NULL REFERENCES datasets(id),
    PRIMARY KEY (area_code, year, sector)
);

CREATE TABLE area_population (
    area_code   char(6) NOT NULL REFERENCES admin_areas(code),
    year        int NOT NULL,
    population  bigint NOT NULL,
    dataset_id  text NOT NULL REFERENCES datasets(id),
    PRIMARY KEY (area_code, year, dataset_id)
);

CREATE TABLE stations (
    id              bigserial PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    kind            text NOT NULL CHECK (kind IN ('air', 'water')),
    name_zh         text,
    name_en         text NOT NULL,
    water_body_type text CHECK (water_body_type IN ('river', 'lake', 'reservoir')),
    area_code       char(6),
    coords_approximate boolean NOT NULL DEFAULT false,
    geom            geometry(Point, 4326) NOT NULL,
    dataset_id      text NOT NULL REFERENCES datasets(id),
    synthetic       boolean NOT NULL DEFAULT false,
    CHECK ((kind = 'water') = (water_body_type IS NOT NULL))
);
CREATE INDEX stations_geom_idx ON stations USING gist (geom);

-- Hourly air readings, partitioned by month (partitions are created by the loaders on demand).
CREATE TABLE air_readings (
    station_id  bigint NOT NULL REFERENCES stations(id),
    observed_at timestamptz NOT NULL,
    pm25 real, pm10 real, so2 real, no2 real,
    co   real,  -- mg/m3
    o3   real,
    temp real, pres real, dewp real, rain real, wd text, wspm real,
    dataset_id  text NOT NULL REFERENCES datasets(id),
    PRIMARY KEY (station_id, observed_at)
) PARTITION BY RANGE (observed_at);

CREATE TABLE water_readings (
    station_id  bigint NOT NULL REFERENCES stations(id),
    observed_at timestamptz NOT NULL,
    ph real, do_mg real, codmn real, nh3n real, tp real, tn real, turbidity real, conductivity real,
    dataset_id  text NOT NULL REFERENCES datasets(id),
    PRIMARY KEY (station_id, observed_at)
) PARTITION BY RANGE (observed_at);

CREATE TABLE prtr_disclosures (
    facility_id  bigint NOT NULL REFERENCES facilities(id),
    year         int NOT NULL,
    energy_tce   double precision,
    water_t      double precision,
    ghg_tco2e    double precision,
    chemicals    jsonb NOT NULL DEFAULT '{}',
    discharges   jsonb NOT NULL DEFAULT '{}',
    dataset_id   text NOT NULL REFERENCES datasets(id),
    synthetic    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (facility_id, year)
);

-- Bumped on every data change; caches key on it.
CREATE TABLE data_version (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL DEFAULT 1,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO data_version DEFAULT VALUES;
"""

DOWNGRADE = """
DROP TABLE IF EXISTS data_version, prtr_disclosures, water_readings, air_readings, stations, area_population,
    area_carbon, supplier_edges, brand_facility_links, supplier_lists, brands, explanations,
    violation_status_history CASCADE;
DROP RULE IF EXISTS violations_no_delete ON violations;
DROP TABLE IF EXISTS violations, facilities, company_alt_ids, companies, places, admin_areas, datasets CASCADE;
DROP FUNCTION IF EXISTS record_violation_insert(), record_violation_update();
DROP TYPE IF EXISTS supply_tier, violation_status;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
