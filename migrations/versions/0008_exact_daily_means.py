"""Daily air means kept in double precision: a float4 mean can round up across an IAQI breakpoint.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = ("pm25", "pm10", "so2", "no2", "co", "o3_1h_max", "o3_8h_max")


def _alter(type_: str) -> str:
    return "ALTER TABLE air_daily " + ", ".join(f"ALTER COLUMN {c} TYPE {type_}" for c in COLUMNS)


def upgrade() -> None:
    """Widen the daily means (existing values keep their float4 rounding until the day is recomputed)."""
    op.execute(_alter("double precision"))


def downgrade() -> None:
    """Back to real."""
    op.execute(_alter("real"))
