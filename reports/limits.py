"""Submission rate limits per client address and per account, counted in the database (shared by workers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import psycopg

from core.errors import TooManyRequests


@dataclass(frozen=True)
class Limits:
    """How many report submissions an address and an account may make in a window."""

    per_ip: int = 20
    per_user: int = 10
    window: timedelta = timedelta(hours=1)


def attempt(conn: psycopg.Connection, ip: str, user_id: int | None, limits: Limits) -> None:
    """Record one submission attempt, or raise TooManyRequests (with retry_after) when over a limit.

    The caller commits, so the attempt counts even when the submission is then refused. A transaction-scoped
    advisory lock per address keeps two workers from both slipping under the limit at once.
    """
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('report-attempt:' || %s))", (ip,))
    checks: list[tuple[str, object, int, str]] = [("ip", ip, limits.per_ip, "this address")]
    if user_id is not None:
        checks.append(("user_id", user_id, limits.per_user, "your account"))
    for column, value, cap, who in checks:
        row = conn.execute(
            f"SELECT count(*), min(attempted_at) FROM report_attempts WHERE {column} = %s "  # noqa: S608 - fixed names
            "AND attempted_at > now() - %s", (value, limits.window)).fetchone()
        assert row is not None
        if row[0] >= cap:
            wait = conn.execute("SELECT ceil(extract(epoch FROM %s + %s - now()))::int",
                                (row[1], limits.window)).fetchone()
            retry = max(1, int(wait[0])) if wait and wait[0] is not None else 60
            raise TooManyRequests(f"too many reports from {who}: at most {cap} per "
                                  f"{int(limits.window.total_seconds() // 60)} minutes; try again later",
                                  retry_after=retry)
    conn.execute("INSERT INTO report_attempts (ip, user_id) VALUES (%s, %s)", (ip, user_id))
