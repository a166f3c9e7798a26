"""Search indexes: 1- and 2-character grams of Chinese facility names; name equality and prefix b-trees.

pg_trgm cannot answer a substring query of fewer than 3 characters (there is no whole trigram in it), and
most Chinese words are 1 or 2 characters ("水泥", "钢铁"). A GIN index over name_grams(name_zh) finds the
names holding every gram of a query; the caller rechecks the substring itself (strpos). Equality and
prefix matches (the first two ranks of a search) read b-trees in pattern order, so they stop early.

None of these indexes covers violation_count: the summary trigger of 0002 updates it, and those updates
stay HOT (no index maintenance) only while no index reads it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = """
-- Every character of t, then every pair of adjacent characters (GIN drops duplicate keys itself).
CREATE FUNCTION name_grams(t text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    c text[] := string_to_array(t, NULL);
    grams text[] := c;
BEGIN
    FOR i IN 1 .. cardinality(c) - 1 LOOP
        grams := grams || (c[i] || c[i + 1]);
    END LOOP;
    RETURN grams;
END $$;

-- More memory than the default 64 MB makes index builds over a million rows several times faster.
SET LOCAL maintenance_work_mem = '256MB';
CREATE INDEX facilities_name_zh_grams ON facilities USING gin (name_grams(name_zh));
CREATE INDEX facilities_name_zh_pattern ON facilities (name_zh text_pattern_ops);
CREATE INDEX facilities_name_en_pattern ON facilities (lower(name_en) text_pattern_ops);
-- Statistics of the new expressions (the planner estimates how many names hold a gram from them).
ANALYZE facilities;
"""

DOWNGRADE = """
DROP INDEX facilities_name_en_pattern;
DROP INDEX facilities_name_zh_pattern;
DROP INDEX facilities_name_zh_grams;
DROP FUNCTION name_grams(text);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
