"""Company claims: a signed-in user asks to act for a company (by USCC, or a facility's company) with a business
licence scan; a reviewer approves or rejects with a reason. An approved claim lets the user act for every
facility of that company, and its facilities show "claimed"."""

from __future__ import annotations

from collections.abc import Mapping

import psycopg
from psycopg.rows import dict_row

from accounts.users import User
from core.errors import Conflict, Invalid, NotFound
from standards import uscc as uscc_std
from workflow.common import facility_company, ident, optional_text, require_reviewer, required_text

DECISIONS = ("approved", "rejected")


def find_company(conn: psycopg.Connection, fields: Mapping) -> int:
    """The company named by `uscc` or by `facility_id`; Invalid or NotFound with the reason."""
    raw_uscc, facility = fields.get("uscc"), fields.get("facility_id")
    if raw_uscc:
        try:
            code = uscc_std.validate(str(raw_uscc))
        except uscc_std.InvalidUSCC as exc:
            raise Invalid(f"uscc: {exc}") from None
        row = conn.execute("SELECT id FROM companies WHERE uscc = %s", (code,)).fetchone()
        if row is None:
            raise NotFound(f"uscc: no company with USCC {code} is on the map")
        return int(row[0])
    if facility:
        return facility_company(conn, ident(fields, "facility_id"))
    raise Invalid("uscc: give the company's USCC (or facility_id)")


def submit(conn: psycopg.Connection, user: User, fields: Mapping, licence_file_id: int) -> int:
    """A new pending claim; Conflict when the user already has one for the company."""
    company_id = find_company(conn, fields)
    contact = required_text(fields, "contact_name", 200)
    position = required_text(fields, "position", 200)
    phone = optional_text(fields, "contact_phone", 50)
    email = optional_text(fields, "contact_email", 254)
    if not phone and not email:
        raise Invalid("contact_phone: give a telephone number or an e-mail address to reach you")
    if conn.execute("SELECT 1 FROM company_claims WHERE user_id = %s AND company_id = %s "
                    "AND status IN ('pending', 'approved')", (user.id, company_id)).fetchone():
        raise Conflict("you already have a pending or approved claim for this company")
    row = conn.execute("""INSERT INTO company_claims (user_id, company_id, contact_name, contact_phone, contact_email,
                              position, licence_file_id) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                       (user.id, company_id, contact, phone, email, position, licence_file_id)).fetchone()
    assert row is not None
    return int(row[0])


def decide(conn: psycopg.Connection, reviewer: User, claim_id: int, decision: str, reason: str | None) -> dict:
    """A reviewer approves or rejects a pending claim (a reason is required to reject)."""
    require_reviewer(reviewer)
    if decision not in DECISIONS:
        raise Invalid(f"decision must be one of {', '.join(DECISIONS)}")
    reason = (reason or "").strip()[:2000] or None
    if decision == "rejected" and not reason:
        raise Invalid("reason: say why the claim is rejected")
    row = conn.execute("SELECT status FROM company_claims WHERE id = %s FOR UPDATE", (claim_id,)).fetchone()
    if row is None:
        raise NotFound(f"no claim {claim_id}")
    if row[0] != "pending":
        raise Conflict(f"the claim was already {row[0]}")
    conn.execute("""UPDATE company_claims SET status = %s, decided_at = now(), decided_by = %s, decision_reason = %s
                    WHERE id = %s""", (decision, reviewer.id, reason, claim_id))
    return {"id": claim_id, "status": decision, "reason": reason}


CLAIMS = """
SELECT c.id, c.user_id, u.email AS user_email, c.company_id, co.uscc, co.name_zh, co.name_en, c.contact_name,
       c.contact_phone, c.contact_email, c.position, c.licence_file_id, c.status, c.submitted_at, c.decided_at,
       c.decision_reason,
       (SELECT count(*) FROM facilities f WHERE f.company_id = c.company_id) AS facilities
FROM company_claims c JOIN companies co ON co.id = c.company_id JOIN users u ON u.id = c.user_id"""


def of_user(conn: psycopg.Connection, user_id: int) -> list[dict]:
    """A user's claims, newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(CLAIMS + " WHERE c.user_id = %s ORDER BY c.submitted_at DESC", (user_id,)).fetchall()


def pending(conn: psycopg.Connection) -> list[dict]:
    """Claims waiting for a reviewer, oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(CLAIMS + " WHERE c.status = 'pending' ORDER BY c.submitted_at").fetchall()


def is_claimed(conn: psycopg.Connection, company_id: int | None) -> bool:
    """Whether any claim of the company was approved (its facilities show "claimed")."""
    return company_id is not None and conn.execute(
        "SELECT 1 FROM company_claims WHERE company_id = %s AND status = 'approved'", (company_id,)
    ).fetchone() is not None
