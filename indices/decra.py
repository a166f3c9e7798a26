"""DECRA portfolios: institutions and their lenders, upload and matching, review, risk assessment, summaries.

A portfolio belongs to one institution: only that institution's members (users of role lender) ever read or
change it; anyone else gets NotFound, so a portfolio's existence is not revealed. Matching is the supplier
lists' (supply.matching.match_all), against facilities everyone sees: USCC first, then name and distance;
uncertain rows wait for review. Risk levels follow the newest rule file (indices/decra_risk.py).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from accounts.users import User
from alerts import subscriptions
from core.errors import Forbidden, Invalid, NotFound
from indices import decra_intake, decra_risk
from supply import matching

ZONE = ZoneInfo("Asia/Shanghai")
NO_BRAND = -1  # no brand's private facilities are candidates
OUTCOMES = {"linked": "matched", "review": "review", "new_facility": "unmatched", "rejected": "unmatched"}


def create_institution(conn: psycopg.Connection, name: str) -> int:
    """A new financial institution; Invalid when the name is empty or taken."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise Invalid("name: 1 to 200 characters")
    row = conn.execute("INSERT INTO lender_institutions (name) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id",
                       (name,)).fetchone()
    if row is None:
        raise Invalid(f"an institution named {name!r} exists")
    return int(row[0])


def add_member(conn: psycopg.Connection, email: str, institution_id: int) -> None:
    """Make a lender user a member of an institution (moving them from another one)."""
    user = conn.execute("SELECT id, role FROM users WHERE lower(email) = lower(%s)", (email,)).fetchone()
    if user is None:
        raise NotFound(f"no user {email!r}")
    if user[1] != "lender":
        raise Invalid(f"{email} is not a lender user (role {user[1]})")
    if conn.execute("SELECT 1 FROM lender_institutions WHERE id = %s", (institution_id,)).fetchone() is None:
        raise NotFound(f"no institution {institution_id}")
    conn.execute("""INSERT INTO lender_members (user_id, institution_id) VALUES (%s, %s)
                    ON CONFLICT (user_id) DO UPDATE SET institution_id = EXCLUDED.institution_id""",
                 (user[0], institution_id))


def institution_of(conn: psycopg.Connection, user_id: int) -> dict:
    """The institution of a lender user; Forbidden for anyone who belongs to none."""
    row = conn.execute("""SELECT i.id, i.name FROM lender_members m JOIN lender_institutions i
                          ON i.id = m.institution_id WHERE m.user_id = %s""", (user_id,)).fetchone()
    if row is None:
        raise Forbidden("DECRA is for lenders of a registered financial institution")
    return {"id": row[0], "name": row[1]}


def upload(conn: psycopg.Connection, institution_id: int, user_id: int, data: bytes, file_name: str,
           name: str | None = None) -> int:
    """Read, match, store and assess a portfolio file; PortfolioError (nothing stored) for a bad file."""
    rows, _how = decra_intake.read(data)
    matching.match_all(conn, [r for r, _ in rows], NO_BRAND)
    rules = decra_risk.rules()
    pid = conn.execute(
        """INSERT INTO decra_portfolios (institution_id, name, file_name, rules, uploaded_by)
           VALUES (%s, %s, %s, %s, %s) RETURNING id""",
        (institution_id, (name or file_name or "portfolio")[:200], file_name[:200], rules["version"], user_id),
    ).fetchone()[0]
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO decra_rows (portfolio_id, line, borrower, uscc, address, lon, lat, exposure_cny, outcome,
                   reason, facility_id, confidence, candidates)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            [(pid, r.line, r.name, r.uscc, r.address, r.lon, r.lat, exposure, OUTCOMES[r.outcome], r.reason,
              r.facility_id if r.outcome == "linked" else None, r.confidence, Jsonb(r.candidates))
             for r, exposure in rows])
    assess(conn, pid)
    return int(pid)


def _own(conn: psycopg.Connection, portfolio_id: int, institution_id: int) -> dict:
    row = conn.execute("""SELECT id, name, file_name, rules, uploaded_at, assessed_at FROM decra_portfolios
                          WHERE id = %s AND institution_id = %s""", (portfolio_id, institution_id)).fetchone()
    if row is None:
        raise NotFound(f"no portfolio {portfolio_id}")
    return dict(zip(("id", "name", "file_name", "rules", "uploaded_at", "assessed_at"), row, strict=True))


def assess(conn: psycopg.Connection, portfolio_id: int, as_of: date | None = None) -> None:
    """Give every row its risk level, points and reasons as of `as_of` (today in Beijing by default)."""
    as_of = as_of or datetime.now(ZONE).date()
    rules = decra_risk.rules()
    facts = decra_risk.facts(conn, portfolio_id, as_of, rules)
    ids = [r[0] for r in conn.execute("SELECT id FROM decra_rows WHERE portfolio_id = %s", (portfolio_id,))]
    updates = []
    for rid in ids:
        level, points, reasons = decra_risk.assess(facts.get(rid), rules)
        updates.append((level, points, Jsonb(reasons), rid))
    with conn.cursor() as cur:
        cur.executemany("UPDATE decra_rows SET risk_level = %s, risk_points = %s, risk_reasons = %s WHERE id = %s",
                        updates)
    conn.execute("UPDATE decra_portfolios SET assessed_at = now(), rules = %s WHERE id = %s",
                 (rules["version"], portfolio_id))


def portfolios(conn: psycopg.Connection, institution_id: int) -> list[dict]:
    """The institution's portfolios, newest first, with row and exposure totals."""
    cur = conn.execute(
        """SELECT p.id, p.name, p.file_name, p.rules, p.uploaded_at, p.assessed_at, count(r.id) AS rows,
                  coalesce(sum(r.exposure_cny), 0)::float8 AS exposure,
                  count(r.id) FILTER (WHERE r.outcome = 'review') AS review
           FROM decra_portfolios p LEFT JOIN decra_rows r ON r.portfolio_id = p.id
           WHERE p.institution_id = %s GROUP BY p.id ORDER BY p.uploaded_at DESC, p.id DESC""", (institution_id,))
    cols = [d.name for d in cur.description or ()]
    return [dict(zip(cols, r, strict=True)) for r in cur]


_ROWS = """
    SELECT r.id, r.line, r.borrower, r.uscc, r.address, r.exposure_cny::float8 AS exposure, r.outcome, r.reason,
           r.facility_id, r.confidence, r.candidates, r.risk_level, r.risk_points, r.risk_reasons, r.watched,
           f.name_zh AS facility_zh, f.name_en AS facility_en, f.industry, f.synthetic,
           left(f.area_code, 2) || '0000' AS province_code, a.name_zh AS province_zh, a.name_en AS province_en
    FROM decra_rows r LEFT JOIN facilities f ON f.id = r.facility_id
    LEFT JOIN admin_areas a ON a.code = left(f.area_code, 2) || '0000'
    WHERE r.portfolio_id = %s ORDER BY r.line"""


def portfolio(conn: psycopg.Connection, portfolio_id: int, institution_id: int) -> dict:
    """One portfolio of the institution with its rows and summary; NotFound for another institution's."""
    p = _own(conn, portfolio_id, institution_id)
    cur = conn.execute(_ROWS, (portfolio_id,))
    cols = [d.name for d in cur.description or ()]
    p["rows"] = [dict(zip(cols, r, strict=True)) for r in cur]
    p["summary"] = summary(p["rows"])
    return p


def summary(rows: list[dict]) -> dict:
    """Exposure and count by risk level, industry and province."""
    out: dict[str, dict] = {"level": {}, "industry": {}, "province": {}}
    for r in rows:
        for key, value in (("level", r["risk_level"] or "unknown"), ("industry", r["industry"] or "unknown"),
                           ("province", r["province_code"] or "unknown")):
            agg = out[key].setdefault(value, {"count": 0, "exposure": 0.0})
            agg["count"] += 1
            agg["exposure"] += r["exposure"]
    out["total"] = {"count": len(rows), "exposure": sum(r["exposure"] for r in rows)}
    return out


def review(conn: psycopg.Connection, portfolio_id: int, institution_id: int, row_id: int, action: str,
           facility_id: int | None = None) -> None:
    """Decide a row: `accept` one of its candidates, or `unmatch` it; the portfolio is reassessed."""
    _own(conn, portfolio_id, institution_id)
    row = conn.execute("SELECT candidates FROM decra_rows WHERE id = %s AND portfolio_id = %s",
                       (row_id, portfolio_id)).fetchone()
    if row is None:
        raise NotFound(f"no row {row_id} in portfolio {portfolio_id}")
    if action == "accept":
        allowed = {c["facility_id"] for c in row[0]}
        if facility_id not in allowed:
            raise Invalid(f"facility_id: choose one of the row's candidates {sorted(allowed)}")
        conn.execute("""UPDATE decra_rows SET outcome = 'matched', facility_id = %s, reason = 'accepted in review'
                        WHERE id = %s""", (facility_id, row_id))
    elif action == "unmatch":
        conn.execute("""UPDATE decra_rows SET outcome = 'unmatched', facility_id = NULL,
                        reason = 'left unmatched in review' WHERE id = %s""", (row_id,))
    else:
        raise Invalid("action: accept or unmatch")
    assess(conn, portfolio_id)


def watch(conn: psycopg.Connection, portfolio_id: int, institution_id: int, row_id: int, on: bool,
          user: User | None = None) -> None:
    """Put a matched row on the institution's watch list (or take it off). Watching subscribes `user` to the
    row's facility in the alerts (inbox; e-mail and webhooks are set on /alerts); unwatching removes it."""
    _own(conn, portfolio_id, institution_id)
    row = conn.execute("""UPDATE decra_rows SET watched = %s WHERE id = %s AND portfolio_id = %s
                          AND facility_id IS NOT NULL RETURNING facility_id, watch_subscription_id""",
                       (on, row_id, portfolio_id)).fetchone()
    if row is None:
        raise NotFound(f"no matched row {row_id} in portfolio {portfolio_id}")
    facility_id, sub_id = row
    if on and sub_id is None and user is not None:
        made = subscriptions.create(conn, user, {"target": "facility", "facility_id": facility_id,
                                                 "label": f"DECRA portfolio {portfolio_id}", "inbox": True})
        conn.execute("UPDATE decra_rows SET watch_subscription_id = %s WHERE id = %s", (made["id"], row_id))
    elif not on and sub_id is not None:
        conn.execute("DELETE FROM alert_subscriptions WHERE id = %s", (sub_id,))
