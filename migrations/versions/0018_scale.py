"""Scale: replica routing and bulk-load support.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")


def downgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")
