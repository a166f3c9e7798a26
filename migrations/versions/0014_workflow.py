"""The accountability workflow: claims, explanations, audits, removal, PRTR forms, files.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")


def downgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")
