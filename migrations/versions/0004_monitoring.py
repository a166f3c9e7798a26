"""Daily air aggregates with coverage and daily AQI (HJ 633), and API tokens of push clients.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = """
-- One row per station and calendar day in Asia/Shanghai, recomputed from air_readings on ingest. Means are
-- kept whatever the coverage; the n_* counts say how many hourly values each one rests on, and the daily
-- AQI only uses the values valid under GB 3095-2012 (20 hours for a 24-hour mean, see data/rollups.py).
CREATE TABLE air_daily (
    station_id  bigint NOT NULL REFERENCES stations(id),
    day         date NOT NULL,
    hours       smallint NOT NULL,
    pm25 real, pm10 real, so2 real, no2 real,
    co   real,  -- mg/m3
    o3_1h_max real, o3_8h_max real,
    n_pm25 smallint NOT NULL DEFAULT 0, n_pm10 smallint NOT NULL DEFAULT 0,
    n_so2  smallint NOT NULL DEFAULT 0, n_no2  smallint NOT NULL DEFAULT 0,
    n_co   smallint NOT NULL DEFAULT 0, n_o3   smallint NOT NULL DEFAULT 0,
    n_o3_8h smallint NOT NULL DEFAULT 0,  -- valid 8-hour O3 windows (ending 07:00..23:00)
    hourly_rows text,  -- the day's hours as served by /api/stations/<id>/readings (data/series.py)
    aqi         int,
    category    int,
    iaqi        jsonb NOT NULL DEFAULT '{}',
    primary_pollutants text[] NOT NULL DEFAULT '{}',
    over_standard text[] NOT NULL DEFAULT '{}',
    version     text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (station_id, day)
);

-- Bearer tokens of clients pushing readings: only the SHA-256 of a token is stored.
CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    token_hash  char(64) NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    station_id  bigint REFERENCES stations(id),  -- NULL: any station
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    last_used_at timestamptz
);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS api_tokens, air_daily;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
