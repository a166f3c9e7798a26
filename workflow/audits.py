"""Third-party audits: administrators accredit auditing organisations and add their auditors; the enterprise
requests an audit of explained records from an accredited organisation; one of its current auditors files the
audit (type, date, findings per record, result, report); a reviewer confirms it (passed: the records become
rectified) or rejects it with a reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import psycopg

from accounts.users import User
from core import parse
from core.errors import Conflict, Forbidden, Invalid, NotFound
from db.staging import bump_data_version
from workflow import records
from workflow.common import optional_text, record, require_company, require_reviewer, required_text

TYPES = ("desk", "on_site")
RESULTS = ("passed", "failed", "follow_up")
CURRENT = "valid_from <= current_date AND valid_to >= current_date"


def accredit(conn: psycopg.Connection, admin: User, fields: Mapping) -> int:
    """An administrator accredits an auditing organisation: name, accreditation number, valid from/to."""
    require_reviewer(admin)
    name = required_text(fields, "name", 200)
    number = required_text(fields, "accreditation_no", 100)
    start = parse.day("valid_from", fields.get("valid_from"))
    end = parse.day("valid_to", fields.get("valid_to"))
    if end < start:
        raise Invalid("valid_to: the accreditation cannot end before it starts")
    if conn.execute("SELECT 1 FROM audit_orgs WHERE accreditation_no = %s", (number,)).fetchone():
        raise Conflict(f"accreditation_no: {number} is already on file")
    row = conn.execute("""INSERT INTO audit_orgs (name, accreditation_no, valid_from, valid_to, accredited_by)
                          VALUES (%s, %s, %s, %s, %s) RETURNING id""", (name, number, start, end, admin.id)).fetchone()
    assert row is not None
    return int(row[0])


def add_auditor(conn: psycopg.Connection, admin: User, org_id: int, email: str) -> int:
    """An administrator makes an existing user an auditor of one organisation; the user's id."""
    require_reviewer(admin)
    if conn.execute("SELECT 1 FROM audit_orgs WHERE id = %s", (org_id,)).fetchone() is None:
        raise NotFound(f"no auditing organisation {org_id}")
    row = conn.execute("SELECT id, role FROM users WHERE lower(email) = lower(%s) AND NOT disabled",
                       ((email or "").strip(),)).fetchone()
    if row is None:
        raise NotFound("email: no such user (invite them first, or ask them to sign up)")
    if row[1] not in ("member", "auditor"):
        raise Conflict(f"email: a user of role {row[1]} cannot become an auditor")
    conn.execute("UPDATE users SET role = 'auditor' WHERE id = %s", (row[0],))
    conn.execute("""INSERT INTO auditors (user_id, org_id) VALUES (%s, %s)
                    ON CONFLICT (user_id) DO UPDATE SET org_id = EXCLUDED.org_id, added_at = now()""", (row[0], org_id))
    return int(row[0])


def current_org(conn: psycopg.Connection, user: User) -> int | None:
    """The organisation of an auditor while its accreditation is current."""
    row = conn.execute(f"""SELECT o.id FROM auditors a JOIN audit_orgs o ON o.id = a.org_id
                           WHERE a.user_id = %s AND o.{CURRENT.replace(' AND ', ' AND o.')}""",
                       (user.id,)).fetchone()
    return int(row[0]) if row and user.role == "auditor" else None


def request(conn: psycopg.Connection, user: User | None, violation_ids: Sequence[int], org_id: int,
            note: str | None = None, synthetic: bool = False) -> int:
    """The enterprise asks an accredited organisation to audit explained records of one company."""
    if not violation_ids:
        raise Invalid("violation_ids: choose at least one explained record")
    recs = [record(conn, vid, lock=True) for vid in sorted(set(violation_ids))]
    companies = {r["company_id"] for r in recs}
    if len(companies) != 1:
        raise Invalid("violation_ids: one request covers the records of one company")
    company_id = companies.pop()
    if not synthetic:
        if user is None:
            raise Forbidden("sign in to request an audit")
        require_company(conn, user, company_id)
    for r in recs:
        if r["status"] != "explained":
            raise Conflict(f"record {r['id']} is {r['status']}: only explained records can be audited",
                           violation_id=r["id"], status=r["status"])
    if conn.execute(f"SELECT 1 FROM audit_orgs WHERE id = %s AND {CURRENT}", (org_id,)).fetchone() is None:
        raise Invalid("org_id: choose an organisation whose accreditation is current")
    row = conn.execute("""INSERT INTO audit_requests (company_id, org_id, requested_by, note, synthetic)
                          VALUES (%s, %s, %s, %s, %s) RETURNING id""",
                       (company_id, org_id, user.id if user else None, note, synthetic)).fetchone()
    assert row is not None
    for r in recs:
        conn.execute("INSERT INTO audit_request_records VALUES (%s, %s)", (row[0], r["id"]))
    return int(row[0])


def read_audit(fields: Mapping, record_ids: Sequence[int]) -> dict:
    """Type, date, result, summary and a finding for every record of the request."""
    findings = fields.get("findings") or {}
    if not isinstance(findings, Mapping):
        raise Invalid("findings: an object of record id -> finding")
    out: dict[str, Any] = {"audit_type": parse.choice("audit_type", fields.get("audit_type"), TYPES),
           "audit_date": parse.day("audit_date", fields.get("audit_date")),
           "result": parse.choice("result", fields.get("result"), RESULTS),
           "summary": optional_text(fields, "summary"), "findings": {}}
    if out["audit_date"] > date.today() or out["audit_date"] < date(2000, 1, 1):
        raise Invalid("audit_date: an audit date cannot lie in the future")
    for vid in record_ids:
        text = optional_text(findings, str(vid))
        if text is None:
            raise Invalid(f"findings.{vid}: write the finding for record {vid}")
        out["findings"][vid] = text
    return out


def file(conn: psycopg.Connection, auditor: User | None, request_id: int, fields: Mapping,
         report_file_id: int | None, at: datetime | None = None, synthetic: bool = False) -> int:
    """A current auditor of the requested organisation files the audit of a request."""
    row = conn.execute("SELECT org_id, status FROM audit_requests WHERE id = %s FOR UPDATE", (request_id,)).fetchone()
    if row is None:
        raise NotFound(f"no audit request {request_id}")
    if not synthetic:
        if auditor is None or current_org(conn, auditor) != row[0]:
            raise Forbidden("only a current auditor of the requested, accredited organisation files this audit")
        if report_file_id is None:
            raise Invalid("report: attach the audit report (PDF, PNG or JPEG)")
    if row[1] != "requested":
        raise Conflict(f"the audit request is already {row[1]}")
    ids = [r[0] for r in conn.execute("SELECT violation_id FROM audit_request_records WHERE request_id = %s "
                                      "ORDER BY violation_id", (request_id,)).fetchall()]
    for vid in ids:
        status = record(conn, vid)["status"]
        if status != "explained":
            raise Conflict(f"record {vid} is {status}: only explained records can be audited", violation_id=vid)
    data = read_audit(fields, ids)
    audit = conn.execute(
        """INSERT INTO audits (request_id, org_id, auditor_id, audit_type, audit_date, result, summary,
               report_file_id, filed_at, synthetic) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()), %s)
           RETURNING id""",
        (request_id, row[0], auditor.id if auditor else None, data["audit_type"], data["audit_date"], data["result"],
         data["summary"], report_file_id, at, synthetic)).fetchone()
    assert audit is not None
    for vid, text in data["findings"].items():
        conn.execute("INSERT INTO audit_findings VALUES (%s, %s, %s)", (audit[0], vid, text))
    conn.execute("UPDATE audit_requests SET status = 'filed' WHERE id = %s", (request_id,))
    return int(audit[0])


def confirm(conn: psycopg.Connection, reviewer: User | None, audit_id: int, decision: str, reason: str | None,
            at: datetime | None = None, synthetic: bool = False) -> dict:
    """A reviewer confirms (a passed audit: its records become rectified) or rejects a filed audit."""
    if not synthetic:
        assert reviewer is not None
        require_reviewer(reviewer)
    decision = parse.choice("decision", decision, ("confirmed", "rejected"))
    reason = (reason or "").strip()[:2000] or None
    if decision == "rejected" and not reason:
        raise Invalid("reason: say why the audit is rejected")
    row = conn.execute("SELECT request_id, result, review_status FROM audits WHERE id = %s FOR UPDATE",
                       (audit_id,)).fetchone()
    if row is None:
        raise NotFound(f"no audit {audit_id}")
    if row[2] != "pending":
        raise Conflict(f"the audit was already {row[2]}")
    ids = [r[0] for r in conn.execute("SELECT violation_id FROM audit_findings WHERE audit_id = %s ORDER BY 1",
                                      (audit_id,)).fetchall()]
    if decision == "confirmed" and row[1] == "passed":
        for vid in ids:
            records.move(conn, vid, "rectified", reviewer, "reviewer" if reviewer else "system",
                         reason or "passed audit confirmed", at, synthetic)
    conn.execute("""UPDATE audits SET review_status = %s, reviewed_by = %s, reviewed_at = coalesce(%s, now()),
                    review_reason = %s WHERE id = %s""",
                 (decision, reviewer.id if reviewer else None, at, reason, audit_id))
    conn.execute("UPDATE audit_requests SET status = %s WHERE id = %s", (decision, row[0]))
    if decision == "confirmed" and not synthetic:  # the demo generator bumps once at the end
        bump_data_version(conn)
    return {"id": audit_id, "review_status": decision, "result": row[1], "records": ids}
