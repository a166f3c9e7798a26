"""What the public sees of reports: published ones only, at their rounded position, without contact details."""

from __future__ import annotations

import json
from datetime import date

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from core.errors import NotFound
from reports.kinds import PHOTO_PATH

LOCAL = "'Asia/Shanghai'"
ISO_LOCAL = "'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"'"
PUBLISHED = "r.status = 'published'"

# Published reports with their public properties; {where} adds the caller's conditions (alias r).
_SELECT = f"""
SELECT r.public_geom AS geom, r.id, r.kind, r.description,
       to_char(r.observed_at AT TIME ZONE {LOCAL}, {ISO_LOCAL}) AS observed_at,
       to_char(r.published_at AT TIME ZONE {LOCAL}, {ISO_LOCAL}) AS published_at,
       CASE WHEN fac.private_to_brand IS NULL THEN r.facility_id END AS facility_id,
       ph.photos, coalesce(ph.photo_count, 0) AS photo_count, r.licence,
       fw.forwarded_on::text AS forwarded_on, fw.bureau_zh, fw.bureau_en, fw.answer AS bureau_answer,
       fw.answered_on::text AS answered_on, mg.merged_reports, false AS synthetic
FROM reports r
LEFT JOIN facilities fac ON fac.id = r.facility_id
LEFT JOIN LATERAL (
    SELECT json_agg('{PHOTO_PATH}' || p.filename ORDER BY p.position)::text AS photos, count(*) AS photo_count
    FROM report_photos p WHERE p.report_id = r.id) ph ON true
LEFT JOIN LATERAL (
    SELECT f.forwarded_on, f.bureau_zh, f.bureau_en, f.answer, f.answered_on FROM report_forwards f
    WHERE f.report_id = r.id ORDER BY f.forwarded_on DESC, f.id DESC LIMIT 1) fw ON true
LEFT JOIN LATERAL (SELECT count(*) AS merged_reports FROM reports m WHERE m.merged_into = r.id) mg ON true
WHERE {PUBLISHED} AND {{where}}"""

PROPERTIES = {
    "id": "Report id",
    "kind": "What was seen: smoke, odour, wastewater, dumping, dust, noise or other",
    "description": "The reporter's words (moderated)",
    "observed_at": "When it was seen (Asia/Shanghai)",
    "published_at": "When a moderator published it (Asia/Shanghai)",
    "facility_id": "The facility a moderator linked it to (links to /facilities/<id>), if any",
    "photos": "JSON array of the photos' URL paths on this service (stored without EXIF)",
    "photo_count": "Number of photos",
    "licence": "Licence the reporter chose for the report and its photos (CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0)",
    "forwarded_on": "Date it was forwarded to the responsible bureau, if it was",
    "bureau_zh": "The bureau it was forwarded to, in Chinese",
    "bureau_en": "The bureau it was forwarded to, in English",
    "bureau_answer": "The bureau's answer, as recorded",
    "answered_on": "Date of the bureau's answer",
    "merged_reports": "Other reports of the same thing merged into this one",
    "synthetic": "Always false: reports come from the public",
}


def conditions(present: frozenset[str]) -> list[sql.Composable]:
    """SQL conditions (alias r) for the filters present: kind (list), since and until (local dates)."""
    out: list[sql.Composable] = []
    if "kind" in present:
        out.append(sql.SQL("r.kind = ANY(%(kind)s)"))
    if "since" in present:
        out.append(sql.SQL(f"(r.observed_at AT TIME ZONE {LOCAL})::date >= %(since)s"))
    if "until" in present:
        out.append(sql.SQL(f"(r.observed_at AT TIME ZONE {LOCAL})::date <= %(until)s"))
    return out


def published_sql(where: list[sql.Composable]) -> sql.Composable:
    """The published reports' public rows (geom = rounded point) under the extra conditions."""
    return sql.SQL(_SELECT).format(where=sql.SQL(" AND ").join(where) if where else sql.SQL("true"))


def geojson(conn: psycopg.Connection, kinds: list[str] | None, since: date | None, until: date | None,
            bbox: tuple[float, float, float, float] | None, limit: int, facility_id: int | None = None) -> dict:
    """A GeoJSON FeatureCollection of published reports (newest first), photos as URL paths."""
    params: dict[str, object] = {"kind": kinds, "since": since, "until": until, "limit": limit,
                                 "facility_id": facility_id}
    present = frozenset(k for k in ("kind", "since", "until") if params[k] is not None)
    where = conditions(present)
    if facility_id is not None:
        where.append(sql.SQL("r.facility_id = %(facility_id)s AND fac.private_to_brand IS NULL"))
    if bbox:
        where.append(sql.SQL("r.public_geom && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)"))
        params |= dict(zip("wsen", bbox, strict=True))
    query = sql.SQL("SELECT ST_AsGeoJSON(q.geom)::json AS geometry, q.* FROM ({}) q "
                    "ORDER BY q.observed_at DESC, q.id DESC LIMIT %(limit)s").format(published_sql(where))
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    features = []
    for row in rows:
        geometry = row.pop("geometry")
        row.pop("geom")
        row["photos"] = json.loads(row["photos"]) if row["photos"] else []
        features.append({"type": "Feature", "id": row["id"], "geometry": geometry, "properties": row})
    return {"type": "FeatureCollection", "features": features, "numberReturned": len(features)}


def photo(conn: psycopg.Connection, filename: str, user_id: int | None, moderator: bool) -> str:
    """The media type of a stored photo the caller may see: a published report's, their own, or any for
    moderators; NotFound otherwise (the same answer as for a photo that does not exist)."""
    row = conn.execute("""
        SELECT p.media_type FROM report_photos p JOIN reports r ON r.id = p.report_id
        WHERE p.filename = %s AND (r.status = 'published' OR %s OR (r.user_id IS NOT NULL AND r.user_id = %s))
        LIMIT 1""", (filename, moderator, user_id)).fetchone()
    if row is None:
        raise NotFound("no such photo")
    return str(row[0])


def mine(conn: psycopg.Connection, user_id: int) -> list[dict]:
    """A signed-in user's own reports, newest first, with their status and the moderators' reason."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(f"""
            SELECT r.id, r.kind, r.description, r.status, r.reject_reason, r.merged_into, r.observed_at,
                   r.created_at, r.licence, ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat,
                   coalesce((SELECT json_agg('{PHOTO_PATH}' || p.filename ORDER BY p.position)
                             FROM report_photos p WHERE p.report_id = r.id), '[]'::json) AS photos
            FROM reports r WHERE r.user_id = %s ORDER BY r.created_at DESC, r.id DESC LIMIT 200""",
                           (user_id,)).fetchall()
    return rows


def one(conn: psycopg.Connection, report_id: int) -> dict:
    """One published report's public properties with its rounded lon/lat; NotFound for any other report."""
    query = sql.SQL("SELECT ST_X(q.geom) AS lon, ST_Y(q.geom) AS lat, q.* FROM ({}) q").format(
        published_sql([sql.SQL("r.id = %(id)s")]))
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(query, {"id": report_id}).fetchone()
    if row is None:
        raise NotFound(f"no published report {report_id}")
    row.pop("geom")
    row["photos"] = json.loads(row["photos"]) if row["photos"] else []
    return row
