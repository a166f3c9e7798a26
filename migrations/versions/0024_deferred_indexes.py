"""Indexes a bulk load defers past its commit, so that they are made on both cores at once.

A large load drops the loaded table's secondary indexes and used to make them again, one after the other, inside
its transaction (which no other connection can read). Now it records each one here in that transaction, commits,
and then makes them on several connections at once, each deleting its row as it commits. A load stopped after its
commit leaves its rows here, and the next load or `bluemap db upgrade` makes them.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The table of deferred indexes (name, table, definition, size when dropped)."""
    op.execute("""
CREATE TABLE deferred_indexes (
    name         text PRIMARY KEY,
    table_name   text NOT NULL,
    ddl          text NOT NULL,
    cost         bigint NOT NULL DEFAULT 0,
    deferred_at  timestamptz NOT NULL DEFAULT now()
)""")


def downgrade() -> None:
    """Drop it (pending indexes are made first, so none is lost)."""
    op.execute("""DO $$ DECLARE d text; BEGIN
                  FOR d IN SELECT ddl FROM deferred_indexes LOOP EXECUTE d; END LOOP; END $$""")
    op.execute("DROP TABLE deferred_indexes")
