"""JSON API: statistics about what the database holds."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app import auth, db
from queries import stats as holdings

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/stats")
def stats():
    """Row counts per table and per source data set, synthetic rows counted apart (private links: admins only)."""
    user = auth.current_user()
    with db.conn() as c:
        body = holdings.stats(c, private=bool(user and user.is_admin))
    return jsonify(body)
