"""Prefecture and county boundaries and basemap context layers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")


def downgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")
