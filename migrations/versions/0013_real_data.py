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


def upgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")


def downgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")
