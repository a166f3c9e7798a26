"""Carbon API behind the Blue Carbon Map page: ranked areas with their classes, and yearly trends."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app import db
from core import parse
from layers.carbon import LAYER
from queries import carbon

bp = Blueprint("carbon", __name__, url_prefix="/api/carbon")


def _filters() -> dict[str, object]:
    """The carbon layer's filters (year, level, metric, scheme) from the query string."""
    return LAYER.parse_filters({k: v for k, v in request.args.items() if k != "code"})


@bp.get("")
def areas():
    """Areas of a level and year ranked by the chosen metric, with class breaks (mapclassify)."""
    filters = _filters()
    with db.conn() as c:
        body = carbon.areas(c, filters)
    return jsonify(body)


@bp.get("/trend")
def trend():
    """Yearly national totals (and one area's, with ?code=) of every metric."""
    code = request.args.get("code")
    code = parse.area_code("code", code) if code is not None else None
    _filters()
    with db.conn() as c:
        body = carbon.trend(c, code)
    return jsonify(body)

