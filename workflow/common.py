"""What every workflow step shares: who may act for which company, the submissions' data set, field parsing."""

from __future__ import annotations

from collections.abc import Mapping

import psycopg

from accounts.users import User
from core import parse
from core.datasets import Dataset
from core.errors import Forbidden, Invalid, NotFound
from db.staging import register_dataset

DATASET = Dataset("workflow:enterprise-submissions", "Explanations, audits and PRTR forms submitted through the "
                  "accountability workflow", "published by the submitting enterprise", None,
                  "Submitted by the enterprise (explanations, PRTR forms) or the accredited auditor (audits); "
                  "published after review.", None)


def ensure_dataset(conn: psycopg.Connection, ds: Dataset = DATASET) -> str:
    """Register the data set of workflow submissions (once per transaction is enough); its id."""
    register_dataset(conn, ds)
    return ds.id


def claimed_companies(conn: psycopg.Connection, user_id: int) -> list[int]:
    """Ids of the companies a user acts for (approved claims)."""
    return [r[0] for r in conn.execute(
        "SELECT company_id FROM company_claims WHERE user_id = %s AND status = 'approved' ORDER BY company_id",
        (user_id,)).fetchall()]


def acts_for(conn: psycopg.Connection, user: User | None, company_id: int | None) -> bool:
    """Whether the user acts for the company (an approved claim)."""
    if user is None or company_id is None:
        return False
    return conn.execute("SELECT 1 FROM company_claims WHERE user_id = %s AND company_id = %s "
                        "AND status = 'approved'", (user.id, company_id)).fetchone() is not None


def require_company(conn: psycopg.Connection, user: User, company_id: int) -> None:
    """Forbidden unless the user acts for the company."""
    if not acts_for(conn, user, company_id):
        raise Forbidden("you do not act for this company: claim it first, and wait for its approval")


def require_reviewer(user: User) -> None:
    """Forbidden unless the user is a reviewer (an administrator)."""
    if not user.is_admin:
        raise Forbidden("only reviewers (administrators) decide on claims, explanations and audits")


def record(conn: psycopg.Connection, violation_id: int, lock: bool = False) -> dict:
    """A violation record with its facility and company; NotFound when there is none."""
    row = conn.execute(f"""SELECT v.id, v.status::text, v.facility_id, f.company_id, v.violation_date, v.synthetic
                           FROM violations v JOIN facilities f ON f.id = v.facility_id WHERE v.id = %s
                           {'FOR UPDATE OF v' if lock else ''}""", (violation_id,)).fetchone()
    if row is None:
        raise NotFound(f"no violation record {violation_id}")
    return dict(zip(("id", "status", "facility_id", "company_id", "date", "synthetic"), row, strict=True))


def facility_company(conn: psycopg.Connection, facility_id: int) -> int:
    """The company of a facility; NotFound for an unknown facility, Invalid when it has no company."""
    row = conn.execute("SELECT company_id FROM facilities WHERE id = %s", (facility_id,)).fetchone()
    if row is None:
        raise NotFound(f"no facility {facility_id}")
    if row[0] is None:
        raise Invalid(f"facility {facility_id} has no company on file, so nobody can act for it")
    return int(row[0])


def optional_text(fields: Mapping, name: str, max_len: int = 4000) -> str | None:
    """A stripped text field, None when empty; Invalid when too long or holding control characters."""
    raw = fields.get(name)
    value = parse.clean(name, raw).strip() if raw is not None else ""
    if len(value) > max_len:
        raise Invalid(f"{name}: at most {max_len} characters")
    return value or None


def required_text(fields: Mapping, name: str, max_len: int = 4000) -> str:
    """A stripped, non-empty text field."""
    value = optional_text(fields, name, max_len)
    if value is None:
        raise Invalid(f"{name}: required")
    return value


def ident(fields: Mapping, name: str) -> int:
    """A positive bigint id field."""
    return parse.integer(name, fields.get(name), 1, 2**63 - 1)
