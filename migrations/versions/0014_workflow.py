"""The accountability workflow: claims, explanations with versions, auditing organisations, audits, PRTR forms.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UPGRADE = """
-- Who moved a record and why: every transition is one history row (alerts put their outbox trigger here).
ALTER TABLE violation_status_history
    ADD COLUMN actor_id bigint REFERENCES users(id),
    ADD COLUMN actor_role text CHECK (actor_role IN ('enterprise', 'reviewer', 'auditor', 'system')),
    ADD COLUMN reason text,
    ADD COLUMN synthetic boolean NOT NULL DEFAULT false;
-- The history trigger of 0001 writes the one row of each transition; the workflow hands it who, why and when
-- through transaction-local settings (bluemap.actor_id, .actor_role, .reason, .changed_at, .synthetic).
CREATE OR REPLACE FUNCTION record_violation_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('bluemap.history', true) = 'written' THEN
        RETURN NULL;  -- a bulk step (workflow.records.move_many) writes its rows itself, one per transition
    END IF;
    INSERT INTO violation_status_history (violation_id, from_status, to_status, changed_at, note, actor_id,
                                          actor_role, reason, synthetic)
    SELECT n.id, o.status, n.status,
           coalesce(nullif(current_setting('bluemap.changed_at', true), '')::timestamptz, now()),
           nullif(current_setting('bluemap.reason', true), ''),
           nullif(current_setting('bluemap.actor_id', true), '')::bigint,
           nullif(current_setting('bluemap.actor_role', true), ''),
           nullif(current_setting('bluemap.reason', true), ''),
           coalesce(nullif(current_setting('bluemap.synthetic', true), '')::boolean, n.synthetic)
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.status IS DISTINCT FROM o.status ORDER BY n.id;
    RETURN NULL;
END $$;

-- The facility summary of 0002, recomputed by index for the few records a workflow step changes (a reviewer's
-- decision touched one facility, yet the set-based form scanned every record); bulk changes keep that form.
CREATE OR REPLACE FUNCTION refresh_facility_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM (SELECT 1 FROM changed LIMIT 1000) few) < 1000 THEN
        UPDATE facilities f
        SET violation_count = s.n, latest_violation = s.latest, worst_status = s.worst, violations_synthetic = s.syn
        FROM (SELECT DISTINCT facility_id FROM changed) c
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE v.status <> 'removed') AS n,
                   max(v.violation_date) FILTER (WHERE v.status <> 'removed') AS latest,
                   (ARRAY['none', 'rectified', 'explained', 'open'])[1 + coalesce(max(
                       CASE v.status WHEN 'open' THEN 3 WHEN 'explained' THEN 2 WHEN 'rectified' THEN 1 END), 0)]
                       AS worst,
                   coalesce(bool_or(v.synthetic) FILTER (WHERE v.status <> 'removed'), false) AS syn
            FROM violations v WHERE v.facility_id = c.facility_id
        ) s
        WHERE f.id = c.facility_id AND (f.violation_count, f.latest_violation, f.worst_status, f.violations_synthetic)
              IS DISTINCT FROM (s.n::int, s.latest, s.worst, s.syn);
        RETURN NULL;
    END IF;
    UPDATE facilities f
    SET violation_count = s.n, latest_violation = s.latest, worst_status = s.worst, violations_synthetic = s.syn
    FROM (
        SELECT v.facility_id,
               count(*) FILTER (WHERE v.status <> 'removed') AS n,
               max(v.violation_date) FILTER (WHERE v.status <> 'removed') AS latest,
               (ARRAY['none', 'rectified', 'explained', 'open'])[1 + coalesce(max(
                   CASE v.status WHEN 'open' THEN 3 WHEN 'explained' THEN 2 WHEN 'rectified' THEN 1 END), 0)] AS worst,
               coalesce(bool_or(v.synthetic) FILTER (WHERE v.status <> 'removed'), false) AS syn
        FROM violations v
        WHERE v.facility_id IN (SELECT DISTINCT facility_id FROM changed)
        GROUP BY v.facility_id
    ) s
    WHERE f.id = s.facility_id;
    RETURN NULL;
END $$;

-- Uploaded licences, evidence and audit reports (the bytes live under var/uploads by SHA-256).
CREATE TABLE workflow_files (
    id            bigserial PRIMARY KEY,
    stored_name   text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('pdf', 'png', 'jpeg')),
    bytes         integer NOT NULL,
    original_name text,
    purpose       text NOT NULL CHECK (purpose IN ('licence', 'evidence', 'audit_report')),
    uploaded_by   bigint REFERENCES users(id),
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE company_claims (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id),
    company_id      bigint NOT NULL REFERENCES companies(id),
    contact_name    text NOT NULL,
    contact_phone   text,
    contact_email   text,
    position        text NOT NULL,
    licence_file_id bigint NOT NULL REFERENCES workflow_files(id),
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz,
    decided_by      bigint REFERENCES users(id),
    decision_reason text
);
CREATE UNIQUE INDEX company_claims_open_idx ON company_claims (user_id, company_id)
    WHERE status IN ('pending', 'approved');
CREATE INDEX company_claims_company_idx ON company_claims (company_id, status);

-- Explanations: versions per record, reviewed before they are published.
ALTER TABLE explanations
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN status text NOT NULL DEFAULT 'accepted'
        CHECK (status IN ('submitted', 'accepted', 'returned', 'superseded')),
    ADD COLUMN company_id bigint REFERENCES companies(id),
    ADD COLUMN author_id bigint REFERENCES users(id),
    ADD COLUMN cause_zh text, ADD COLUMN cause_en text,
    ADD COLUMN measures_zh text, ADD COLUMN measures_en text,
    ADD COLUMN planned_zh text, ADD COLUMN planned_en text,
    ADD COLUMN completion_date date,
    ADD COLUMN contact text,
    ADD COLUMN reviewed_by bigint REFERENCES users(id),
    ADD COLUMN reviewed_at timestamptz,
    ADD COLUMN review_comment text;
CREATE INDEX explanations_status_idx ON explanations (status);
CREATE TABLE explanation_files (
    explanation_id bigint NOT NULL REFERENCES explanations(id),
    file_id        bigint NOT NULL REFERENCES workflow_files(id),
    PRIMARY KEY (explanation_id, file_id)
);

CREATE TABLE audit_orgs (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL,
    accreditation_no text NOT NULL UNIQUE,
    valid_from       date NOT NULL,
    valid_to         date NOT NULL,
    accredited_by    bigint REFERENCES users(id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    synthetic        boolean NOT NULL DEFAULT false,
    CHECK (valid_to >= valid_from)
);
CREATE TABLE auditors (
    user_id  bigint PRIMARY KEY REFERENCES users(id),
    org_id   bigint NOT NULL REFERENCES audit_orgs(id),
    added_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audit_requests (
    id           bigserial PRIMARY KEY,
    company_id   bigint NOT NULL REFERENCES companies(id),
    org_id       bigint NOT NULL REFERENCES audit_orgs(id),
    requested_by bigint REFERENCES users(id),
    status       text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested', 'filed', 'confirmed', 'rejected')),
    note         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    synthetic    boolean NOT NULL DEFAULT false
);
CREATE INDEX audit_requests_org_idx ON audit_requests (org_id, status);
CREATE TABLE audit_request_records (
    request_id   bigint NOT NULL REFERENCES audit_requests(id),
    violation_id bigint NOT NULL REFERENCES violations(id),
    PRIMARY KEY (request_id, violation_id)
);
CREATE INDEX audit_request_records_violation_idx ON audit_request_records (violation_id);
CREATE TABLE audits (
    id             bigserial PRIMARY KEY,
    request_id     bigint NOT NULL REFERENCES audit_requests(id),
    org_id         bigint NOT NULL REFERENCES audit_orgs(id),
    auditor_id     bigint REFERENCES users(id),
    audit_type     text NOT NULL CHECK (audit_type IN ('desk', 'on_site')),
    audit_date     date NOT NULL,
    result         text NOT NULL CHECK (result IN ('passed', 'failed', 'follow_up')),
    summary        text,
    report_file_id bigint REFERENCES workflow_files(id),
    filed_at       timestamptz NOT NULL DEFAULT now(),
    review_status  text NOT NULL DEFAULT 'pending' CHECK (review_status IN ('pending', 'confirmed', 'rejected')),
    reviewed_by    bigint REFERENCES users(id),
    reviewed_at    timestamptz,
    review_reason  text,
    synthetic      boolean NOT NULL DEFAULT false
);
CREATE INDEX audits_request_idx ON audits (request_id);
CREATE TABLE audit_findings (
    audit_id     bigint NOT NULL REFERENCES audits(id),
    violation_id bigint NOT NULL REFERENCES violations(id),
    finding      text NOT NULL,
    PRIMARY KEY (audit_id, violation_id)
);
CREATE INDEX audit_findings_violation_idx ON audit_findings (violation_id);

-- PRTR forms: drafts and submitted versions; the latest submitted one is published in prtr_disclosures.
CREATE TABLE prtr_forms (
    id           bigserial PRIMARY KEY,
    facility_id  bigint NOT NULL REFERENCES facilities(id),
    year         integer NOT NULL,
    version      integer NOT NULL,
    status       text NOT NULL CHECK (status IN ('draft', 'submitted', 'superseded')),
    form         jsonb NOT NULL DEFAULT '{}',
    author_id    bigint REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    submitted_at timestamptz,
    synthetic    boolean NOT NULL DEFAULT false,
    UNIQUE (facility_id, year, version)
);
ALTER TABLE prtr_disclosures
    ADD COLUMN details jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN version integer,
    ADD COLUMN published_at timestamptz;
"""

DOWNGRADE = """
CREATE OR REPLACE FUNCTION refresh_facility_summary() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE facilities f
    SET violation_count = s.n, latest_violation = s.latest, worst_status = s.worst, violations_synthetic = s.syn
    FROM (
        SELECT v.facility_id,
               count(*) FILTER (WHERE v.status <> 'removed') AS n,
               max(v.violation_date) FILTER (WHERE v.status <> 'removed') AS latest,
               (ARRAY['none', 'rectified', 'explained', 'open'])[1 + coalesce(max(
                   CASE v.status WHEN 'open' THEN 3 WHEN 'explained' THEN 2 WHEN 'rectified' THEN 1 END), 0)] AS worst,
               coalesce(bool_or(v.synthetic) FILTER (WHERE v.status <> 'removed'), false) AS syn
        FROM violations v
        WHERE v.facility_id IN (SELECT DISTINCT facility_id FROM changed)
        GROUP BY v.facility_id
    ) s
    WHERE f.id = s.facility_id;
    RETURN NULL;
END $$;
ALTER TABLE prtr_disclosures DROP COLUMN details, DROP COLUMN version, DROP COLUMN published_at;
DROP TABLE prtr_forms;
DROP TABLE audit_findings;
DROP TABLE audits;
DROP TABLE audit_request_records;
DROP TABLE audit_requests;
DROP TABLE auditors;
DROP TABLE audit_orgs;
DROP TABLE explanation_files;
DROP INDEX explanations_status_idx;
ALTER TABLE explanations DROP COLUMN version, DROP COLUMN status, DROP COLUMN company_id, DROP COLUMN author_id,
    DROP COLUMN cause_zh, DROP COLUMN cause_en, DROP COLUMN measures_zh, DROP COLUMN measures_en,
    DROP COLUMN planned_zh, DROP COLUMN planned_en, DROP COLUMN completion_date, DROP COLUMN contact,
    DROP COLUMN reviewed_by, DROP COLUMN reviewed_at, DROP COLUMN review_comment;
DROP TABLE company_claims;
DROP TABLE workflow_files;
CREATE OR REPLACE FUNCTION record_violation_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO violation_status_history (violation_id, from_status, to_status)
    SELECT n.id, o.status, n.status FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.status IS DISTINCT FROM o.status ORDER BY n.id;
    RETURN NULL;
END $$;
ALTER TABLE violation_status_history DROP COLUMN actor_id, DROP COLUMN actor_role, DROP COLUMN reason,
    DROP COLUMN synthetic;
"""


def upgrade() -> None:
    """Create the workflow tables and extend history, explanations and PRTR disclosures."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Drop them again."""
    op.execute(DOWNGRADE)
