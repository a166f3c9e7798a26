"""API tokens of push clients: random secrets shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import psycopg

from core.errors import Unauthorized

PREFIX = "bm_"


@dataclass(frozen=True)
class Token:
    """A valid token's id, label and optional station scope."""

    id: int
    label: str
    station_id: int | None


class TokenError(Unauthorized):
    """A token that is missing, unknown or revoked; the message says which."""


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def create(conn: psycopg.Connection, label: str, station_code: str | None = None) -> tuple[int, str]:
    """Store a new token (optionally for one station); returns its id and the secret, which is not kept."""
    label = label.strip()
    if not 1 <= len(label) <= 100:
        raise ValueError("a label of 1 to 100 characters is required")
    station_id = None
    if station_code:
        row = conn.execute("SELECT id FROM stations WHERE code = %s AND kind = 'air'",
                           (station_code,)).fetchone()
        if row is None:
            raise ValueError(f"no air station with code {station_code!r}")
        station_id = row[0]
    token = PREFIX + secrets.token_urlsafe(32)
    row = conn.execute("INSERT INTO api_tokens (token_hash, label, station_id) VALUES (%s, %s, %s) "
                       "RETURNING id", (hash_token(token), label, station_id)).fetchone()
    assert row is not None
    return int(row[0]), token


def revoke(conn: psycopg.Connection, token_id: int) -> bool:
    """Revoke a token; False when there is no such active token."""
    cur = conn.execute("UPDATE api_tokens SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL",
                       (token_id,))
    return cur.rowcount == 1


def listing(conn: psycopg.Connection) -> list[tuple]:
    """(id, label, station code, created, last used, revoked) of every token."""
    return conn.execute("""SELECT t.id, t.label, s.code, t.created_at, t.last_used_at, t.revoked_at
                           FROM api_tokens t LEFT JOIN stations s ON s.id = t.station_id
                           ORDER BY t.id""").fetchall()


def check(conn: psycopg.Connection, authorization: str | None) -> Token:
    """The token of an `Authorization: Bearer ...` header value, or TokenError saying why not."""
    scheme, _, secret = (authorization or "").strip().partition(" ")
    if not authorization:
        raise TokenError("an API token is required: Authorization: Bearer <token>")
    if scheme.lower() != "bearer" or not secret.strip():
        raise TokenError("use the Bearer scheme: Authorization: Bearer <token>")
    row = conn.execute("SELECT id, label, station_id, revoked_at FROM api_tokens WHERE token_hash = %s",
                       (hash_token(secret.strip()),)).fetchone()
    if row is None:
        raise TokenError("unknown API token")
    if row[3] is not None:
        raise TokenError("this API token has been revoked")
    return Token(row[0], row[1], row[2])
