"""Self sign-up of members of the public (role member): the password rules of invitations, and a rate limit.

Sign-ups are counted in login_attempts (as `signup:<address>`), so the limits hold across workers: a failed
sign-up counts as a failed login of that address and IP (5 in 15 minutes answer 429, 50 per IP), and one IP
may create at most SIGNUPS_PER_IP accounts in the window.
"""

from __future__ import annotations

import psycopg

from accounts.users import WINDOW, AccountError, RateLimited, User, _limit, create_user, normalise_email

SIGNUPS_PER_IP = 5


def sign_up(conn: psycopg.Connection, email: str, password: str, name: str, ip: str) -> User:
    """A new member; AccountError for a bad or taken address or a weak password; RateLimited when too many.

    The caller commits even when this raises AccountError, so that the failure is counted."""
    ip = (ip or "unknown")[:64]
    key = "signup:" + (email or "").strip().lower()[:240]
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 5))", (f"signup|{ip}",))
    _limit(conn, key, ip)
    row = conn.execute("""SELECT count(*), min(attempted_at) FROM login_attempts
                          WHERE ip = %s AND success AND email LIKE 'signup:%%' AND attempted_at > now() - %s""",
                       (ip, WINDOW)).fetchone()
    assert row is not None
    if row[0] >= SIGNUPS_PER_IP:
        left = conn.execute("SELECT ceil(extract(epoch FROM %s::timestamptz + %s - now()))::int",
                            (row[1], WINDOW)).fetchone()
        raise RateLimited(max(1, left[0] if left else 1))
    try:
        normalise_email(email)
        with conn.transaction():
            user = create_user(conn, email, password, "member", None, name)
    except AccountError:
        conn.execute("INSERT INTO login_attempts (email, ip, success) VALUES (%s, %s, false)", (key, ip))
        raise
    conn.execute("INSERT INTO login_attempts (email, ip, success) VALUES (%s, %s, true)", (key, ip))
    return user
