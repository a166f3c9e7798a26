"""Push API for hourly air readings (`POST /api/readings`, Bearer token): each item stored once, or told why not."""

from __future__ import annotations

from datetime import date

import psycopg
from flask import Blueprint, current_app, jsonify

from app import db
from app.push import MAX_ITEMS, json_body, push_token
from core.errors import Invalid, TooLarge
from ingest import readings
from ingest.report import RowError
from monitoring.store import Ingest

bp = Blueprint("readings", __name__, url_prefix="/api")


def _items() -> tuple[list, dict]:
    """The pushed items and batch-level units, or a 4xx error."""
    payload = json_body()
    units: dict = {}
    if isinstance(payload, dict):
        units = readings.parse_units(payload.get("units"))
        payload = payload.get("readings")
    if not isinstance(payload, list):
        raise Invalid('expected {"readings": [...]} (or a JSON list of readings)')
    if not payload:
        raise Invalid("no readings in the batch")
    if len(payload) > MAX_ITEMS:
        raise TooLarge(f"too many readings in one batch: {len(payload)} (at most {MAX_ITEMS})")
    return payload, units


@bp.post("/readings")
def push():
    """Store a batch of hourly readings, idempotent per station and hour; says what became of each item."""
    cutover = date.fromisoformat(current_app.config["SETTINGS"].aqi_cutover)
    with db.conn() as c:
        token = push_token(c)
        items, units = _items()
        try:
            ingest = _store(c, token, items, units, cutover)
        except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
            c.rollback()  # lost a race with another writer: the whole batch once more, from the start
            ingest = _store(c, token, items, units, cutover)
    counts = ingest.counts
    accepted = counts["inserted"] + counts["duplicate"]
    status = 200 if not counts["rejected"] else 207 if accepted else 422
    out = [o.as_dict("index") for o in sorted(ingest.outcomes, key=lambda o: o.ref)]
    return jsonify({"received": len(items), **counts, "items": out}), status


def _store(c: psycopg.Connection, token, items: list, units: dict, cutover: date) -> Ingest:
    """One attempt at storing the batch in one transaction (committed here)."""
    ingest = Ingest(c, readings.push_dataset(token.label), "item", scope=token.station_id, cutover=cutover,
                    keep_all=True)
    for i, item in enumerate(items):
        try:
            ingest.add(readings.item_reading(i, item, units))
        except RowError as exc:
            station = item.get("station") if isinstance(item, dict) else None
            ingest.reject(i, exc.reason, station if isinstance(station, str) else None)
    ingest.finish()
    c.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = %s", (token.id,))
    c.commit()
    return ingest
