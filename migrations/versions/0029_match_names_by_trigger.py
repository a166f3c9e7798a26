"""The facilities' match names are kept by a trigger instead of being generated columns.

`match_zh`/`match_en` (0019) were stored generated columns, which PostgreSQL 15 computes again at every UPDATE of
a row, whatever the columns updated: the summary update of a 2,000,000-record load rewrote 973,559 facilities
and spent 2.6 s of its 9 s on names that had not changed, and a bulk facilities load could not compute them
anywhere but in its one backend (12 s of a 1.2M-row insert). They are plain columns now, set from the names by
a row trigger at each INSERT and each UPDATE that names a name column (or a match column: they cannot be set
to anything else). A bulk load turns the trigger off for its insert, inside its transaction, and writes the
same function's values, computed on a connection of its own while the load goes on (`ingest.match_names`).

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-30
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Plain columns (values kept), and the trigger that sets them."""
    op.execute("ALTER TABLE facilities ALTER COLUMN match_zh DROP EXPRESSION, ALTER COLUMN match_en DROP EXPRESSION")
    op.execute("""
CREATE FUNCTION facilities_match_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.match_zh := list_match_name(NEW.name_zh);
    NEW.match_en := list_match_name(NEW.name_en);
    RETURN NEW;
END $$""")
    op.execute("""
CREATE TRIGGER facilities_match_names BEFORE INSERT OR UPDATE OF name_zh, name_en, match_zh, match_en
    ON facilities FOR EACH ROW EXECUTE FUNCTION facilities_match_names()""")


def downgrade() -> None:
    """Generated columns again (made anew, with their indexes, as 0019 made them)."""
    op.execute("DROP TRIGGER facilities_match_names ON facilities")
    op.execute("DROP FUNCTION facilities_match_names()")
    op.execute("ALTER TABLE facilities DROP COLUMN match_zh, DROP COLUMN match_en")
    op.execute("""ALTER TABLE facilities
                  ADD COLUMN match_zh text GENERATED ALWAYS AS (list_match_name(name_zh)) STORED,
                  ADD COLUMN match_en text GENERATED ALWAYS AS (list_match_name(name_en)) STORED""")
    op.execute("CREATE INDEX facilities_match_zh ON facilities (match_zh)")
    op.execute("CREATE INDEX facilities_match_en ON facilities (match_en)")
    op.execute("CREATE INDEX facilities_match_zh_trgm ON facilities USING gin (match_zh gin_trgm_ops)")
    op.execute("CREATE INDEX facilities_match_en_words ON facilities USING gin (to_tsvector('simple', match_en))")
