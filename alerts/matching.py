"""Matching: a batch of new outbox events joined to every subscription that wants them, in one set-based
statement per batch, writing one delivery per (event, subscription, channel).

A subscription matches an event about a facility by the facility, its company's USCC, its area (the event's
6-digit code or its province/city prefix, a drawn polygon, or a point and radius, with the GiST index of
`alert_subscriptions.geom`), its industry, or (brand subscriptions) an active link of the brand to it. Privacy:
a private link alerts only the brand's own users, and a facility private to a brand (`private_to_brand`)
alerts no one else. List events go to the brand's users; AQI events to area subscribers whose threshold the
category crossed. Events from before a subscription was made are not sent to it. Batches are claimed with
FOR UPDATE SKIP LOCKED, so several workers share the outbox; a batch that wrote deliveries NOTIFYs
`bluemap_alerts_matched` at its commit, for the worker's sending thread. A bulk load of records queues one
`alert_event_batches` row instead of its events (migration 0025): each batch written here first writes out the
events of up to `batch` of those records (`expand_alert_batch`).
"""

from __future__ import annotations

import psycopg

MATCHED = "bluemap_alerts_matched"  # notified when a batch wrote deliveries
CLAIM = """
SELECT id FROM alert_events WHERE processed_at IS NULL ORDER BY id LIMIT %(batch)s FOR UPDATE SKIP LOCKED"""

MATCH = """
WITH ev AS (
    SELECT e.id, e.kind, e.brand_id, e.payload, e.created_at, f.id AS facility_id, c.uscc,
           coalesce(f.area_code, e.area_code, st.area_code) AS area_code, f.industry,
           coalesce(f.geom, e.geom, st.geom) AS geom, f.private_to_brand
    FROM alert_events e
    LEFT JOIN facilities f ON f.id = e.facility_id
    LEFT JOIN companies c ON c.id = f.company_id
    LEFT JOIN stations st ON st.id = e.station_id
    WHERE e.id = ANY(%(ids)s)
),
hits AS (
    SELECT ev.id AS event_id, s.id AS sub_id FROM ev JOIN alert_subscriptions s
      ON s.target = 'facility' AND s.facility_id = ev.facility_id
    UNION
    SELECT ev.id, s.id FROM ev JOIN alert_subscriptions s ON s.target = 'company' AND s.uscc = ev.uscc
    UNION
    SELECT ev.id, s.id FROM ev JOIN alert_subscriptions s ON s.target = 'industry' AND s.industry = ev.industry
    UNION
    SELECT ev.id, s.id FROM ev
    CROSS JOIN LATERAL (VALUES (ev.area_code), (left(ev.area_code, 4) || '00'), (left(ev.area_code, 2) || '0000'))
        AS code(area_code)
    JOIN alert_subscriptions s ON s.target = 'area' AND s.area_code = code.area_code::char(6)
    UNION
    SELECT ev.id, s.id FROM ev JOIN alert_subscriptions s ON s.target = 'area' AND s.geom IS NOT NULL
      AND ST_Intersects(s.geom, ev.geom)
      AND (s.radius_m IS NULL OR ST_DWithin(s.center::geography, ev.geom::geography, s.radius_m))
    UNION
    SELECT ev.id, s.id FROM ev
    JOIN brand_facility_links l ON l.facility_id = ev.facility_id AND l.active
    JOIN alert_subscriptions s ON s.target = 'brand' AND s.brand_id = l.brand_id
    JOIN users u ON u.id = s.user_id AND (l.is_public OR u.brand_id = l.brand_id)
    UNION
    SELECT ev.id, s.id FROM ev JOIN alert_subscriptions s ON s.target = 'brand' AND s.brand_id = ev.brand_id
    WHERE ev.kind = 'list_accepted'
),
wanted AS (
    SELECT h.event_id, s.id AS sub_id, s.inbox, s.feed_token, s.email_mode, s.digest_hour, s.webhook_url
    FROM hits h
    JOIN ev ON ev.id = h.event_id
    JOIN alert_subscriptions s ON s.id = h.sub_id
    JOIN users u ON u.id = s.user_id
    WHERE s.active AND NOT u.disabled AND ev.kind = ANY(s.kinds) AND s.created_at <= ev.created_at
      AND (ev.private_to_brand IS NULL OR ev.private_to_brand = u.brand_id)
      AND (ev.kind <> 'list_accepted' OR u.brand_id = ev.brand_id OR u.role = 'admin')
      AND (ev.kind <> 'aqi_threshold' OR ((ev.payload->>'category')::int >= s.aqi_category
                                          AND (ev.payload->>'previous')::int < s.aqi_category))
)
INSERT INTO alert_deliveries (event_id, subscription_id, channel, state, due_at, sent_at)
SELECT w.event_id, w.sub_id, ch.channel,
       CASE WHEN ch.channel IN ('inbox', 'feed') THEN 'sent' ELSE 'pending' END,
       CASE WHEN ch.channel = 'email' AND w.email_mode = 'digest' THEN alerts_next_digest(w.digest_hour)
            ELSE now() END,
       CASE WHEN ch.channel IN ('inbox', 'feed') THEN now() END
FROM wanted w
CROSS JOIN LATERAL (VALUES ('inbox', w.inbox), ('feed', w.feed_token IS NOT NULL),
                           ('email', w.email_mode <> 'off'), ('webhook', w.webhook_url IS NOT NULL)) ch(channel, wanted)
WHERE ch.wanted
ON CONFLICT (event_id, subscription_id, channel) DO NOTHING"""


def match_batch(conn: psycopg.Connection, batch: int = 5000) -> tuple[int, int]:
    """Claim up to `batch` unprocessed events, write their deliveries, mark them processed, commit.
    Returns (events, deliveries); (0, 0) when the outbox is empty (or all of it is claimed by others)."""
    with conn.transaction():
        conn.execute("SET LOCAL jit = off")  # compiling the plan costs more than it saves here
        conn.execute("SELECT expand_alert_batch(%s)", (batch,))  # a bulk load's events, a chunk at a time
        ids = [r[0] for r in conn.execute(CLAIM, {"batch": batch})]
        if not ids:
            return 0, 0
        n = conn.execute(MATCH, {"ids": ids}).rowcount
        conn.execute("UPDATE alert_events SET processed_at = now() WHERE id = ANY(%s)", (ids,))
        if n:
            conn.execute("SELECT pg_notify(%s, '')", (MATCHED,))  # at commit: wakes the sending thread
    return len(ids), n
