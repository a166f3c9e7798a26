"""More kinds of user: members of the public, auditors, moderators, index assessors and lenders.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ROLES = "('admin', 'brand', 'member', 'auditor', 'moderator', 'assessor', 'lender')"


def upgrade() -> None:
    """Widen the role checks of users and invitations."""
    for table in ("users", "invitations"):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_role_check")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_role_check CHECK (role IN {ROLES})")


def downgrade() -> None:
    """Back to administrators and brand users (fails while other roles exist)."""
    for table in ("users", "invitations"):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_role_check")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_role_check CHECK (role IN ('admin', 'brand'))")
