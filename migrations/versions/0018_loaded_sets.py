"""Which bundled data sets a database has loaded, so that `bluemap load all --if-empty` adds new ones.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# The loaders of the releases before this migration: a database that has facilities has had them.
EARLIER = ("natural-earth", "population", "carbon", "power-plants", "cement-steel", "beijing-aq", "supplier-lists",
           "synthetic-demo")


def upgrade() -> None:
    """The table of loaded sets, holding the earlier loaders' names in a database that has data."""
    op.execute("""CREATE TABLE loaded_sets (
                      name      text PRIMARY KEY,
                      loaded_at timestamptz NOT NULL DEFAULT now())""")
    names = ", ".join(f"('{n}')" for n in EARLIER)
    op.execute(f"""INSERT INTO loaded_sets (name) SELECT n FROM (VALUES {names}) AS v(n)
                   WHERE EXISTS (SELECT 1 FROM facilities)""")


def downgrade() -> None:
    """Drop the table."""
    op.execute("DROP TABLE loaded_sets")
