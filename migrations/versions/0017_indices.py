"""Indices: brand and city rankings, DECRA portfolios, GHG factors.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")


def downgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")
