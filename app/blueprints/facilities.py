"""One facility in full: company, violation history, PRTR disclosures, public supplier links, data set."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, url_for

from app import auth, db
from core.errors import NotFound
from queries import facilities
from workflow import merges

bp = Blueprint("facilities", __name__, url_prefix="/api")


@bp.get("/facilities/<int:facility_id>")
def facility(facility_id: int):
    """One facility in full (see `queries.facilities.load`)."""
    with db.conn() as c:
        body = facilities.load(c, facility_id, auth.manages, viewer=auth.current_user())
        merged_into = merges.redirect_target(c, facility_id) if body is None else None
    if merged_into is not None:  # merged into another facility (workflow.merges)
        return redirect(url_for("facilities.facility", facility_id=merged_into), 308)
    if body is None:
        raise NotFound(f"no facility with id {facility_id}")
    return jsonify(body)
