"""Reviewing supplier lists: a brand's decisions on uncertain rows, and its versions and rows read back."""

from __future__ import annotations

import psycopg

from supply.rows import ListError, Row
from supply.storage import accept, new_facility, refresh_summary

ACTIONS = ("accept", "choose", "new", "drop")


def decide(conn: psycopg.Connection, brand_id: int, row_id: int, action: str, user_id: int | None,
           facility_id: int | None = None) -> dict:
    """A review decision on one row; accepts the list when it was the last one. The caller commits.

    accept: link the proposed facility; choose: link `facility_id` (a candidate or any facility);
    new: none of them, create a new facility from the row; drop: leave the row out of the list."""
    if action not in ACTIONS:
        raise ListError(f"action must be one of {', '.join(ACTIONS)}")
    row = conn.execute("""SELECT r.id, r.list_id, r.outcome, r.match_facility_id, r.name, r.address,
                                 r.uscc, r.lon, r.lat, r.crs, l.status, r.is_public
                          FROM supplier_list_rows r JOIN supplier_lists l ON l.id = r.list_id
                          WHERE r.id = %s AND l.brand_id = %s FOR UPDATE OF r""",
                       (row_id, brand_id)).fetchone()
    if row is None:
        raise ListError(f"no row {row_id} in this brand's lists")
    _, list_id, outcome, proposed, name, address, code, lon, lat, crs, status, public = row
    if outcome != "review" or status != "pending":
        raise ListError("this row does not wait for review (decided already, or its list version was "
                        "replaced)")
    place = Row(0, "", {}, name=name, address=address, uscc=code, lon=lon, lat=lat, crs=crs, public=public)
    new = _decision(conn, brand_id, action, proposed, facility_id, place)
    conn.execute("""UPDATE supplier_list_rows SET outcome = %s, facility_id = %s, decision = %s, reason = %s,
                           decided_by = %s, decided_at = now() WHERE id = %s""", (*new, user_id, row_id))
    summary = refresh_summary(conn, list_id)
    accepted = summary.get("review", 0) == 0
    if accepted:
        accept(conn, list_id)
    return {"row_id": row_id, "outcome": new[0], "facility_id": new[1], "list_id": list_id,
            "list_accepted": accepted, "summary": summary}


def _decision(conn: psycopg.Connection, brand_id: int, action: str, proposed: int | None,
              facility_id: int | None, row: Row) -> tuple[str, int | None, str, str]:
    """(outcome, facility id, decision, reason) of a review action on a row."""
    if action == "accept":
        return ("linked", proposed, "accepted", "accepted by reviewer")
    if action == "choose":
        if facility_id is None or not 0 < facility_id < 2**63 or not conn.execute(
                "SELECT 1 FROM facilities WHERE id = %s AND coalesce(private_to_brand, %s) = %s",
                (facility_id, brand_id, brand_id)).fetchone():  # (another brand's own facilities are not)
            raise ListError(f"no facility with id {facility_id}")
        return ("linked", facility_id, "chosen", f"facility {facility_id} chosen by reviewer")
    if action == "new":
        if row.lon is None:
            raise ListError("the row has no coordinates, so no facility can be made from it: choose one or "
                            "drop it")
        return ("new_facility", new_facility(conn, row, brand_id), "new_facility",
                "no match: new facility made by reviewer")
    return ("rejected", None, "rejected", "left out by reviewer")


def versions(conn: psycopg.Connection, brand_id: int, list_id: int | None = None) -> list[dict]:
    """The brand's list versions, newest first (only `list_id` when given)."""
    if list_id is not None and not 0 < list_id < 2**63:
        return []
    rows = conn.execute("""SELECT l.id, l.name, l.version, l.file_name, l.status, l.uploaded_at,
                                  l.accepted_at, l.replaced_at, l.summary, u.email, l.dataset_id
                           FROM supplier_lists l LEFT JOIN users u ON u.id = l.uploaded_by
                           WHERE l.brand_id = %s AND (%s::bigint IS NULL OR l.id = %s)
                           ORDER BY l.version DESC, l.id DESC""", (brand_id, list_id, list_id))
    keys = ("id", "name", "version", "file_name", "status", "uploaded_at", "accepted_at", "replaced_at",
            "summary", "uploaded_by", "dataset_id")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def list_rows(conn: psycopg.Connection, brand_id: int, list_id: int,
              outcome: str | None = None) -> list[dict]:
    """The rows of one of the brand's list versions with what happened to each (empty for another brand's), in
    line order; a refused version's rows that refused it come first."""
    where = "AND r.outcome = %(o)s" if outcome else ""
    rows = conn.execute(f"""
        SELECT r.id, r.line, r.ref, r.name, r.address, r.uscc, r.lon, r.lat, r.crs, r.tier::text,
               r.parent_ref, r.is_public, r.outcome, r.reason, r.match_facility_id, r.confidence,
               r.candidates, r.facility_id, r.decision, u.email, r.decided_at, f.name_zh, f.name_en
        FROM supplier_list_rows r JOIN supplier_lists l ON l.id = r.list_id
        LEFT JOIN users u ON u.id = r.decided_by
        LEFT JOIN facilities f ON f.id = r.facility_id
        WHERE r.list_id = %(l)s AND l.brand_id = %(b)s {where}
        ORDER BY NOT coalesce(l.summary->'refused_by' @> to_jsonb(r.line), false), r.line""",
                        {"l": list_id, "b": brand_id, "o": outcome})
    keys = ("id", "line", "ref", "name", "address", "uscc", "lon", "lat", "crs", "tier", "parent", "public",
            "outcome", "reason", "match_facility_id", "confidence", "candidates", "facility_id", "decision",
            "decided_by", "decided_at", "facility_name_zh", "facility_name_en")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def review_queue(conn: psycopg.Connection, brand_id: int) -> list[dict]:
    """Rows waiting for review in the brand's pending list version."""
    row = conn.execute("""SELECT id FROM supplier_lists WHERE brand_id = %s AND status = 'pending'
                          ORDER BY version DESC LIMIT 1""", (brand_id,)).fetchone()
    return list_rows(conn, brand_id, row[0], "review") if row else []
