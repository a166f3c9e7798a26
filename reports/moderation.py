"""Moderators' work on reports: the queue, publish, reject with a reason, merge duplicates, link a facility."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from core.errors import Conflict, Invalid, NotFound
from db.staging import bump_data_version
from reports.kinds import PHOTO_PATH

QUEUE_STATUSES = ("new", "published", "rejected", "merged")
MAX_REASON = 1000

_REPORT = f"""
SELECT r.id, r.kind, r.description, r.status, r.reject_reason, r.merged_into, r.facility_id,
       f.name_zh AS facility_name_zh, f.name_en AS facility_name_en, r.observed_at, r.created_at,
       r.published_at, r.location_source, r.licence, r.rights_confirmed, r.contact_email, r.user_id,
       u.email AS user_email, ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat,
       ST_X(r.public_geom) AS public_lon, ST_Y(r.public_geom) AS public_lat,
       coalesce((SELECT json_agg(json_build_object(
                    'id', p.id, 'url', '{PHOTO_PATH}' || p.filename, 'exif_lon', p.exif_lon,
                    'exif_lat', p.exif_lat, 'exif_taken_at', p.exif_taken_at, 'duplicate_of', p.duplicate_of,
                    'duplicate_report', (SELECT d.report_id FROM report_photos d WHERE d.id = p.duplicate_of))
                    ORDER BY p.position)
                 FROM report_photos p WHERE p.report_id = r.id), '[]'::json) AS photos,
       coalesce((SELECT json_agg(json_build_object(
                    'id', w.id, 'bureau_zh', w.bureau_zh, 'bureau_en', w.bureau_en, 'hotline', w.hotline,
                    'message', w.message, 'forwarded_on', w.forwarded_on, 'answer', w.answer,
                    'answered_on', w.answered_on) ORDER BY w.id)
                 FROM report_forwards w WHERE w.report_id = r.id), '[]'::json) AS forwards
FROM reports r
LEFT JOIN facilities f ON f.id = r.facility_id
LEFT JOIN users u ON u.id = r.user_id"""


def queue(conn: psycopg.Connection, status: str = "new", limit: int = 100) -> list[dict]:
    """Reports in one status, oldest new first (newest first otherwise), exact positions and contacts."""
    if status not in QUEUE_STATUSES:
        raise Invalid(f"status must be one of {', '.join(QUEUE_STATUSES)}")
    order = "r.created_at, r.id" if status == "new" else "r.created_at DESC, r.id DESC"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"{_REPORT} WHERE r.status = %s ORDER BY {order} LIMIT %s",  # noqa: S608
                           (status, limit)).fetchall()


def get(conn: psycopg.Connection, report_id: int) -> dict:
    """One report in full (for moderators), or NotFound."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"{_REPORT} WHERE r.id = %s", (report_id,)).fetchone()  # noqa: S608
    if row is None:
        raise NotFound(f"no report {report_id}")
    return row


def _status(conn: psycopg.Connection, report_id: int) -> str:
    row = conn.execute("SELECT status FROM reports WHERE id = %s FOR UPDATE", (report_id,)).fetchone()
    if row is None:
        raise NotFound(f"no report {report_id}")
    return str(row[0])


def _done(conn: psycopg.Connection, report_id: int, moderator_id: int, sets: str, params: tuple,
          was_public: bool) -> None:
    conn.execute(f"UPDATE reports SET {sets}, moderated_at = now(), moderated_by = %s WHERE id = %s",  # noqa: S608
                 (*params, moderator_id, report_id))
    if was_public or conn.execute("SELECT status = 'published' FROM reports WHERE id = %s",
                                  (report_id,)).fetchone()[0]:  # type: ignore[index]
        bump_data_version(conn)  # the public map and exports change: tile caches turn over


def publish(conn: psycopg.Connection, report_id: int, moderator_id: int) -> None:
    """Make a new (or rejected) report public."""
    status = _status(conn, report_id)
    if status not in ("new", "rejected"):
        raise Conflict(f"report {report_id} is {status}; only new or rejected reports can be published")
    _done(conn, report_id, moderator_id, "status = 'published', reject_reason = NULL, published_at = now()", (),
          False)


def reject(conn: psycopg.Connection, report_id: int, moderator_id: int, reason: str) -> None:
    """Refuse a report (or withdraw a published one), with the reason its reporter sees."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise Invalid(f"reason: say why the report is rejected (1 to {MAX_REASON} characters)")
    status = _status(conn, report_id)
    if status not in ("new", "published"):
        raise Conflict(f"report {report_id} is {status}; only new or published reports can be rejected")
    _done(conn, report_id, moderator_id, "status = 'rejected', reject_reason = %s", (reason,),
          status == "published")


def merge(conn: psycopg.Connection, report_id: int, into_id: int, moderator_id: int) -> None:
    """Mark a report as a duplicate of another one (which is not merged itself); it leaves the public map."""
    if into_id == report_id:
        raise Invalid("a report cannot be merged into itself")
    target = _status(conn, into_id)
    if target == "merged":
        raise Conflict(f"report {into_id} is itself merged: merge into the report it was merged into")
    status = _status(conn, report_id)
    if status == "merged":
        raise Conflict(f"report {report_id} is already merged")
    conn.execute("UPDATE reports SET merged_into = %s WHERE merged_into = %s", (into_id, report_id))
    _done(conn, report_id, moderator_id, "status = 'merged', reject_reason = NULL, merged_into = %s", (into_id,),
          status == "published" or target == "published")


def link(conn: psycopg.Connection, report_id: int, facility_id: int | None, moderator_id: int) -> None:
    """Link a report to a facility (None unlinks it)."""
    _status(conn, report_id)
    if facility_id is not None and conn.execute(
            "SELECT 1 FROM facilities WHERE id = %s AND private_to_brand IS NULL", (facility_id,)).fetchone() is None:
        raise NotFound(f"no facility {facility_id}")
    _done(conn, report_id, moderator_id, "facility_id = %s", (facility_id,), False)
