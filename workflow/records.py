"""A violation record's lifecycle: the legal transitions, each written as one history row in the same transaction.

open -> explained (a reviewer accepts an explanation), explained -> rectified (a reviewer confirms a passed
audit), rectified -> removed (a reviewer removes it from public display, with a reason). Nothing is deleted:
a removed record, its explanations, audits and history stay, visible to its enterprise, auditors and reviewers.
The facility summary (worst status, count) is recomputed by the triggers of migration 0002, which ignore
removed records; public changes bump the data version so that tile caches turn over.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from accounts.users import User
from core.errors import Conflict, Invalid
from db.staging import bump_data_version
from workflow.common import record, require_reviewer

LEGAL = {"open": ("explained",), "explained": ("rectified",), "rectified": ("removed",), "removed": ()}
WHY = {
    "explained": "only an open record can become explained (by an accepted explanation)",
    "rectified": "only an explained record can become rectified (by a confirmed, passed audit)",
    "removed": "only a rectified record (explained and audited) can be removed from public display",
}


def check(status: str, to: str) -> None:
    """Conflict with the reason when `status` cannot move to `to`."""
    if to not in LEGAL.get(status, ()):
        raise Conflict(f"record is {status}: {WHY.get(to, 'no such step')}", status=status, to=to)


def move(conn: psycopg.Connection, violation_id: int, to: str, actor: User | None, role: str, reason: str | None,
         at: datetime | None = None, synthetic: bool = False) -> dict:
    """Move one record to `to` (locking it); its history row names actor, role and reason. Conflict if illegal."""
    rec = record(conn, violation_id, lock=True)
    check(rec["status"], to)
    # The history trigger (migrations 0001, 0014) writes the transition's one row from these settings.
    conn.execute("""SELECT set_config('bluemap.actor_id', %s, true), set_config('bluemap.actor_role', %s, true),
                           set_config('bluemap.reason', %s, true), set_config('bluemap.changed_at', %s, true),
                           set_config('bluemap.synthetic', %s, true)""",
                 (str(actor.id) if actor else "", role, reason or "", at.isoformat() if at else "",
                  "true" if synthetic else ""))
    conn.execute("UPDATE violations SET status = %s::violation_status WHERE id = %s", (to, violation_id))
    conn.execute("""SELECT set_config('bluemap.actor_id', '', true), set_config('bluemap.actor_role', '', true),
                           set_config('bluemap.reason', '', true), set_config('bluemap.changed_at', '', true),
                           set_config('bluemap.synthetic', '', true)""")
    return rec | {"status": to, "from_status": rec["status"]}


def remove(conn: psycopg.Connection, reviewer: User, violation_id: int, reason: str) -> dict:
    """A reviewer removes a rectified record from public display, stating why."""
    require_reviewer(reviewer)
    if not reason or not reason.strip():
        raise Invalid("reason: say why the record is removed from public display")
    moved = move(conn, violation_id, "removed", reviewer, "reviewer", reason.strip()[:2000])
    bump_data_version(conn)
    return moved


def move_many(conn: psycopg.Connection, moves: list[tuple[int, datetime]], to: str, role: str, reason: str,
              synthetic: bool = False) -> int:
    """Move many records to `to` in one statement, each dated; one history row each. Conflict if any is illegal.

    Used by bulk producers (the demo's synthetic lifecycles); same rules as `move`."""
    if not moves:
        return 0
    ids = [m[0] for m in moves]
    wrong = conn.execute("""SELECT id, status::text FROM violations WHERE id = ANY(%s) AND NOT status::text = ANY(%s)
                            ORDER BY id LIMIT 1 FOR UPDATE""",
                         (ids, [s for s, nxt in LEGAL.items() if to in nxt])).fetchone()
    if wrong is not None:
        check(wrong[1], to)
    conn.execute("SELECT set_config('bluemap.history', 'written', true)")
    conn.execute("""INSERT INTO violation_status_history (violation_id, from_status, to_status, changed_at, note,
                        actor_role, reason, synthetic)
                    SELECT v.id, v.status, %s::violation_status, m.at, %s, %s, %s, %s
                    FROM unnest(%s::bigint[], %s::timestamptz[]) AS m(id, at) JOIN violations v ON v.id = m.id
                    ORDER BY m.at, v.id""", (to, reason, role, reason, synthetic, ids, [m[1] for m in moves]))
    cur = conn.execute("UPDATE violations SET status = %s::violation_status WHERE id = ANY(%s)", (to, ids))
    conn.execute("SELECT set_config('bluemap.history', '', true)")
    return cur.rowcount
