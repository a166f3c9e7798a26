"""Users, invitations, brand API tokens and login rate limiting, in the database (no Flask here).

Roles: `admin` (every brand, creates brands and invites users) and `brand` (one brand, which they manage).
Passwords are hashed with werkzeug.security (scrypt); invitation and API tokens are random secrets of which
only the SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import psycopg
from psycopg.rows import dict_row
from werkzeug.security import check_password_hash, generate_password_hash

from core.datasets import Dataset
from core.errors import Invalid, TooManyRequests

# admin: administrators, who also review claims, explanations and audits; brand: a brand's staff; member: a
# signed-in member of the public (claims a company, subscribes, reports); auditor: staff of an accredited
# auditing organisation; moderator: reviews citizen reports; assessor: scores city disclosure (PITI);
# lender: a financial institution's analyst screening a portfolio (DECRA).
ROLES = ("admin", "brand", "member", "auditor", "moderator", "assessor", "lender")
MIN_PASSWORD = 10
INVITE_TTL = timedelta(days=7)
# Login rate limit: this many failures for one e-mail address from one IP within the window answer 429;
# so do FAILURES_PER_IP failures from one IP whatever the addresses (guessing across accounts).
MAX_FAILURES = 5
FAILURES_PER_IP = 50
WINDOW = timedelta(minutes=15)
TOKEN_PREFIX = "bmu_"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
BRANDS_DATASET = Dataset("upload:brand-accounts", "Brands registered by administrators",
                         "provided by the brand", None, "Brand names and logos as provided by the brands.",
                         None)
# Compared against when the e-mail is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(Invalid):
    """A request about accounts that cannot be done; the message says why."""


@dataclass(frozen=True)
class User:
    """A signed-in user: who, which role, which brand (brand users)."""

    id: int
    email: str
    name: str
    role: str
    brand_id: int | None
    brand_slug: str | None = None
    via_token: bool = False

    @property
    def is_admin(self) -> bool:
        """Whether the user administers the whole service."""
        return self.role == "admin"

    def can_manage(self, brand_id: int) -> bool:
        """Admins manage every brand; a brand user only their own."""
        return self.is_admin or self.brand_id == brand_id


def hash_secret(secret: str) -> str:
    """Hex SHA-256 of a token, as stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased; AccountError when it is not an address."""
    email = (email or "").strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise AccountError("enter a valid e-mail address")
    return email


def check_password_rules(password: str) -> None:
    """AccountError unless the password is long enough."""
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise AccountError("a password of at most 1024 characters")


_USER = """SELECT u.id, u.email, u.name, u.role, u.brand_id, b.slug FROM users u
           LEFT JOIN brands b ON b.id = u.brand_id"""


def _user(row) -> User | None:
    return User(row[0], row[1], row[2], row[3], row[4], row[5]) if row else None


def get_user(conn: psycopg.Connection, user_id: int) -> User | None:
    """An enabled user by id."""
    return _user(conn.execute(_USER + " WHERE u.id = %s AND NOT u.disabled", (user_id,)).fetchone())


def password_fingerprint(conn: psycopg.Connection, user_id: int) -> str | None:
    """A short digest of the password hash and session generation: sessions carry it, so a new password or a
    sign-out ends every copy of an old session cookie."""
    row = conn.execute("SELECT password_hash, session_generation FROM users WHERE id = %s AND NOT disabled",
                       (user_id,)).fetchone()
    return hashlib.sha256(f"{row[0]}:{row[1]}".encode()).hexdigest()[:16] if row else None


def end_sessions(conn: psycopg.Connection, user_id: int) -> None:
    """End every session of a user (all copies of their cookies): the next request finds them signed out."""
    conn.execute("UPDATE users SET session_generation = session_generation + 1 WHERE id = %s", (user_id,))


def create_user(conn: psycopg.Connection, email: str, password: str, role: str, brand_id: int | None = None,
                name: str = "") -> User:
    """A new user; AccountError for a taken address, a weak password or a bad role/brand."""
    email = normalise_email(email)
    check_password_rules(password)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if (role == "brand") != (brand_id is not None):
        raise AccountError("a brand user belongs to exactly one brand; an admin to none")
    if conn.execute("SELECT 1 FROM users WHERE lower(email) = %s", (email,)).fetchone():
        raise AccountError(f"there is already a user with e-mail {email}")
    row = conn.execute("""INSERT INTO users (email, name, password_hash, role, brand_id)
                          VALUES (%s, %s, %s, %s, %s) RETURNING id""",
                       (email, name.strip()[:200], generate_password_hash(password), role, brand_id)
                       ).fetchone()
    assert row is not None
    user = get_user(conn, row[0])
    assert user is not None
    return user


def set_password(conn: psycopg.Connection, user_id: int, password: str) -> None:
    """Set a new password after checking the password rules."""
    check_password_rules(password)
    conn.execute("UPDATE users SET password_hash = %s WHERE id = %s",
                 (generate_password_hash(password), user_id))


def set_disabled(conn: psycopg.Connection, user_id: int, disabled: bool) -> None:
    """Disable or re-enable a user's sign-in."""
    conn.execute("UPDATE users SET disabled = %s WHERE id = %s", (disabled, user_id))


def list_users(conn: psycopg.Connection) -> list[dict]:
    """Every user with the brand they belong to."""
    return _dicts(conn, """SELECT u.id, u.email, u.name, u.role, b.slug AS brand, u.disabled, u.created_at,
                                  u.last_login_at
                           FROM users u LEFT JOIN brands b ON b.id = u.brand_id ORDER BY u.role, u.email""")


# --- login and its rate limit ---------------------------------------------------------------------------

class RateLimited(TooManyRequests, AccountError):
    """Too many failed logins; retry_after is in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed logins: try again later", retry_after=retry_after)
        self.retry_after = retry_after


def _limit(conn: psycopg.Connection, email: str, ip: str) -> None:
    """RateLimited when the (e-mail, IP) pair or the IP has failed too often within the window."""
    row = conn.execute(
        """SELECT count(*) FILTER (WHERE email = %(e)s), min(attempted_at) FILTER (WHERE email = %(e)s),
                  count(*), min(attempted_at)
           FROM (SELECT email, attempted_at FROM login_attempts
                 WHERE ip = %(ip)s AND NOT success AND attempted_at > now() - %(w)s
                 ORDER BY attempted_at DESC LIMIT %(cap)s) a""",
        {"e": email, "ip": ip, "w": WINDOW, "cap": FAILURES_PER_IP}).fetchone()
    assert row is not None  # an aggregate always answers one row
    pair, pair_first, per_ip, ip_first = row
    first = pair_first if pair >= MAX_FAILURES else ip_first if per_ip >= FAILURES_PER_IP else None
    if first is not None:
        left = conn.execute("SELECT ceil(extract(epoch FROM %s::timestamptz + %s - now()))::int",
                            (first, WINDOW)).fetchone()
        raise RateLimited(max(1, left[0] if left else 1))


def authenticate(conn: psycopg.Connection, email: str, password: str, ip: str) -> User | None:
    """The user when e-mail and password match; None when not; RateLimited after too many failures.

    Attempts of one address and IP are serialised (an advisory lock), so workers cannot race past the limit.
    """
    email = (email or "").strip().lower()[:254]
    ip = (ip or "unknown")[:64]
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 5))", (f"{email}|{ip}",))
    _limit(conn, email, ip)
    row = conn.execute("SELECT id, password_hash, disabled FROM users WHERE lower(email) = %s",
                       (email,)).fetchone()
    matches = check_password_hash(row[1] if row else _DUMMY_HASH, password or "")
    ok = matches and row is not None and not row[2]
    conn.execute("INSERT INTO login_attempts (email, ip, success) VALUES (%s, %s, %s)", (email, ip, ok))
    conn.execute("DELETE FROM login_attempts WHERE attempted_at < now() - interval '1 day'")
    if not ok or row is None:
        return None
    conn.execute("DELETE FROM login_attempts WHERE email = %s AND ip = %s AND NOT success", (email, ip))
    conn.execute("UPDATE users SET last_login_at = now() WHERE id = %s", (row[0],))
    return get_user(conn, row[0])


# --- invitations --------------------------------------------------------------------------------------------

def invite(conn: psycopg.Connection, email: str, role: str, brand_id: int | None, created_by: int | None
           ) -> tuple[int, str]:
    """A new invitation; returns its id and the secret token for the link (shown once, not stored)."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if (role == "brand") != (brand_id is not None):
        raise AccountError("invite a brand user to one brand, an admin to none")
    if conn.execute("SELECT 1 FROM users WHERE lower(email) = %s", (email,)).fetchone():
        raise AccountError(f"there is already a user with e-mail {email}")
    token = secrets.token_urlsafe(32)
    row = conn.execute("""INSERT INTO invitations (token_hash, email, role, brand_id, created_by, expires_at)
                          VALUES (%s, %s, %s, %s, %s, now() + %s) RETURNING id""",
                       (hash_secret(token), email, role, brand_id, created_by, INVITE_TTL)).fetchone()
    assert row is not None
    return int(row[0]), token


def open_invitation(conn: psycopg.Connection, token: str) -> dict | None:
    """The invitation of a token while it can still be accepted."""
    rows = _dicts(conn, """SELECT i.id, i.email, i.role, i.brand_id, b.slug AS brand_slug, b.name_en AS brand_name_en,
                                b.name_zh AS brand_name_zh, i.expires_at
                         FROM invitations i LEFT JOIN brands b ON b.id = i.brand_id
                         WHERE i.token_hash = %s AND i.accepted_at IS NULL AND i.revoked_at IS NULL
                           AND i.expires_at > now()""", (hash_secret(token or ""),))
    return rows[0] if rows else None


def accept_invitation(conn: psycopg.Connection, token: str, name: str, password: str) -> User:
    """Create the invited user; AccountError when the link is unknown, used, revoked or expired."""
    # Two submissions of one link: the second waits for the first, then finds the invitation used.
    conn.execute("SELECT id FROM invitations WHERE token_hash = %s FOR UPDATE", (hash_secret(token or ""),))
    inv = open_invitation(conn, token)
    if inv is None:
        raise AccountError("this invitation link is not valid: it may have expired or been used")
    user = create_user(conn, inv["email"], password, inv["role"], inv["brand_id"], name)
    conn.execute("UPDATE invitations SET accepted_at = now(), user_id = %s WHERE id = %s",
                 (user.id, inv["id"]))
    return user


def revoke_invitation(conn: psycopg.Connection, invitation_id: int) -> bool:
    """Revoke an open invitation; False when it was accepted, revoked or unknown."""
    cur = conn.execute("""UPDATE invitations SET revoked_at = now()
                          WHERE id = %s AND accepted_at IS NULL AND revoked_at IS NULL""", (invitation_id,))
    return cur.rowcount == 1


def list_invitations(conn: psycopg.Connection) -> list[dict]:
    """The latest 200 invitations, with whether each has expired."""
    return _dicts(conn, """SELECT i.id, i.email, i.role, b.slug AS brand, i.created_at, i.expires_at, i.accepted_at,
                                  i.revoked_at, i.expires_at < now() AS expired
                           FROM invitations i LEFT JOIN brands b ON b.id = i.brand_id
                           ORDER BY i.created_at DESC LIMIT 200""")


# --- API tokens of brand users ------------------------------------------------------------------------------

def create_token(conn: psycopg.Connection, user_id: int, label: str) -> tuple[int, str]:
    """A new API token of a user; returns its id and the secret (shown once)."""
    label = (label or "").strip()
    if not 1 <= len(label) <= 100:
        raise AccountError("a label of 1 to 100 characters is required")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = conn.execute("INSERT INTO user_api_tokens (token_hash, user_id, label) VALUES (%s, %s, %s) "
                       "RETURNING id",
                       (hash_secret(token), user_id, label)).fetchone()
    assert row is not None
    return int(row[0]), token


def revoke_token(conn: psycopg.Connection, user_id: int, token_id: int) -> bool:
    """Revoke one of a user's API tokens; False when it was not theirs or already revoked."""
    cur = conn.execute("""UPDATE user_api_tokens SET revoked_at = now()
                          WHERE id = %s AND user_id = %s AND revoked_at IS NULL""", (token_id, user_id))
    return cur.rowcount == 1


def list_tokens(conn: psycopg.Connection, user_id: int) -> list[dict]:
    """A user's API tokens (never their secrets)."""
    return _dicts(conn, """SELECT id, label, created_at, last_used_at, revoked_at FROM user_api_tokens
                           WHERE user_id = %s ORDER BY id""", (user_id,))


def user_for_token(conn: psycopg.Connection, token: str) -> User | None:
    """The enabled user of an unrevoked API token."""
    row = conn.execute("""UPDATE user_api_tokens t SET last_used_at = now()
                          FROM users u WHERE t.token_hash = %s AND t.revoked_at IS NULL
                            AND u.id = t.user_id AND NOT u.disabled
                          RETURNING u.id""", (hash_secret(token),)).fetchone()
    if row is None:
        return None
    user = get_user(conn, row[0])
    return User(user.id, user.email, user.name, user.role, user.brand_id, user.brand_slug, via_token=True) \
        if user else None


# --- brands -----------------------------------------------------------------------------------------------

def create_brand(conn: psycopg.Connection, slug: str, name_en: str, name_zh: str | None) -> int:
    """A new brand (its data set: brand registrations); AccountError for a bad or taken slug."""
    from db.staging import register_dataset

    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise AccountError("a slug of lower-case letters, digits and hyphens (at most 64)")
    name_en = (name_en or "").strip()
    if not name_en or len(name_en) > 200:
        raise AccountError("an English name of 1 to 200 characters is required")
    if conn.execute("SELECT 1 FROM brands WHERE slug = %s", (slug,)).fetchone():
        raise AccountError(f"there is already a brand {slug!r}")
    register_dataset(conn, BRANDS_DATASET)
    row = conn.execute("""INSERT INTO brands (slug, name_en, name_zh, logo_key, dataset_id)
                          VALUES (%s, %s, %s, %s, %s) RETURNING id""",
                       (slug, name_en, (name_zh or "").strip()[:200] or None, f"brand-{slug}",
                        BRANDS_DATASET.id)).fetchone()
    assert row is not None
    return int(row[0])


def list_brands(conn: psycopg.Connection) -> list[dict]:
    """Brands with their public and private supplier counts and number of users."""
    return _dicts(conn, """
        SELECT b.id, b.slug, b.name_zh, b.name_en, b.logo_png IS NOT NULL AS has_logo,
               count(DISTINCT l.facility_id) FILTER (WHERE l.active AND l.is_public) AS public,
               count(DISTINCT l.facility_id) FILTER (WHERE l.active AND NOT l.is_public) AS private,
               (SELECT count(*) FROM users u WHERE u.brand_id = b.id) AS users
        FROM brands b LEFT JOIN brand_facility_links l ON l.brand_id = b.id
        GROUP BY b.id ORDER BY b.slug""")


def _dicts(conn: psycopg.Connection, query: str, params: tuple = ()) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()  # type: ignore[arg-type]
