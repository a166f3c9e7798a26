"""Alerts speed: an index for the brand-link join of alert matching (a batch of events looks up the active links
of its facilities with an index-only scan instead of hashing every link).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The active links of a facility, with the brand and whether the link is public, from the index alone."""
    op.execute("CREATE INDEX IF NOT EXISTS brand_facility_links_alert_idx ON brand_facility_links "
               "(facility_id, brand_id) INCLUDE (is_public) WHERE active")


def downgrade() -> None:
    """Drop the index."""
    op.execute("DROP INDEX IF EXISTS brand_facility_links_alert_idx")
