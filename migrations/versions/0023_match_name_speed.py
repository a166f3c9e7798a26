"""Faster list_match_name: the same names as 0019's, in a fifth of the time.

0019's single regular expression (Chinese and English legal forms in one alternation) cost PostgreSQL's regex
engine ~24 microseconds per Chinese name: half of a 1.2M-facility load was spent computing the generated
match_zh and match_en columns. Each half alone is fast, and a half cannot match a name lacking its literal
parts, so names lacking the Chinese (or the English) parts use the other half's expression: the same matches,
hence the same result (checked on 2.4M names and fuzzed in tests/db/test_match_names.py). Names with both kinds
keep the whole expression. The stored columns are unchanged, so nothing is rewritten.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ZH = "股份有限公司|有限责任公司|有限公司|分公司|集团|公司|厂"
EN = r"co\.?,?\s*ltd\.?|company|limited|ltd\.?|inc\.?|corporation|corp\.?|group|factory|llc"
PUNCT = r"[[:punct:][:space:]（）()，、·]+"
# Every Chinese alternative contains one of ZH_PARTS, every English one one of EN_PARTS.
ZH_PARTS = ("公司", "集团", "厂")
EN_PARTS = ("co", "limited", "ltd", "inc", "group", "factory", "llc")


def _absent(parts: tuple[str, ...]) -> str:
    return " AND ".join(f"strpos(s, '{p}') = 0" for p in parts)


STRIP = f"""CREATE OR REPLACE FUNCTION list_match_strip(s text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN {_absent(ZH_PARTS)} THEN regexp_replace(s, '({EN})', '', 'g')
            WHEN {_absent(EN_PARTS)} THEN regexp_replace(s, '({ZH})', '', 'g')
            ELSE regexp_replace(s, '({ZH}|{EN})', '', 'g') END"""
NAME = f"""CREATE OR REPLACE FUNCTION list_match_name(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN btrim(regexp_replace(list_match_strip(lower($1)), '{PUNCT}', ' ', 'g'))"""
NAME_0019 = f"""CREATE OR REPLACE FUNCTION list_match_name(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN btrim(regexp_replace(regexp_replace(lower($1), '({ZH}|{EN})', '', 'g'), '{PUNCT}', ' ', 'g'))"""


def upgrade() -> None:
    """The split expression (same results, so the stored match columns stay as they are)."""
    op.execute(STRIP)
    op.execute(NAME)


def downgrade() -> None:
    """Back to 0019's single expression."""
    op.execute(NAME_0019)
    op.execute("DROP FUNCTION list_match_strip(text)")
