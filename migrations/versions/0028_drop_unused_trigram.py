"""Drop `facilities_name_zh_trgm`, a trigram index of Chinese names that no query uses.

Chinese names are searched by the 1- and 2-character gram index (`facilities_name_zh_grams`: pg_trgm cannot
answer a substring of one or two characters) and by the pattern B-tree (equal and prefix); list matching reads
the trigrams of the normalised names (`facilities_match_zh_trgm`). Over 1,500 name searches of every kind at
1.2 M facilities, the index was scanned 0 times. It cost 4.9 s of every bulk load's index builds and an entry
per trigram at each insert.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30
"""

from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Drop the index."""
    op.execute("DROP INDEX IF EXISTS facilities_name_zh_trgm")


def downgrade() -> None:
    """Make it again."""
    op.execute("CREATE INDEX facilities_name_zh_trgm ON facilities USING gin (name_zh gin_trgm_ops)")
