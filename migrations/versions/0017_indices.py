"""Indices: GHG calculations, brand index snapshots, DECRA institutions and portfolios, PITI city scores.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

UPGRADE = """
-- A GHG calculation of one facility and year: the activity data entered, each line's factor and result.
CREATE TABLE ghg_calculations (
    id             bigserial PRIMARY KEY,
    facility_id    bigint NOT NULL REFERENCES facilities(id),
    year           int NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    factor_version text NOT NULL,
    inputs         jsonb NOT NULL,
    lines          jsonb NOT NULL,
    scope1_tco2e   double precision NOT NULL CHECK (scope1_tco2e >= 0),
    scope2_tco2e   double precision NOT NULL CHECK (scope2_tco2e >= 0),
    saved_to_prtr  boolean NOT NULL DEFAULT false,
    created_by     bigint REFERENCES users(id),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ghg_calculations_facility_idx ON ghg_calculations (facility_id, year);

-- One brand's score in one index (CITI-like or SCTI-like) for one year under one methodology version.
CREATE TABLE index_snapshots (
    id           bigserial PRIMARY KEY,
    index_id     text NOT NULL CHECK (index_id IN ('citi', 'scti')),
    methodology  text NOT NULL,
    year         int NOT NULL,
    brand_id     bigint NOT NULL REFERENCES brands(id),
    score        double precision NOT NULL,
    indicators   jsonb NOT NULL,
    data_version bigint NOT NULL,
    computed_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (index_id, methodology, year, brand_id)
);
CREATE INDEX index_snapshots_brand_idx ON index_snapshots (brand_id, index_id);

-- DECRA: financial institutions, their analysts (users of role 'lender'), portfolios and their rows.
CREATE TABLE lender_institutions (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE lender_members (
    user_id        bigint PRIMARY KEY REFERENCES users(id),
    institution_id bigint NOT NULL REFERENCES lender_institutions(id)
);
CREATE TABLE decra_portfolios (
    id             bigserial PRIMARY KEY,
    institution_id bigint NOT NULL REFERENCES lender_institutions(id),
    name           text NOT NULL,
    file_name      text,
    rules          text NOT NULL,
    uploaded_by    bigint REFERENCES users(id),
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    assessed_at    timestamptz
);
CREATE INDEX decra_portfolios_institution_idx ON decra_portfolios (institution_id);
CREATE TABLE decra_rows (
    id           bigserial PRIMARY KEY,
    portfolio_id bigint NOT NULL REFERENCES decra_portfolios(id),
    line         int NOT NULL,
    borrower     text NOT NULL,
    uscc         char(18),
    address      text,
    lon          double precision,
    lat          double precision,
    exposure_cny numeric(18, 2) NOT NULL CHECK (exposure_cny >= 0),
    outcome      text NOT NULL CHECK (outcome IN ('matched', 'review', 'unmatched', 'excluded')),
    reason       text,
    facility_id  bigint REFERENCES facilities(id),
    confidence   real,
    candidates   jsonb NOT NULL DEFAULT '[]',
    risk_level   text CHECK (risk_level IN ('high', 'elevated', 'moderate', 'low', 'unknown')),
    risk_points  int,
    risk_reasons jsonb NOT NULL DEFAULT '[]',
    watched      boolean NOT NULL DEFAULT false,
    watch_subscription_id bigint REFERENCES alert_subscriptions(id) ON DELETE SET NULL,
    UNIQUE (portfolio_id, line)
);

-- PITI: assessors' points per city (prefecture), year and methodology item, with a second assessor's check.
CREATE TABLE piti_scores (
    id           bigserial PRIMARY KEY,
    methodology  text NOT NULL,
    year         int NOT NULL,
    area_code    char(6) NOT NULL REFERENCES admin_areas(code),
    item         text NOT NULL,
    points       real NOT NULL CHECK (points >= 0),
    evidence_url text,
    note         text,
    assessor_id  bigint REFERENCES users(id),
    scored_at    timestamptz NOT NULL DEFAULT now(),
    checker_id   bigint REFERENCES users(id),
    checked_at   timestamptz,
    check_status text CHECK (check_status IN ('agreed', 'disputed')),
    check_note   text,
    synthetic    boolean NOT NULL DEFAULT false,
    UNIQUE (methodology, year, area_code, item),
    CHECK (checker_id IS NULL OR checker_id IS DISTINCT FROM assessor_id)
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS piti_scores, decra_rows, decra_portfolios, lender_members, lender_institutions,
    index_snapshots, ghg_calculations;
"""


def upgrade() -> None:
    """Create the tables of the indices room."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Drop them."""
    op.execute(DOWNGRADE)
