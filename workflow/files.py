"""Files of the workflow (business licences, evidence, audit reports): checked, stored by hash, shown to few.

Content checks, image re-encoding (metadata stripped) and storage are ingest.uploads'; this module records
who uploaded what for which purpose, and decides who may download it: the uploader and reviewers always; a
licence nobody else; evidence the company's users and the auditors of its audit requests, and everyone once
its explanation is accepted; an audit report the company and the auditing organisation, and everyone once the
audit is confirmed.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from accounts.users import User
from core.errors import Invalid, NotFound
from ingest import uploads

PURPOSES = ("licence", "evidence", "audit_report")
MAX_FILES = 10  # per explanation


def save(conn: psycopg.Connection, root: Path, user: User | None, data: bytes, original_name: str | None,
         purpose: str, field: str = "file") -> int:
    """Check and store one uploaded file; its id. Invalid or TooLarge with the field named."""
    if purpose not in PURPOSES:
        raise Invalid(f"purpose must be one of {', '.join(PURPOSES)}")
    upload = uploads.accept(data, field=field)
    uploads.store(root, upload)
    name = (original_name or "").replace("\x00", "")[-200:] or None
    row = conn.execute("""INSERT INTO workflow_files (stored_name, kind, bytes, original_name, purpose, uploaded_by)
                          VALUES (%s, %s, %s, %s, %s, %s) RETURNING id""",
                       (upload.filename, upload.kind, len(upload.content), name, purpose,
                        user.id if user else None)).fetchone()
    assert row is not None
    return int(row[0])


_PUBLIC = """
SELECT EXISTS (SELECT 1 FROM explanation_files ef JOIN explanations e ON e.id = ef.explanation_id
               JOIN violations v ON v.id = e.violation_id
               WHERE ef.file_id = %(f)s AND e.status IN ('accepted', 'superseded') AND v.status <> 'removed')
    OR EXISTS (SELECT 1 FROM audits a WHERE a.report_file_id = %(f)s AND a.review_status = 'confirmed'
               AND EXISTS (SELECT 1 FROM audit_findings af JOIN violations v ON v.id = af.violation_id
                           WHERE af.audit_id = a.id AND v.status <> 'removed'))"""

_INVOLVED = """
SELECT EXISTS (SELECT 1 FROM explanation_files ef JOIN explanations e ON e.id = ef.explanation_id
               JOIN company_claims c ON c.company_id = e.company_id AND c.status = 'approved' AND c.user_id = %(u)s
               WHERE ef.file_id = %(f)s)
    OR EXISTS (SELECT 1 FROM explanation_files ef JOIN explanations e ON e.id = ef.explanation_id
               JOIN audit_request_records r ON r.violation_id = e.violation_id
               JOIN audit_requests q ON q.id = r.request_id
               JOIN auditors au ON au.org_id = q.org_id AND au.user_id = %(u)s
               WHERE ef.file_id = %(f)s)
    OR EXISTS (SELECT 1 FROM audits a JOIN audit_requests q ON q.id = a.request_id
               LEFT JOIN company_claims c ON c.company_id = q.company_id AND c.status = 'approved'
                    AND c.user_id = %(u)s
               LEFT JOIN auditors au ON au.org_id = a.org_id AND au.user_id = %(u)s
               WHERE a.report_file_id = %(f)s AND (c.id IS NOT NULL OR au.user_id IS NOT NULL))"""


def may_see(conn: psycopg.Connection, user: User | None, file_id: int) -> bool:
    """Whether `user` (None: anyone) may download the file."""
    row = conn.execute("SELECT uploaded_by, purpose FROM workflow_files WHERE id = %s", (file_id,)).fetchone()
    if row is None:
        return False
    if user is not None and (user.is_admin or row[0] == user.id):
        return True
    if row[1] == "licence":
        return False
    if conn.execute(_PUBLIC, {"f": file_id}).fetchone()[0]:  # type: ignore[index]
        return True
    return user is not None and bool(conn.execute(_INVOLVED, {"f": file_id, "u": user.id}).fetchone()[0])  # type: ignore[index]


def fetch(conn: psycopg.Connection, root: Path, user: User | None, file_id: int) -> tuple[bytes, str, str]:
    """(bytes, media type, download name) of a file the user may see; NotFound otherwise (no hint it exists)."""
    row = conn.execute("SELECT stored_name, kind FROM workflow_files WHERE id = %s", (file_id,)).fetchone()
    if row is None or not may_see(conn, user, file_id):
        raise NotFound("no such file")
    return uploads.load(root, row[0]), uploads.MEDIA_TYPES[row[1]], row[0]


def listed(conn: psycopg.Connection, ids: list[int]) -> list[dict]:
    """Id, kind, size and original name of files."""
    cur = conn.execute("SELECT id, kind, bytes, original_name FROM workflow_files WHERE id = ANY(%s) ORDER BY id",
                       (ids,))
    return [dict(zip(("id", "kind", "bytes", "name"), r, strict=True)) for r in cur.fetchall()]
