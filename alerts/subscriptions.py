"""Subscriptions: what a user follows (facility, company, area, industry, their brand's suppliers), which event
kinds, and the channels (inbox, Atom feed, e-mail now or as a daily digest, webhook)."""

from __future__ import annotations

import secrets
from typing import Any

import psycopg

from accounts.users import User
from alerts import ssrf
from alerts.events import DEFAULT_KINDS, KINDS
from core import parse
from core.errors import Forbidden, Invalid, NotFound
from standards import uscc as uscc_std

TARGETS = ("facility", "company", "area", "industry", "brand")
EMAIL_MODES = ("off", "immediate", "digest")
MAX_PER_USER = 200
MAX_RADIUS_M = 200_000
COLUMNS = ("id", "target", "label", "facility_id", "uscc", "area_code", "industry", "brand_id", "radius_m",
           "kinds", "aqi_category", "inbox", "email_mode", "digest_hour", "email", "webhook_url",
           "webhook_failures", "webhook_paused_at", "feed_token", "active", "created_at", "geojson", "center_lon",
           "center_lat", "facility_name_zh", "facility_name_en", "brand_slug")
_SELECT = """
SELECT s.id, s.target, s.label, s.facility_id, s.uscc, s.area_code, s.industry, s.brand_id, s.radius_m, s.kinds,
       s.aqi_category, s.inbox, s.email_mode, s.digest_hour, s.email, s.webhook_url, s.webhook_failures,
       s.webhook_paused_at, s.feed_token, s.active, s.created_at,
       CASE WHEN s.radius_m IS NULL AND s.geom IS NOT NULL THEN ST_AsGeoJSON(s.geom)::jsonb END,
       ST_X(s.center), ST_Y(s.center), f.name_zh, f.name_en, b.slug
FROM alert_subscriptions s
LEFT JOIN facilities f ON f.id = s.facility_id
LEFT JOIN brands b ON b.id = s.brand_id"""


def _row(r: tuple) -> dict[str, Any]:
    d = dict(zip(COLUMNS, r, strict=True))
    d["created_at"] = d["created_at"].isoformat()
    d["webhook_paused_at"] = d["webhook_paused_at"].isoformat() if d["webhook_paused_at"] else None
    d["uscc"] = d["uscc"].strip() if d["uscc"] else None
    return d


def _target(conn: psycopg.Connection, user: User, spec: dict) -> dict[str, Any]:
    """The followed thing of a new subscription, checked."""
    target = parse.choice("target", spec.get("target"), TARGETS)
    out: dict[str, Any] = {"target": target, "facility_id": None, "uscc": None, "area_code": None,
                           "industry": None, "brand_id": None, "geom": None, "center": None, "radius_m": None}
    if target == "facility":
        fid = parse.integer("facility_id", spec.get("facility_id"), 1, parse.INT32[1])
        row = conn.execute("SELECT private_to_brand FROM facilities WHERE id = %s", (fid,)).fetchone()
        if row is None or (row[0] is not None and row[0] != user.brand_id):
            raise NotFound(f"no facility {fid}")
        out["facility_id"] = fid
    elif target == "company":
        try:
            out["uscc"] = uscc_std.validate(parse.text("uscc", spec.get("uscc"), 40))
        except uscc_std.InvalidUSCC as exc:
            raise Invalid(f"uscc: {exc}") from None
    elif target == "industry":
        from standards.industries import INDUSTRIES

        out["industry"] = parse.choice("industry", spec.get("industry"), INDUSTRIES)
    elif target == "brand":
        brand_id = user.brand_id if spec.get("brand_id") in (None, "") else parse.integer(
            "brand_id", spec.get("brand_id"), 1, parse.INT32[1])
        if brand_id is None or not user.can_manage(brand_id):
            raise Forbidden("only a brand's own users follow its suppliers")
        out["brand_id"] = brand_id
    else:
        out.update(_area(spec))
    return out


def _area(spec: dict) -> dict[str, Any]:
    """An area: a GB/T 2260 code, a GeoJSON polygon, or a point and a radius in metres."""
    if spec.get("area_code") not in (None, ""):
        return {"area_code": parse.area_code("area_code", spec.get("area_code"))}
    if spec.get("polygon") not in (None, ""):
        raw = spec["polygon"]
        import json

        text, _ = parse.polygon("polygon", raw if isinstance(raw, str) else json.dumps(raw))
        return {"geom": text}
    if spec.get("lon") in (None, "") or spec.get("lat") in (None, ""):
        raise Invalid("an area subscription needs area_code, polygon, or lon, lat and radius_m")
    lon = parse.number("lon", spec.get("lon"), 73, 136)
    lat = parse.number("lat", spec.get("lat"), 3, 54)
    radius = parse.number("radius_m", spec.get("radius_m"), 10, MAX_RADIUS_M)
    return {"center": (lon, lat), "radius_m": radius}


def _kinds(spec: dict, target: str) -> list[str]:
    raw = spec.get("kinds")
    if raw in (None, "", []):
        base = list(DEFAULT_KINDS) + (["aqi_threshold", "report_published"] if target == "area" else [])
        return sorted(base)
    return parse.choice_list("kinds", ",".join(raw) if isinstance(raw, list) else raw, KINDS)


def channels(conn: psycopg.Connection, user: User, spec: dict, current: dict | None = None) -> dict[str, Any]:
    """Channel settings from a request (missing ones keep `current`, or the defaults)."""
    cur = current or {"inbox": True, "email_mode": "off", "digest_hour": 8, "email": None, "webhook_url": None,
                      "feed_token": None, "aqi_category": 5}
    out: dict[str, Any] = {
        "inbox": parse.boolean("inbox", spec.get("inbox"), cur["inbox"]),
        "email_mode": parse.choice("email_mode", spec.get("email_mode"), EMAIL_MODES, cur["email_mode"]),
        "digest_hour": parse.integer("digest_hour", spec.get("digest_hour"), 0, 23, cur["digest_hour"]),
        "aqi_category": parse.integer("aqi_category", spec.get("aqi_category"), 2, 6, cur["aqi_category"]),
    }
    email = spec.get("email", cur["email"])
    out["email"] = parse.text("email", email, 254) if email not in (None, "") else user.email
    if "@" not in out["email"]:
        raise Invalid("email must be an e-mail address")
    feed = parse.boolean("feed", spec.get("feed"), cur["feed_token"] is not None)
    out["feed_token"] = (cur["feed_token"] or secrets.token_urlsafe(24)) if feed else None
    url = spec.get("webhook_url", cur["webhook_url"])
    out["webhook_url"] = ssrf.check_url(conn, parse.text("webhook_url", url, 2000)) if url not in (None, "") else None
    if out["webhook_url"] and out["webhook_url"] != cur["webhook_url"]:
        out["webhook_secret"] = secrets.token_hex(32)
    return out


def create(conn: psycopg.Connection, user: User, spec: dict) -> dict[str, Any]:
    """A new subscription of `user` (its webhook secret is in the answer, once). Does not commit."""
    n = conn.execute("SELECT count(*) FROM alert_subscriptions WHERE user_id = %s", (user.id,)).fetchone()[0]
    if n >= MAX_PER_USER:
        raise Invalid(f"at most {MAX_PER_USER} subscriptions per user")
    t = _target(conn, user, spec)
    ch = channels(conn, user, spec)
    label = parse.text("label", spec["label"], 120) if spec.get("label") not in (None, "") else ""
    row = conn.execute("""
        INSERT INTO alert_subscriptions (user_id, target, label, facility_id, uscc, area_code, industry, brand_id,
            geom, center, radius_m, kinds, aqi_category, inbox, email_mode, digest_hour, email, webhook_url,
            webhook_secret, feed_token)
        VALUES (%(user)s, %(target)s, %(label)s, %(facility_id)s, %(uscc)s, %(area_code)s, %(industry)s,
            %(brand_id)s,
            CASE WHEN %(geom)s::text IS NOT NULL THEN ST_SetSRID(ST_GeomFromGeoJSON(%(geom)s::text), 4326)
                 WHEN %(lon)s::float8 IS NOT NULL THEN ST_Buffer(ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)
                      ::geography, %(radius_m)s * 1.01)::geometry END,
            CASE WHEN %(lon)s::float8 IS NOT NULL THEN ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) END,
            %(radius_m)s, %(kinds)s, %(aqi_category)s, %(inbox)s, %(email_mode)s, %(digest_hour)s, %(email)s,
            %(webhook_url)s, %(webhook_secret)s, %(feed_token)s)
        RETURNING id""", {**t, **ch, "user": user.id, "label": label, "kinds": _kinds(spec, t["target"]),
                          "lon": t["center"][0] if t["center"] else None,
                          "lat": t["center"][1] if t["center"] else None,
                          "webhook_secret": ch.get("webhook_secret")}).fetchone()
    out = get(conn, user, row[0])
    out["webhook_secret"] = ch.get("webhook_secret")
    return out


def get(conn: psycopg.Connection, user: User, sub_id: int) -> dict[str, Any]:
    """One of the user's subscriptions (NotFound for anyone else's)."""
    row = conn.execute(_SELECT + " WHERE s.id = %s AND s.user_id = %s", (sub_id, user.id)).fetchone()
    if row is None:
        raise NotFound(f"no subscription {sub_id}")
    return _row(row)


def for_user(conn: psycopg.Connection, user: User) -> list[dict[str, Any]]:
    """The user's subscriptions, newest first."""
    return [_row(r) for r in conn.execute(_SELECT + " WHERE s.user_id = %s ORDER BY s.id DESC", (user.id,))]


def update(conn: psycopg.Connection, user: User, sub_id: int, spec: dict) -> dict[str, Any]:
    """Change kinds, label, channels or `active`; `resume_webhook` un-pauses it. Does not commit."""
    cur = get(conn, user, sub_id)
    ch = channels(conn, user, spec, cur)
    kinds = _kinds(spec, cur["target"]) if spec.get("kinds") not in (None, "", []) else cur["kinds"]
    active = parse.boolean("active", spec.get("active"), cur["active"])
    resume = parse.boolean("resume_webhook", spec.get("resume_webhook"), False)
    label = parse.text("label", spec["label"], 120) if spec.get("label") not in (None, "") else cur["label"]
    conn.execute("""
        UPDATE alert_subscriptions SET kinds = %(kinds)s, label = %(label)s, active = %(active)s,
            inbox = %(inbox)s, email_mode = %(email_mode)s, digest_hour = %(digest_hour)s, email = %(email)s,
            aqi_category = %(aqi_category)s, feed_token = %(feed_token)s, webhook_url = %(webhook_url)s,
            webhook_secret = CASE WHEN %(webhook_url)s::text IS NULL THEN NULL
                                  ELSE coalesce(%(webhook_secret)s, webhook_secret) END,
            webhook_paused_at = CASE WHEN %(resume)s OR %(webhook_url)s::text IS DISTINCT FROM webhook_url
                                     THEN NULL ELSE webhook_paused_at END,
            webhook_failures = CASE WHEN %(resume)s OR %(webhook_url)s::text IS DISTINCT FROM webhook_url
                                    THEN 0 ELSE webhook_failures END
        WHERE id = %(id)s""", {**ch, "kinds": kinds, "label": label, "active": active, "resume": resume,
                               "id": sub_id, "webhook_secret": ch.get("webhook_secret")})
    out = get(conn, user, sub_id)
    out["webhook_secret"] = ch.get("webhook_secret")
    return out


def delete(conn: psycopg.Connection, user: User, sub_id: int) -> None:
    """Remove a subscription and its delivery log. Does not commit."""
    get(conn, user, sub_id)
    conn.execute("DELETE FROM alert_subscriptions WHERE id = %s", (sub_id,))


def unsubscribe(conn: psycopg.Connection, sub_id: int, channel: str) -> bool:
    """Stop a subscription's e-mail (from a signed link); True when it was sending e-mail. Does not commit."""
    row = conn.execute("UPDATE alert_subscriptions SET email_mode = 'off' WHERE id = %s AND email_mode <> 'off' "
                       "RETURNING id", (sub_id,)).fetchone()
    conn.execute("UPDATE alert_deliveries SET state = 'skipped', last_error = 'unsubscribed' "
                 "WHERE subscription_id = %s AND channel = %s AND state = 'pending'", (sub_id, channel))
    return row is not None


def ensure_brand_defaults(conn: psycopg.Connection) -> int:
    """Every brand user follows their brand's suppliers (inbox) unless they already have a brand subscription
    (an inactive one counts: switched off stays off). Returns how many were made. Does not commit."""
    cur = conn.execute("""
        INSERT INTO alert_subscriptions (user_id, target, brand_id, kinds, label)
        SELECT u.id, 'brand', u.brand_id, %s, ''
        FROM users u
        WHERE u.brand_id IS NOT NULL AND u.role = 'brand' AND NOT u.disabled
          AND NOT EXISTS (SELECT 1 FROM alert_subscriptions s
                          WHERE s.user_id = u.id AND s.target = 'brand' AND s.brand_id = u.brand_id)""",
                       (sorted(DEFAULT_KINDS),))
    return cur.rowcount
