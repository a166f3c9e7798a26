"""Online emission monitoring of key facilities: permit limits and hourly stack/outfall readings.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE permit_limits (
    facility_id bigint NOT NULL REFERENCES facilities(id),
    pollutant   text NOT NULL CHECK (pollutant IN ('so2', 'nox', 'particulates', 'cod', 'nh3n')),
    limit_value double precision NOT NULL CHECK (limit_value > 0),
    unit        text NOT NULL CHECK (unit IN ('mg/m3', 'mg/L')),
    basis       text,
    dataset_id  text NOT NULL REFERENCES datasets(id),
    synthetic   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (facility_id, pollutant)
);
CREATE TABLE emission_readings (
    facility_id bigint NOT NULL,
    pollutant   text NOT NULL,
    observed_at timestamptz NOT NULL CHECK (date_trunc('hour', observed_at) = observed_at),
    value       double precision NOT NULL CHECK (value >= 0),
    dataset_id  text NOT NULL REFERENCES datasets(id),
    synthetic   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (facility_id, pollutant, observed_at),
    FOREIGN KEY (facility_id, pollutant) REFERENCES permit_limits (facility_id, pollutant)
);
"""

DOWNGRADE = """
DROP TABLE emission_readings;
DROP TABLE permit_limits;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
