"""Liveness and readiness: is the database reachable and at the newest migration?"""

from __future__ import annotations

from flask import Blueprint, jsonify

from app import db
from db.migrations import head_revision
from queries.stats import applied_migration

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers and its migrations are current, else 503 with the reason."""
    head = head_revision()
    try:
        with db.conn() as c:
            current = applied_migration(c)
    except Exception as exc:  # noqa: BLE001 - any failure here means "not ready"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        return jsonify({"status": "unavailable", "reason": f"database unreachable: {reason}"}), 503
    if current != head:
        return jsonify({"status": "unavailable", "reason": f"migrations not current: at {current}, head {head}",
                        "migration": current, "head": head}), 503
    return jsonify({"status": "ok", "migration": current})
