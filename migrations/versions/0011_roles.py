"""More kinds of user (members of the public, auditors, moderators, assessors, lenders); location precision.

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
    # How exactly a facility's point is known: surveyed or given coordinates, or a geocoded street, place,
    # county or prefecture (a representative point, never to be shown as a factory position).
    op.execute("""ALTER TABLE facilities ADD COLUMN location_precision text NOT NULL DEFAULT 'exact'
                  CHECK (location_precision IN ('exact', 'street', 'place', 'county', 'prefecture', 'province'))""")


def downgrade() -> None:
    """Back to administrators and brand users (fails while other roles exist)."""
    op.execute("ALTER TABLE facilities DROP COLUMN location_precision")
    for table in ("users", "invitations"):
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_role_check")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_role_check CHECK (role IN ('admin', 'brand'))")
