"""Duplicate facilities of one company: the claimant proposes a merge, a reviewer merges (or rejects) it.

A merge, in one transaction: every row referring to the duplicate moves to the survivor (workflow.merge_moves),
the survivor fills its empty fields from the duplicate, the duplicate's row is snapshotted into the proposal
and deleted (so that tiles, search, near, exports and the OGC API stop showing it with no filter to forget),
and its id redirects to the survivor (chains resolved: A into B then B into C sends A to C), as does its source
key (data set, ext_id), which file loads skip and violation files resolve to the survivor. The outbox events
that the moves' own triggers write (a moved PRTR disclosure reads as a corrected form, a dropped twin link as a
supplier removed) are withdrawn: a merge is neither. The data version is bumped so tile caches turn over.
"""

from __future__ import annotations

from collections.abc import Mapping

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from accounts.users import User
from core.errors import Conflict, Invalid, NotFound
from db.staging import bump_data_version
from workflow.common import ident, require_company, require_reviewer, required_text
from workflow.merge_moves import Mover

DECISIONS = ("merged", "rejected")
STATUSES = ("proposed", "merged", "rejected")


def redirect_target(conn: psycopg.Connection, facility_id: int) -> int | None:
    """The surviving facility a merged-away id now redirects to (None when it was never merged away)."""
    row = conn.execute("SELECT survivor_id FROM facility_redirects WHERE old_id = %s", (facility_id,)).fetchone()
    return int(row[0]) if row else None


def _company(conn: psycopg.Connection, facility_id: int, name: str) -> int | None:
    """The facility's company; Conflict when it was merged away, NotFound when there is none."""
    row = conn.execute("SELECT company_id FROM facilities WHERE id = %s", (facility_id,)).fetchone()
    if row is None:
        target = redirect_target(conn, facility_id)
        if target is not None:
            raise Conflict(f"{name}: facility {facility_id} was already merged into facility {target}",
                           merged_into=target)
        raise NotFound(f"{name}: no facility {facility_id}")
    return row[0]


def propose(conn: psycopg.Connection, user: User, fields: Mapping) -> dict:
    """Propose that `duplicate_id` is the same facility as `survivor_id` (both of a company the user acts for)."""
    survivor, duplicate = ident(fields, "survivor_id"), ident(fields, "duplicate_id")
    reason = required_text(fields, "reason", 2000)
    if survivor == duplicate:
        raise Conflict("duplicate_id: a facility cannot be merged into itself")
    company = _company(conn, survivor, "survivor_id")
    if company is None:
        raise Invalid(f"survivor_id: facility {survivor} has no company on file, so nobody can act for it")
    require_company(conn, user, company)
    if _company(conn, duplicate, "duplicate_id") != company:
        raise Conflict("duplicate_id: both facilities must belong to the same company (the one you act for)")
    open_ = conn.execute("""SELECT id FROM facility_merges WHERE status = 'proposed'
                            AND (duplicate_id = ANY(%(p)s) OR survivor_id = %(d)s) LIMIT 1""",
                         {"p": [survivor, duplicate], "d": duplicate}).fetchone()
    if open_ is not None:
        raise Conflict(f"proposal {open_[0]} about these facilities is already waiting for a reviewer",
                       proposal=open_[0])
    row = conn.execute("""INSERT INTO facility_merges (company_id, survivor_id, duplicate_id, proposed_by, reason)
                          VALUES (%s, %s, %s, %s, %s) RETURNING id""",
                       (company, survivor, duplicate, user.id, reason)).fetchone()
    assert row is not None
    return {"id": int(row[0]), "status": "proposed", "survivor_id": survivor, "duplicate_id": duplicate}


def _proposal(conn: psycopg.Connection, merge_id: int) -> dict:
    """A proposal, locked; NotFound / Conflict when it is not waiting."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("SELECT id, status, survivor_id, duplicate_id, company_id FROM facility_merges "
                          "WHERE id = %s FOR UPDATE", (merge_id,)).fetchone()
    if row is None:
        raise NotFound(f"no merge proposal {merge_id}")
    if row["status"] != "proposed":
        raise Conflict(f"the proposal was already {row['status']}", status=row["status"])
    return row


def decide(conn: psycopg.Connection, reviewer: User, merge_id: int, decision: str, reason: object) -> dict:
    """A reviewer merges or rejects (a reason is required to reject) a waiting proposal."""
    require_reviewer(reviewer)
    if decision not in DECISIONS:
        raise Invalid(f"decision must be one of {', '.join(DECISIONS)}")
    reason = str(reason or "").strip()[:2000] or None
    if decision == "rejected" and not reason:
        raise Invalid("reason: say why the merge is rejected")
    p = _proposal(conn, merge_id)
    if decision == "rejected":
        conn.execute("""UPDATE facility_merges SET status = 'rejected', decided_by = %s, decided_at = now(),
                        decision_reason = %s WHERE id = %s""", (reviewer.id, reason, merge_id))
        return {"id": merge_id, "status": "rejected", "reason": reason}
    return merge(conn, reviewer, p, reason)


def merge(conn: psycopg.Connection, reviewer: User, p: dict, reason: str | None) -> dict:
    """Merge the proposal's duplicate into its survivor (see the module's docstring); what moved."""
    sur, dup = p["survivor_id"], p["duplicate_id"]
    locked = conn.execute("SELECT id, company_id FROM facilities WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                          ([sur, dup],)).fetchall()
    if len(locked) != 2:
        gone = ({sur, dup} - {r[0] for r in locked}).pop()
        raise Conflict(f"facility {gone} no longer exists (merged away meanwhile): reject this proposal")
    if {r[1] for r in locked} != {p["company_id"]}:
        raise Conflict("the two facilities no longer belong to the proposal's company")
    mark = conn.execute("SELECT coalesce(max(id), 0) FROM alert_events").fetchone()[0]  # type: ignore[index]
    snapshot = conn.execute("""SELECT to_jsonb(f) - 'geom' || jsonb_build_object('lon', ST_X(geom), 'lat',
                                      ST_Y(geom)) FROM facilities f WHERE id = %s""", (dup,)).fetchone()[0]  # type: ignore[index]
    mover = Mover(conn, dup, sur)
    mover.run()
    _absorb(conn, sur, dup)
    conn.execute("UPDATE facility_redirects SET survivor_id = %s WHERE survivor_id = %s", (sur, dup))
    conn.execute("""UPDATE facility_merges SET status = 'merged', decided_by = %s, decided_at = now(),
                    decision_reason = %s, snapshot = %s, moved = %s WHERE id = %s""",
                 (reviewer.id, reason, Jsonb({"facility": snapshot, "dropped": mover.dropped}), Jsonb(mover.moved),
                  p["id"]))
    conn.execute("INSERT INTO facility_redirects (old_id, survivor_id, merge_id) VALUES (%s, %s, %s)",
                 (dup, sur, p["id"]))
    _alias(conn, p["id"], sur, dup)
    _settle_others(conn, reviewer, p["id"], sur, dup)
    conn.execute("DELETE FROM facilities WHERE id = %s", (dup,))
    # The moves' own outbox rows (this transaction's only): a merge is no new form nor a supplier removed.
    conn.execute("""DELETE FROM alert_events WHERE id > %s AND kind IN ('prtr_form', 'list_accepted')
                    AND xmin::text = (pg_current_xact_id()::text::bigint %% 4294967296)::text""", (mark,))
    bump_data_version(conn)
    return {"id": p["id"], "status": "merged", "survivor_id": sur, "duplicate_id": dup, "moved": mover.moved,
            "dropped": {k: len(v) for k, v in mover.dropped.items()}}


def _absorb(conn: psycopg.Connection, sur: int, dup: int) -> None:
    """The survivor fills its empty fields from the duplicate; it stays private to a brand only if both were."""
    conn.execute("""UPDATE facilities s SET name_zh = coalesce(s.name_zh, d.name_zh),
                        name_en = coalesce(s.name_en, d.name_en), address = coalesce(s.address, d.address),
                        area_code = coalesce(s.area_code, d.area_code),
                        key_monitored = s.key_monitored OR d.key_monitored,
                        private_to_brand = CASE WHEN s.private_to_brand = d.private_to_brand
                                                THEN s.private_to_brand END,
                        updated_at = now()
                    FROM facilities d WHERE s.id = %s AND d.id = %s""", (sur, dup))


def _alias(conn: psycopg.Connection, merge_id: int, sur: int, dup: int) -> None:
    """The duplicate's source key (and those of earlier duplicates) now name the survivor: reloads skip it."""
    conn.execute("UPDATE facility_aliases SET survivor_id = %s WHERE survivor_id = %s", (sur, dup))
    conn.execute("""INSERT INTO facility_aliases (dataset_id, ext_id, survivor_id, merge_id)
                    SELECT dataset_id, ext_id, %s, %s FROM facilities WHERE id = %s
                    ON CONFLICT (dataset_id, ext_id) DO UPDATE
                    SET survivor_id = excluded.survivor_id, merge_id = excluded.merge_id""", (sur, merge_id, dup))


def _settle_others(conn: psycopg.Connection, reviewer: User, merge_id: int, sur: int, dup: int) -> None:
    """Other waiting proposals naming the duplicate: the reverse one is closed, the others now name the survivor."""
    conn.execute("""UPDATE facility_merges SET status = 'rejected', decided_by = %s, decided_at = now(),
                    decision_reason = %s WHERE status = 'proposed' AND id <> %s
                    AND ((survivor_id = %s AND duplicate_id = %s) OR (survivor_id = %s AND duplicate_id = %s))""",
                 (reviewer.id, f"settled by merge {merge_id}", merge_id, dup, sur, sur, dup))
    conn.execute("UPDATE facility_merges SET survivor_id = %s WHERE status = 'proposed' AND survivor_id = %s",
                 (sur, dup))


LIST = """
SELECT m.id, m.company_id, co.uscc, co.name_zh AS company_zh, co.name_en AS company_en, m.survivor_id,
       m.duplicate_id, m.reason, m.status, m.created_at, m.decided_at, m.decision_reason, m.moved,
       u.email AS proposer_email, s.name_zh AS survivor_zh, s.name_en AS survivor_en,
       coalesce(d.name_zh, m.snapshot->'facility'->>'name_zh') AS duplicate_zh,
       coalesce(d.name_en, m.snapshot->'facility'->>'name_en') AS duplicate_en,
       coalesce(d.address, m.snapshot->'facility'->>'address') AS duplicate_address, s.address AS survivor_address,
       (SELECT count(*) FROM violations v WHERE v.facility_id = m.duplicate_id) AS duplicate_records,
       (SELECT count(*) FROM violations v WHERE v.facility_id = m.survivor_id) AS survivor_records
FROM facility_merges m JOIN companies co ON co.id = m.company_id LEFT JOIN users u ON u.id = m.proposed_by
LEFT JOIN facilities s ON s.id = m.survivor_id LEFT JOIN facilities d ON d.id = m.duplicate_id"""


def listing(conn: psycopg.Connection, status: str | None = "proposed", companies: list[int] | None = None) -> list:
    """Proposals (of one status, or all; of some companies, or all), waiting ones oldest first, others newest."""
    where, params = ["true"], {"s": status, "c": companies}
    if status:
        where.append("m.status = %(s)s")
    if companies is not None:
        where.append("m.company_id = ANY(%(c)s)")
    order = "m.created_at, m.id" if status == "proposed" else "coalesce(m.decided_at, m.created_at) DESC, m.id DESC"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"{LIST} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT 300", params).fetchall()


def counts(conn: psycopg.Connection) -> dict[str, int]:
    """How many proposals of each status."""
    rows = conn.execute("SELECT status, count(*) FROM facility_merges GROUP BY status").fetchall()
    found: dict[str, int] = {r[0]: int(r[1]) for r in rows}
    return {s: found.get(s, 0) for s in STATUSES}
