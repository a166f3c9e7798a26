"""Big supplier lists are matched in the background: one queued upload per file, with its progress.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""
from alembic import op

# supply.matching's normalisation of company names (lower case; legal forms and punctuation removed), as an
# immutable function so that each name column can have a trigram index on the names as they are compared.
LEGAL = (r"(股份有限公司|有限责任公司|有限公司|分公司|集团|公司|厂|"
         r"co\.?,?\s*ltd\.?|company|limited|ltd\.?|inc\.?|corporation|corp\.?|group|factory|llc)")
PUNCT = r"[[:punct:][:space:]（）()，、·]+"

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The queue of list uploads the worker matches; progress, attempts and cancel requests beside it.

    The progress table is written outside the upload's own transaction, which holds the queue row's lock while
    it runs: a worker that dies rolls everything back and leaves the upload queued for the next one.
    """
    op.execute("""
CREATE TABLE supplier_list_uploads (
    id           bigserial PRIMARY KEY,
    brand_id     bigint NOT NULL REFERENCES brands(id),
    user_id      bigint REFERENCES users(id),
    file_name    text NOT NULL,
    name         text,
    options      jsonb NOT NULL DEFAULT '{}'::jsonb,
    content      bytea NOT NULL,
    rows_total   integer NOT NULL CHECK (rows_total >= 0),
    state        text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'failed', 'cancelled')),
    list_id      bigint REFERENCES supplier_lists(id),
    error        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
)""")
    op.execute("CREATE INDEX supplier_list_uploads_queue_idx ON supplier_list_uploads (created_at) "
               "WHERE state = 'queued'")
    op.execute("CREATE INDEX supplier_list_uploads_brand_idx ON supplier_list_uploads (brand_id)")
    op.execute("""
CREATE TABLE supplier_list_progress (
    upload_id   bigint PRIMARY KEY REFERENCES supplier_list_uploads(id) ON DELETE CASCADE,
    stage       text NOT NULL,
    rows_done   integer NOT NULL DEFAULT 0,
    attempts    smallint NOT NULL DEFAULT 0,
    cancel      boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
)""")


    op.execute(f"""CREATE FUNCTION list_match_name(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
                   RETURN btrim(regexp_replace(regexp_replace(lower($1), '{LEGAL}', '', 'g'), '{PUNCT}', ' ', 'g'))""")
    # Each name as compared, stored (so that rechecking a trigram match does not run the regular expressions),
    # with the same names found by B-tree, similar Chinese names by trigrams and English names by their words.
    op.execute("""ALTER TABLE facilities
                  ADD COLUMN match_zh text GENERATED ALWAYS AS (list_match_name(name_zh)) STORED,
                  ADD COLUMN match_en text GENERATED ALWAYS AS (list_match_name(name_en)) STORED""")
    op.execute("CREATE INDEX facilities_match_zh ON facilities (match_zh)")
    op.execute("CREATE INDEX facilities_match_en ON facilities (match_en)")
    op.execute("CREATE INDEX facilities_match_zh_trgm ON facilities USING gin (match_zh gin_trgm_ops)")
    op.execute("CREATE INDEX facilities_match_en_words ON facilities USING gin (to_tsvector('simple', match_en))")
    # A list's supplier -> buyer edges join its rows by reference.
    op.execute("CREATE INDEX supplier_list_rows_ref_idx ON supplier_list_rows (list_id, ref)")


def downgrade() -> None:
    """Drop the queue and the name-match indexes."""
    op.execute("DROP INDEX supplier_list_rows_ref_idx")
    op.execute("ALTER TABLE facilities DROP COLUMN match_zh, DROP COLUMN match_en")
    op.execute("DROP FUNCTION list_match_name(text)")
    op.execute("DROP TABLE supplier_list_progress")
    op.execute("DROP TABLE supplier_list_uploads")
