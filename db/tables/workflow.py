"""The accountability workflow's tables, and its columns on history, explanations and PRTR (migration 0014)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, Table, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB

from db.tables.common import EMPTY_OBJECT, NOW, TIMESTAMPTZ, metadata, ref, synthetic
from db.tables.foundation import explanations, prtr_disclosures, violation_status_history

_HISTORY: list[Column] = [ref("actor_id", "users.id"), Column("actor_role", Text), Column("reason", Text),
                          synthetic()]
for _col in _HISTORY:
    violation_status_history.append_column(_col)

_EXPLANATIONS: list[Column] = [Column("version", Integer, nullable=False, server_default=text("1")),
             Column("status", Text, nullable=False, server_default=text("'accepted'::text")),
             ref("company_id", "companies.id"), ref("author_id", "users.id"),
             *(Column(f"{name}_{lang}", Text) for name in ("cause", "measures", "planned") for lang in ("zh", "en")),
             Column("completion_date", Date), Column("contact", Text), ref("reviewed_by", "users.id"),
             Column("reviewed_at", TIMESTAMPTZ), Column("review_comment", Text)]
for _col in _EXPLANATIONS:
    explanations.append_column(_col)
Index("explanations_status_idx", explanations.c.status)

_PRTR: list[Column] = [Column("details", JSONB, nullable=False, server_default=EMPTY_OBJECT),
                       Column("version", Integer), Column("published_at", TIMESTAMPTZ)]
for _col in _PRTR:
    prtr_disclosures.append_column(_col)


def _id() -> Column:
    return Column("id", BigInteger, primary_key=True)


def _key(name: str, target: str) -> Column:
    """A bigint column referring to `target`, part of the primary key."""
    return Column(name, BigInteger, ForeignKey(target), primary_key=True)


workflow_files = Table(
    "workflow_files", metadata,
    _id(), Column("stored_name", Text, nullable=False), Column("kind", Text, nullable=False),
    Column("bytes", Integer, nullable=False), Column("original_name", Text), Column("purpose", Text, nullable=False),
    ref("uploaded_by", "users.id"), Column("uploaded_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)

company_claims = Table(
    "company_claims", metadata,
    _id(), ref("user_id", "users.id", nullable=False), ref("company_id", "companies.id", nullable=False),
    Column("contact_name", Text, nullable=False), Column("contact_phone", Text), Column("contact_email", Text),
    Column("position", Text, nullable=False), ref("licence_file_id", "workflow_files.id", nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'::text")),
    Column("submitted_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("decided_at", TIMESTAMPTZ),
    ref("decided_by", "users.id"), Column("decision_reason", Text),
    Index("company_claims_open_idx", "user_id", "company_id", unique=True,
          postgresql_where=text("status IN ('pending', 'approved')")),
    Index("company_claims_company_idx", "company_id", "status"),
)

explanation_files = Table(
    "explanation_files", metadata,
    _key("explanation_id", "explanations.id"), _key("file_id", "workflow_files.id"),
)

audit_orgs = Table(
    "audit_orgs", metadata,
    _id(), Column("name", Text, nullable=False), Column("accreditation_no", Text, nullable=False, unique=True),
    Column("valid_from", Date, nullable=False), Column("valid_to", Date, nullable=False),
    ref("accredited_by", "users.id"), Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    synthetic(),
)

auditors = Table(
    "auditors", metadata,
    _key("user_id", "users.id"), ref("org_id", "audit_orgs.id", nullable=False),
    Column("added_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
)

audit_requests = Table(
    "audit_requests", metadata,
    _id(), ref("company_id", "companies.id", nullable=False), ref("org_id", "audit_orgs.id", nullable=False),
    ref("requested_by", "users.id"), Column("status", Text, nullable=False, server_default=text("'requested'::text")),
    Column("note", Text), Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW), synthetic(),
    Index("audit_requests_org_idx", "org_id", "status"),
)

audit_request_records = Table(
    "audit_request_records", metadata,
    _key("request_id", "audit_requests.id"), _key("violation_id", "violations.id"),
    Index("audit_request_records_violation_idx", "violation_id"),
)

audits = Table(
    "audits", metadata,
    _id(), ref("request_id", "audit_requests.id", nullable=False), ref("org_id", "audit_orgs.id", nullable=False),
    ref("auditor_id", "users.id"), Column("audit_type", Text, nullable=False),
    Column("audit_date", Date, nullable=False),
    Column("result", Text, nullable=False), Column("summary", Text), ref("report_file_id", "workflow_files.id"),
    Column("filed_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Column("review_status", Text, nullable=False, server_default=text("'pending'::text")),
    ref("reviewed_by", "users.id"), Column("reviewed_at", TIMESTAMPTZ), Column("review_reason", Text), synthetic(),
    Index("audits_request_idx", "request_id"),
)

audit_findings = Table(
    "audit_findings", metadata,
    _key("audit_id", "audits.id"), _key("violation_id", "violations.id"),
    Column("finding", Text, nullable=False),
    Index("audit_findings_violation_idx", "violation_id"),
)

prtr_forms = Table(
    "prtr_forms", metadata,
    _id(), ref("facility_id", "facilities.id", nullable=False), Column("year", Integer, nullable=False),
    Column("version", Integer, nullable=False), Column("status", Text, nullable=False),
    Column("form", JSONB, nullable=False, server_default=EMPTY_OBJECT), ref("author_id", "users.id"),
    Column("created_at", TIMESTAMPTZ, nullable=False, server_default=NOW),
    Column("updated_at", TIMESTAMPTZ, nullable=False, server_default=NOW), Column("submitted_at", TIMESTAMPTZ),
    synthetic(), UniqueConstraint("facility_id", "year", "version"),
)
