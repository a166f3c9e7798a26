"""The in-app inbox, a subscription's delivery log, and the Atom feed behind a subscription's secret token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import psycopg

from accounts.users import User
from alerts import render
from core.errors import NotFound

MAX_ITEMS = 100
ATOM = "http://www.w3.org/2005/Atom"


def inbox(conn: psycopg.Connection, user: User, base_url: str, unread_only: bool = False,
          limit: int = MAX_ITEMS) -> list[dict[str, Any]]:
    """The user's inbox, newest first, with each alert's titles and lines in both languages."""
    ids = [r[0] for r in conn.execute("""
        SELECT d.id FROM alert_deliveries d JOIN alert_subscriptions s ON s.id = d.subscription_id
        WHERE s.user_id = %s AND d.channel = 'inbox' AND (NOT %s OR d.read_at IS NULL)
        ORDER BY d.id DESC LIMIT %s""", (user.id, unread_only, limit))]
    reads = dict(conn.execute("SELECT id, read_at FROM alert_deliveries WHERE id = ANY(%s)", (ids,)).fetchall())
    items = render.details(conn, ids, base_url)
    for d in items:
        d["read"] = reads[d["delivery_id"]] is not None
    return sorted((_public(d) for d in items), key=lambda d: -d["id"])


def _public(d: dict) -> dict[str, Any]:
    """What a user sees of an alert (never the webhook secret)."""
    return {"id": d["delivery_id"], "event_id": f"evt-{d['event_id']}", "kind": d["kind"],
            "created_at": d["created_at"].isoformat(), "subscription_id": d["subscription_id"],
            "facility_id": d["facility_id"], "url": d["url"], "title_zh": d["title_zh"], "title_en": d["title_en"],
            "lines_zh": d["lines_zh"], "lines_en": d["lines_en"], "read": d.get("read", False)}


def unread(conn: psycopg.Connection, user: User) -> int:
    """How many inbox alerts the user has not read."""
    return conn.execute("""SELECT count(*) FROM alert_deliveries d
                           JOIN alert_subscriptions s ON s.id = d.subscription_id
                           WHERE s.user_id = %s AND d.channel = 'inbox' AND d.read_at IS NULL""",
                        (user.id,)).fetchone()[0]


def mark_read(conn: psycopg.Connection, user: User, delivery_ids: list[int] | None) -> int:
    """Mark some (or, with None, all) of the user's inbox alerts read. Does not commit."""
    return conn.execute("""
        UPDATE alert_deliveries d SET read_at = now() FROM alert_subscriptions s
        WHERE s.id = d.subscription_id AND s.user_id = %s AND d.channel = 'inbox' AND d.read_at IS NULL
          AND (%s::bigint[] IS NULL OR d.id = ANY(%s::bigint[]))""", (user.id, delivery_ids, delivery_ids)).rowcount


def delivery_log(conn: psycopg.Connection, user: User, sub_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """A subscription's e-mail and webhook deliveries: state, attempts, last error, times."""
    if conn.execute("SELECT 1 FROM alert_subscriptions WHERE id = %s AND user_id = %s", (sub_id, user.id)
                    ).fetchone() is None:
        raise NotFound(f"no subscription {sub_id}")
    keys = ("id", "event_id", "kind", "channel", "state", "attempts", "last_error", "created_at", "due_at", "sent_at")
    rows = conn.execute("""
        SELECT d.id, 'evt-' || d.event_id, e.kind, d.channel, d.state, d.attempts, d.last_error, d.created_at,
               d.due_at, d.sent_at
        FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id
        WHERE d.subscription_id = %s AND d.channel IN ('email', 'webhook') ORDER BY d.id DESC LIMIT %s""",
                        (sub_id, limit))
    out = []
    for r in rows:
        d = dict(zip(keys, r, strict=True))
        for k in ("created_at", "due_at", "sent_at"):
            d[k] = d[k].isoformat() if d[k] else None
        out.append(d)
    return out


def feed(conn: psycopg.Connection, token: str, base_url: str, lang: str = "zh") -> bytes:
    """The Atom feed (RFC 4287) of the subscription holding `token`; NotFound for an unknown token."""
    row = conn.execute("SELECT id, label, target FROM alert_subscriptions WHERE feed_token = %s AND active",
                       (token,)).fetchone()
    if row is None:
        raise NotFound("no feed with this address")
    sub_id, label, target = row
    ids = [r[0] for r in conn.execute("SELECT id FROM alert_deliveries WHERE subscription_id = %s AND channel = "
                                      "'feed' ORDER BY id DESC LIMIT %s", (sub_id, MAX_ITEMS))]
    items = render.details(conn, ids, base_url)
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM)
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _sub(root, "id", f"{base}/alerts/feeds/subscription-{sub_id}")
    _sub(root, "title", ("蓝色地图提醒" if lang == "zh" else "Blue Map alerts") + (f": {label}" if label else
                                                                                     f" ({target})"))
    newest = max((d["created_at"] for d in items), default=datetime(2026, 1, 1, tzinfo=UTC))
    _sub(root, "updated", newest.isoformat())
    ET.SubElement(root, f"{{{ATOM}}}link", {"rel": "alternate", "href": f"{base}/alerts"})
    author = _sub(root, "author")
    _sub(author, "name", "Blue Map")
    for d in sorted(items, key=lambda d: -d["delivery_id"]):
        entry = _sub(root, "entry")
        _sub(entry, "id", f"{base}/alerts/events/evt-{d['event_id']}")
        _sub(entry, "title", d["title_zh"] if lang == "zh" else d["title_en"])
        _sub(entry, "updated", d["created_at"].isoformat())
        _sub(entry, "published", d["created_at"].isoformat())
        if d["url"]:
            ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "href": d["url"]})
        _sub(entry, "category").set("term", d["kind"])
        _sub(entry, "summary", "\n".join(d["lines_zh"] if lang == "zh" else d["lines_en"])).set("type", "text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    if text is not None:
        el.text = text
    return el
