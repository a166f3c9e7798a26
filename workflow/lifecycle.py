"""A facility's records as the public (or those involved) see them: published explanations, confirmed audits,
history with the actor's role and reason, the "claimed" badge and who may see removed records."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from accounts.users import User
from workflow.claims import is_claimed
from workflow.common import acts_for

PUBLISHED = """
SELECT e.violation_id, e.id, e.version, e.status, e.submitted_at, e.reviewed_at, e.cause_zh, e.cause_en,
       e.measures_zh, e.measures_en, e.planned_zh, e.planned_en, e.completion_date, e.contact, e.body,
       e.rectification, e.synthetic, e.dataset_id,
       coalesce((SELECT json_agg(json_build_object('id', w.id, 'kind', w.kind, 'bytes', w.bytes) ORDER BY w.id)
                 FROM explanation_files x JOIN workflow_files w ON w.id = x.file_id WHERE x.explanation_id = e.id),
                '[]') AS files
FROM explanations e WHERE e.violation_id = ANY(%s) AND e.status IN ('accepted', 'superseded')
ORDER BY e.violation_id, e.version DESC, e.id DESC"""

AUDITS = """
SELECT af.violation_id, a.id, o.name AS org, o.accreditation_no, a.audit_type, a.audit_date, a.result, af.finding,
       a.summary, a.report_file_id, a.reviewed_at, a.synthetic
FROM audit_findings af JOIN audits a ON a.id = af.audit_id JOIN audit_orgs o ON o.id = a.org_id
WHERE af.violation_id = ANY(%s) AND a.review_status = 'confirmed'
ORDER BY af.violation_id, a.audit_date DESC, a.id DESC"""


def involved(conn: psycopg.Connection, user: User | None, company_id: int | None) -> bool:
    """Reviewers, the company's users and the auditors of its requests see its removed records too."""
    if user is None:
        return False
    if user.is_admin or acts_for(conn, user, company_id):
        return True
    return company_id is not None and conn.execute(
        """SELECT 1 FROM audit_requests q JOIN auditors a ON a.org_id = q.org_id
           WHERE q.company_id = %s AND a.user_id = %s LIMIT 1""", (company_id, user.id)).fetchone() is not None


def attach(conn: psycopg.Connection, records: dict[int, dict]) -> None:
    """Add `explanations` (published versions, newest first) and `audits` (confirmed) to each record."""
    ids = list(records)
    for r in records.values():
        r["explanations"], r["audits"] = [], []
    if not ids:
        return
    with conn.cursor(row_factory=dict_row) as cur:
        for row in cur.execute(PUBLISHED, (ids,)).fetchall():
            records[row.pop("violation_id")]["explanations"].append(row)
        for row in cur.execute(AUDITS, (ids,)).fetchall():
            records[row.pop("violation_id")]["audits"].append(row)


def claimed(conn: psycopg.Connection, company_id: int | None) -> bool:
    """Whether the facility's company was claimed (an approved claim)."""
    return is_claimed(conn, company_id)
