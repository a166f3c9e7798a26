"""Supplier-list matching runs as a background job with progress.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")


def downgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")
