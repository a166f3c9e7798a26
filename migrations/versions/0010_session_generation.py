"""Session generation per user: signing out (or a new password) ends every copy of a session cookie.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the counter that session cookies carry (through the password fingerprint)."""
    op.execute("ALTER TABLE users ADD COLUMN session_generation integer NOT NULL DEFAULT 0")


def downgrade() -> None:
    """Drop the counter."""
    op.execute("ALTER TABLE users DROP COLUMN session_generation")
