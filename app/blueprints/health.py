"""Liveness and readiness: is the database reachable and at the newest migration? And how are the replicas?"""

from __future__ import annotations

from flask import Blueprint, jsonify

from app import db
from db.migrations import head_revision
from queries.stats import applied_migration

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the primary answers and its migrations are current, else 503 with the reason.

    `databases` lists the primary and each read replica with its replay lag and whether reads use it; a
    replica that is down or lagging does not make the service unready (reads go to the primary).
    """
    head = head_revision()
    dbs = db.databases()
    if dbs.replicas:
        dbs.start()
    listed = [d.describe(dbs.settings.replica_max_lag_s) for d in dbs.all()]
    try:
        with db.conn() as c:  # the health blueprint is not a read one: this is the primary
            current = applied_migration(c)
    except Exception as exc:  # noqa: BLE001 - any failure here means "not ready"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        return jsonify({"status": "unavailable", "reason": f"database unreachable: {reason}",
                        "databases": listed}), 503
    if current != head:
        return jsonify({"status": "unavailable", "reason": f"migrations not current: at {current}, head {head}",
                        "migration": current, "head": head, "databases": listed}), 503
    return jsonify({"status": "ok", "migration": current, "databases": listed})
