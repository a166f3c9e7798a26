"""Accounts (admins and brand users), invitations, login attempts, brand API tokens, brand logos, and the rows
of uploaded supplier lists with what happened to each (list -> row -> match -> facility).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$' AND length(email) <= 254),
    name          text NOT NULL DEFAULT '',
    password_hash text NOT NULL,  -- werkzeug.security (scrypt)
    role          text NOT NULL CHECK (role IN ('admin', 'brand')),
    brand_id      bigint REFERENCES brands(id),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    CHECK ((role = 'brand') = (brand_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));

-- Only the SHA-256 of an invitation token is stored; the link is shown once to the admin who made it.
CREATE TABLE invitations (
    id          bigserial PRIMARY KEY,
    token_hash  char(64) NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    email       text NOT NULL,
    role        text NOT NULL CHECK (role IN ('admin', 'brand')),
    brand_id    bigint REFERENCES brands(id),
    created_by  bigint REFERENCES users(id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    user_id     bigint REFERENCES users(id),
    revoked_at  timestamptz,
    CHECK ((role = 'brand') = (brand_id IS NOT NULL))
);

-- Failed (and successful) logins, shared by every worker process: the rate limit counts recent failures.
CREATE TABLE login_attempts (
    id           bigserial PRIMARY KEY,
    email        text NOT NULL,
    ip           text NOT NULL,
    success      boolean NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_key_idx ON login_attempts (email, ip, attempted_at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, attempted_at);
CREATE INDEX login_attempts_time_idx ON login_attempts (attempted_at);

-- Bearer tokens of brand users for the JSON API (apart from 0004's push-client tokens, which are scoped to
-- stations): only the SHA-256 of a token is stored.
CREATE TABLE user_api_tokens (
    id           bigserial PRIMARY KEY,
    token_hash   char(64) NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    user_id      bigint NOT NULL REFERENCES users(id),
    label        text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX user_api_tokens_user_idx ON user_api_tokens (user_id);

-- The uploaded logo as sent (never served back) and the PNG the sprite and pages use.
ALTER TABLE brands
    ADD COLUMN logo       bytea,
    ADD COLUMN logo_mime  text CHECK (logo_mime IN ('image/png', 'image/svg+xml')),
    ADD COLUMN logo_png   bytea,
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT brands_logo_complete
        CHECK ((logo IS NULL) = (logo_mime IS NULL) AND (logo IS NULL) = (logo_png IS NULL));

ALTER TABLE supplier_lists
    ADD COLUMN uploaded_by bigint REFERENCES users(id),
    ADD COLUMN accepted_at timestamptz,
    ADD COLUMN replaced_at timestamptz,
    ADD COLUMN summary     jsonb NOT NULL DEFAULT '{}';
CREATE INDEX supplier_lists_brand_idx ON supplier_lists (brand_id, status);
CREATE INDEX brand_facility_links_brand_idx ON brand_facility_links (brand_id, active);
CREATE INDEX supplier_edges_list_idx ON supplier_edges (list_id);

-- Every row of an uploaded list: its cells, what was read from them, and what happened to it.
CREATE TABLE supplier_list_rows (
    id                bigserial PRIMARY KEY,
    list_id           bigint NOT NULL REFERENCES supplier_lists(id) ON DELETE CASCADE,
    line              int NOT NULL,
    ref               text NOT NULL,
    raw               jsonb NOT NULL DEFAULT '{}',
    name              text,
    address           text,
    uscc              text,
    lon               double precision,  -- WGS84, converted from crs
    lat               double precision,
    crs               text CHECK (crs IN ('wgs84', 'gcj02', 'bd09')),
    tier              supply_tier,
    parent_ref        text,
    is_public         boolean NOT NULL DEFAULT false,
    outcome           text NOT NULL CHECK (outcome IN ('linked', 'review', 'new_facility', 'rejected')),
    reason            text,
    match_facility_id bigint REFERENCES facilities(id),
    confidence        real CHECK (confidence BETWEEN 0 AND 1),
    candidates        jsonb NOT NULL DEFAULT '[]',
    facility_id       bigint REFERENCES facilities(id),
    decision          text CHECK (decision IN ('auto', 'accepted', 'chosen', 'new_facility', 'rejected')),
    decided_by        bigint REFERENCES users(id),
    decided_at        timestamptz,
    UNIQUE (list_id, line),
    CHECK (outcome NOT IN ('linked', 'new_facility') OR facility_id IS NOT NULL)
);
CREATE INDEX supplier_list_rows_review_idx ON supplier_list_rows (list_id) WHERE outcome = 'review';
"""

DOWNGRADE = """
DROP TABLE IF EXISTS supplier_list_rows;
DROP INDEX IF EXISTS supplier_edges_list_idx;
DROP INDEX IF EXISTS brand_facility_links_brand_idx;
DROP INDEX IF EXISTS supplier_lists_brand_idx;
ALTER TABLE supplier_lists DROP COLUMN IF EXISTS uploaded_by, DROP COLUMN IF EXISTS accepted_at,
    DROP COLUMN IF EXISTS replaced_at, DROP COLUMN IF EXISTS summary;
ALTER TABLE brands DROP CONSTRAINT IF EXISTS brands_logo_complete, DROP COLUMN IF EXISTS logo,
    DROP COLUMN IF EXISTS logo_mime, DROP COLUMN IF EXISTS logo_png, DROP COLUMN IF EXISTS created_at;
DROP TABLE IF EXISTS user_api_tokens, login_attempts, invitations, users;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
