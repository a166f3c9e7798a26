"""Facility merges: a claimant proposes that two facilities of its company are one, a reviewer merges them.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30

A merge moves every row that refers to the duplicate to the surviving facility, keeps a snapshot of the
duplicate's row (and of any row dropped because the survivor already had its twin), deletes the duplicate and
writes a redirect old id -> surviving id (chains are resolved when a survivor is merged in turn), and an alias
(data set, source id) -> surviving id, so that re-loading the duplicate's source file does not bring it back.
"""
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE facility_merges (
    id              bigserial PRIMARY KEY,
    company_id      bigint NOT NULL REFERENCES companies(id),
    -- plain ids, not keys: the proposal and its snapshot outlive the duplicate (deleted) and a later merge
    survivor_id     bigint NOT NULL,
    duplicate_id    bigint NOT NULL,
    proposed_by     bigint REFERENCES users(id),
    reason          text NOT NULL,
    status          text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'merged', 'rejected')),
    decided_by      bigint REFERENCES users(id),
    decided_at      timestamptz,
    decision_reason text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    snapshot        jsonb,
    moved           jsonb NOT NULL DEFAULT '{}'::jsonb,
    CHECK (survivor_id <> duplicate_id)
);
CREATE UNIQUE INDEX facility_merges_open_idx ON facility_merges (duplicate_id) WHERE status = 'proposed';
CREATE INDEX facility_merges_status_idx ON facility_merges (status, created_at);
CREATE INDEX facility_merges_company_idx ON facility_merges (company_id);

CREATE TABLE facility_redirects (
    old_id       bigint PRIMARY KEY,
    survivor_id  bigint NOT NULL REFERENCES facilities(id),
    merge_id     bigint NOT NULL REFERENCES facility_merges(id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX facility_redirects_survivor_idx ON facility_redirects (survivor_id);

-- the merged-away facility's source key: loaders skip it, violation files naming it reach the survivor
CREATE TABLE facility_aliases (
    dataset_id   text NOT NULL,
    ext_id       text NOT NULL,
    survivor_id  bigint NOT NULL REFERENCES facilities(id),
    merge_id     bigint NOT NULL REFERENCES facility_merges(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dataset_id, ext_id)
);
CREATE INDEX facility_aliases_survivor_idx ON facility_aliases (survivor_id);
"""


def upgrade() -> None:
    """Create the merge proposals, the redirects of merged-away facility ids and their source-key aliases."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Drop them."""
    op.execute("DROP TABLE IF EXISTS facility_aliases, facility_redirects, facility_merges")
