"""A citizen report coming in: its fields checked, its photos accepted (no metadata kept) and stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from accounts.users import normalise_email
from core import parse
from core.errors import Invalid
from geo import datum
from ingest import uploads
from reports.kinds import DEFAULT_LICENCE, KINDS, LICENCES, LOCATION_SOURCES

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = uploads.MAX_BYTES  # 10 MB each
PHOTO_KINDS = ("jpeg", "png")
MAX_TEXT = 4000
HONEYPOT = "website"  # hidden from people by the page's CSS; robots fill it in
DUPLICATE_BITS = 6  # photos whose dHashes differ in at most this many of 64 bits are near-identical
METRES_PER_DEGREE = 111_320.0
FACILITY_RADIUS_M = 1000  # facilities offered to link are those within 1 km


@dataclass(frozen=True)
class Photo:
    """One uploaded photo as sent: its form field name and bytes."""

    field: str
    data: bytes


def check_honeypot(form: Mapping[str, str]) -> None:
    """Refuse a submission whose hidden field was filled in (people never see it)."""
    if (form.get(HONEYPOT) or "").strip():
        raise Invalid(f"report refused: the hidden field {HONEYPOT!r} must stay empty (it catches robots)")


def photo_info(data: bytes) -> dict:
    """What the server reads from one photo before storing it: its type, EXIF position and time."""
    up = uploads.accept(data, PHOTO_KINDS, MAX_PHOTO_BYTES, field="photo")
    return {"kind": up.kind, "lon": up.lon, "lat": up.lat,
            "taken_at": up.taken_at.isoformat() if up.taken_at else None}


def _when(form: Mapping[str, str]) -> datetime:
    when = parse.instant("observed_at", form.get("observed_at"))
    now = datetime.now(UTC)
    if when > now + timedelta(minutes=10):
        raise Invalid("observed_at is in the future")
    if when < now - timedelta(days=366):
        raise Invalid("observed_at is more than a year ago: report what you saw recently")
    return when


def _point(form: Mapping[str, str], photos: Sequence[uploads.Upload]) -> tuple[float, float, str]:
    """(lon, lat, source): the sent point, else the first photo's EXIF position; refused outside China."""
    if _blank(form.get("lon")) and _blank(form.get("lat")):
        gps = next((p for p in photos if p.lon is not None and p.lat is not None), None)
        if gps is None:
            raise Invalid("where: give lon and lat (your position, a click on the map or a place), "
                          "or a photo that carries its GPS position")
        lon, lat, source = float(gps.lon), float(gps.lat), "photo"  # type: ignore[arg-type]
    else:
        lon = parse.number("lon", form.get("lon"), -180, 180)
        lat = parse.number("lat", form.get("lat"), -90, 90)
        source = parse.choice("location_source", form.get("location_source"), LOCATION_SOURCES, default="map")
    if not datum.in_china_bbox(lon, lat):
        raise Invalid(f"the place ({lon:.5f}, {lat:.5f}) is outside China")
    return lon, lat, source


def _blank(value: object) -> bool:
    return value is None or not str(value).strip()


def _fields(form: Mapping[str, str], photos: Sequence[uploads.Upload], user_id: int | None) -> dict:
    """The report's checked columns (location aside)."""
    kind = parse.choice("kind", form.get("kind"), KINDS)
    description = parse.clean("description", form.get("description") or "").strip()
    if len(description) > MAX_TEXT:
        raise Invalid(f"description: at most {MAX_TEXT} characters")
    licence = parse.choice("licence", form.get("licence"), LICENCES, default=DEFAULT_LICENCE)
    rights = parse.boolean("rights_confirmed", form.get("rights_confirmed"), default=False)
    if photos and not rights:
        raise Invalid("rights_confirmed: confirm that you took the photos and may share them under the licence")
    email = None if _blank(form.get("contact_email")) else _email(form["contact_email"])
    return {"kind": kind, "description": description, "observed_at": _when(form), "licence": licence,
            "rights_confirmed": rights, "contact_email": email, "user_id": user_id}


def _email(raw: str) -> str:
    try:
        return normalise_email(raw)
    except Invalid:
        raise Invalid("contact_email: not an e-mail address (leave it empty to stay anonymous)") from None


def accept_photos(photos: Sequence[Photo]) -> list[uploads.Upload]:
    """Each photo checked by content (JPEG or PNG, at most 10 MB, decodable) and re-encoded without metadata."""
    if len(photos) > MAX_PHOTOS:
        raise Invalid(f"at most {MAX_PHOTOS} photos per report; got {len(photos)}")
    return [uploads.accept(p.data, PHOTO_KINDS, MAX_PHOTO_BYTES, field=f"photo {i} ({p.field})")
            for i, p in enumerate(photos, 1)]


def submit(conn: psycopg.Connection, form: Mapping[str, str], photos: Sequence[Photo], *, ip: str,
           user_id: int | None, upload_root: Path, round_m: int) -> dict:
    """Check and store a new report (status `new`, seen by nobody but moderators and its reporter)."""
    check_honeypot(form)
    accepted = accept_photos(photos)
    fields = _fields(form, accepted, user_id)
    lon, lat, source = _point(form, accepted)
    grid = round_m / METRES_PER_DEGREE if round_m > 0 else 0.0
    fields["facility_id"] = _facility(conn, form.get("facility_id"), lon, lat)
    row = conn.execute("""
        INSERT INTO reports (kind, description, observed_at, geom, public_geom, location_source, licence,
                             rights_confirmed, user_id, contact_email, ip, facility_id)
        SELECT %(kind)s, %(description)s, %(observed_at)s, p.g,
               CASE WHEN %(grid)s > 0 THEN ST_SnapToGrid(p.g, %(grid)s) ELSE p.g END,
               %(source)s, %(licence)s, %(rights_confirmed)s, %(user_id)s, %(contact_email)s, %(ip)s,
               %(facility_id)s
        FROM (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g) p
        RETURNING id""", fields | {"lon": lon, "lat": lat, "grid": grid, "source": source, "ip": ip}).fetchone()
    assert row is not None
    report_id = int(row[0])
    stored = [_store_photo(conn, report_id, i, up, upload_root) for i, up in enumerate(accepted, 1)]
    return {"id": report_id, "status": "new", "lon": lon, "lat": lat, "location_source": source,
            "photos": stored}


def _facility(conn: psycopg.Connection, raw: object, lon: float, lat: float) -> int | None:
    """The facility the reporter points at (optional): a public one within FACILITY_RADIUS_M of the place."""
    if _blank(raw):
        return None
    fid = parse.integer("facility_id", raw, 1, 2**63 - 1)
    row = conn.execute("""
        SELECT 1 FROM facilities WHERE id = %s AND private_to_brand IS NULL
          AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s)""",
                       (fid, lon, lat, FACILITY_RADIUS_M)).fetchone()
    if row is None:
        raise Invalid(f"facility_id: no facility {fid} within {FACILITY_RADIUS_M / 1000:g} km of the place")
    return fid


def _store_photo(conn: psycopg.Connection, report_id: int, position: int, up: uploads.Upload,
                 root: Path) -> dict:
    """Write the stripped photo under `root` and record it, noting a near-identical earlier photo."""
    uploads.store(root, up)
    dup = conn.execute("""
        SELECT id, report_id FROM report_photos
        WHERE report_id <> %(r)s
          AND bit_count(('x' || phash)::bit(64) # ('x' || %(h)s)::bit(64)) <= %(bits)s
        ORDER BY bit_count(('x' || phash)::bit(64) # ('x' || %(h)s)::bit(64)), id LIMIT 1""",
                       {"r": report_id, "h": up.phash, "bits": DUPLICATE_BITS}).fetchone()
    conn.execute("""
        INSERT INTO report_photos (report_id, position, filename, media_type, phash, exif_lon, exif_lat,
                                   exif_taken_at, duplicate_of)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                 (report_id, position, up.filename, up.media_type, up.phash, up.lon, up.lat, up.taken_at,
                  dup[0] if dup else None))
    return {"position": position, "filename": up.filename, "exif_lon": up.lon, "exif_lat": up.lat,
            "exif_taken_at": up.taken_at.isoformat() if up.taken_at else None}
