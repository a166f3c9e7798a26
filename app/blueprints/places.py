"""Place search: areas at every level, places and imported OpenStreetMap names, in Chinese, pinyin or English."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app import db
from core import parse
from queries import places as gazetteer

bp = Blueprint("places", __name__, url_prefix="/api")


@bp.get("/places")
def places():
    """Places named q (Chinese, pinyin or English): exact, prefix, substring matches; then by kind and population."""
    q = parse.text("q", request.args.get("q"), 100)
    limit = parse.integer("limit", request.args.get("limit"), 1, 50, default=10)
    with db.conn() as c:
        results = gazetteer.places(c, q, limit)
    return jsonify({"query": q, "results": results})
