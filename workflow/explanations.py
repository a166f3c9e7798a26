"""Explanations of violation records: the enterprise submits (Chinese and/or English, with evidence), a reviewer
accepts (published; the record becomes explained) or returns it with comments. Every version is kept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import psycopg
from psycopg.rows import dict_row

from accounts.users import User
from core import parse
from core.errors import Conflict, Invalid, NotFound
from db.staging import bump_data_version
from workflow import records
from workflow.common import ensure_dataset, optional_text, record, require_company, require_reviewer
from workflow.files import MAX_FILES

TEXTS = ("cause", "measures", "planned")
DECISIONS = ("accepted", "returned")


def read_fields(fields: Mapping) -> dict:
    """The explanation's fields, checked: a cause and measures in at least one language, a date, a contact."""
    out: dict = {f"{k}_{lang}": optional_text(fields, f"{k}_{lang}") for k in TEXTS for lang in ("zh", "en")}
    for k in ("cause", "measures"):
        if not out[f"{k}_zh"] and not out[f"{k}_en"]:
            raise Invalid(f"{k}_zh: write the {k} in Chinese or English ({k}_zh or {k}_en)")
    raw = fields.get("completion_date")
    out["completion_date"] = parse.day("completion_date", raw) if raw else None
    if out["completion_date"] and not date(2000, 1, 1) <= out["completion_date"] <= date(2100, 1, 1):
        raise Invalid("completion_date: between 2000-01-01 and 2100-01-01")
    out["contact"] = optional_text(fields, "contact", 300)
    return out


def _insert(conn: psycopg.Connection, rec: dict, data: dict, author: User | None, at: datetime | None,
            synthetic: bool, dataset_id: str | None = None) -> int:
    version = conn.execute("SELECT coalesce(max(version), 0) + 1 FROM explanations WHERE violation_id = %s",
                           (rec["id"],)).fetchone()[0]  # type: ignore[index]
    body = data["cause_zh"] or data["cause_en"]
    rectification = data["measures_zh"] or data["measures_en"]
    row = conn.execute(
        """INSERT INTO explanations (violation_id, submitted_at, body, rectification, dataset_id, synthetic, version,
               status, company_id, author_id, cause_zh, cause_en, measures_zh, measures_en, planned_zh, planned_en,
               completion_date, contact)
           VALUES (%s, coalesce(%s, now()), %s, %s, %s, %s, %s, 'submitted', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           RETURNING id""",
        (rec["id"], at, body, rectification, dataset_id or ensure_dataset(conn), synthetic, version, rec["company_id"],
         author.id if author else None, data["cause_zh"], data["cause_en"], data["measures_zh"], data["measures_en"],
         data["planned_zh"], data["planned_en"], data["completion_date"], data["contact"])).fetchone()
    assert row is not None
    return int(row[0])


def submit(conn: psycopg.Connection, user: User, violation_id: int, fields: Mapping,
           file_ids: Sequence[int] = ()) -> dict:
    """The enterprise submits a new version of its explanation of a record."""
    rec = record(conn, violation_id, lock=True)
    require_company(conn, user, rec["company_id"])
    if rec["status"] == "removed":
        raise Conflict("the record was removed from public display: it takes no more explanations")
    data = read_fields(fields)
    if len(file_ids) > MAX_FILES:
        raise Invalid(f"evidence: at most {MAX_FILES} files")
    if conn.execute("SELECT 1 FROM explanations WHERE violation_id = %s AND status = 'submitted'",
                    (violation_id,)).fetchone():
        raise Conflict("an explanation of this record is already waiting for review")
    eid = _insert(conn, rec, data, user, None, False)
    for fid in file_ids:
        conn.execute("INSERT INTO explanation_files VALUES (%s, %s) ON CONFLICT DO NOTHING", (eid, fid))
    return {"id": eid, "violation_id": violation_id, "status": "submitted"}


def decide(conn: psycopg.Connection, reviewer: User, explanation_id: int, decision: str, comment: str | None,
           at: datetime | None = None, synthetic: bool = False) -> dict:
    """A reviewer accepts (published; open record -> explained) or returns (with comments) a submitted version."""
    require_reviewer(reviewer)
    return _decide(conn, reviewer, explanation_id, decision, comment, at, synthetic)


def _decide(conn: psycopg.Connection, reviewer: User | None, explanation_id: int, decision: str,
            comment: str | None, at: datetime | None, synthetic: bool) -> dict:
    if decision not in DECISIONS:
        raise Invalid(f"decision must be one of {', '.join(DECISIONS)}")
    comment = (comment or "").strip()[:4000] or None
    if decision == "returned" and not comment:
        raise Invalid("comment: say what the enterprise should change")
    row = conn.execute("SELECT violation_id, status FROM explanations WHERE id = %s FOR UPDATE",
                       (explanation_id,)).fetchone()
    if row is None:
        raise NotFound(f"no explanation {explanation_id}")
    if row[1] != "submitted":
        raise Conflict(f"the explanation was already {row[1]}")
    rec = record(conn, row[0], lock=True)
    if decision == "accepted":
        if rec["status"] == "removed":
            raise Conflict("the record was removed from public display")
        conn.execute("UPDATE explanations SET status = 'superseded' WHERE violation_id = %s AND status = 'accepted'",
                     (row[0],))
    conn.execute("""UPDATE explanations SET status = %s, reviewed_by = %s, reviewed_at = coalesce(%s, now()),
                    review_comment = %s WHERE id = %s""",
                 (decision, reviewer.id if reviewer else None, at, comment, explanation_id))
    if decision == "accepted" and rec["status"] == "open":
        records.move(conn, row[0], "explained", reviewer, "reviewer" if reviewer else "system",
                     comment or "explanation accepted", at, synthetic)
    if decision == "accepted":
        bump_data_version(conn)
    return {"id": explanation_id, "status": decision, "violation_id": row[0]}


EXPLANATIONS = """
SELECT e.id, e.violation_id, e.version, e.status, e.submitted_at, e.cause_zh, e.cause_en, e.measures_zh,
       e.measures_en, e.planned_zh, e.planned_en, e.completion_date, e.contact, e.review_comment, e.reviewed_at,
       e.body, e.rectification, e.synthetic, e.company_id, v.violation_date, v.category,
       v.status::text AS record_status,
       f.id AS facility_id, f.name_zh AS facility_zh, f.name_en AS facility_en,
       coalesce((SELECT array_agg(file_id ORDER BY file_id) FROM explanation_files x WHERE x.explanation_id = e.id),
                '{}') AS files
FROM explanations e JOIN violations v ON v.id = e.violation_id JOIN facilities f ON f.id = v.facility_id"""


def waiting(conn: psycopg.Connection) -> list[dict]:
    """Submitted explanations waiting for a reviewer, oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(EXPLANATIONS + " WHERE e.status = 'submitted' ORDER BY e.submitted_at").fetchall()


def of_companies(conn: psycopg.Connection, company_ids: list[int]) -> list[dict]:
    """Every version of the explanations of some companies, newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(EXPLANATIONS + " WHERE f.company_id = ANY(%s) ORDER BY e.submitted_at DESC, e.id DESC",
                           (company_ids,)).fetchall()
