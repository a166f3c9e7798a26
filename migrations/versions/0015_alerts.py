"""Alerts: event outbox, subscriptions, deliveries, inbox.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")


def downgrade() -> None:
    """Nothing yet."""
    op.execute("SELECT 1")
