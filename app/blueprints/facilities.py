"""One facility in full: company, violation history, PRTR disclosures, public supplier links, data set."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app import auth, db
from core.errors import NotFound
from queries import facilities

bp = Blueprint("facilities", __name__, url_prefix="/api")


@bp.get("/facilities/<int:facility_id>")
def facility(facility_id: int):
    """One facility in full (see `queries.facilities.load`)."""
    with db.conn() as c:
        body = facilities.load(c, facility_id, auth.manages, viewer=auth.current_user())
    if body is None:
        raise NotFound(f"no facility with id {facility_id}")
    return jsonify(body)
