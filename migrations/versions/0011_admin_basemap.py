"""Prefecture and county boundaries and basemap context layers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")


def downgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")
