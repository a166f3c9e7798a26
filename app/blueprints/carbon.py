"""Carbon API behind the Blue Carbon Map page: ranked areas with their classes, series, and yearly trends."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from app import db
from core import parse
from layers.carbon import CITY_SERIES, DEFAULT_SERIES, LAYER
from queries import carbon

bp = Blueprint("carbon", __name__, url_prefix="/api/carbon")


def _filters() -> dict[str, object]:
    """The carbon layer's filters (year, level, series, metric, scheme) from the query string."""
    return LAYER.parse_filters({k: v for k, v in request.args.items() if k != "code"})


@bp.get("")
def areas():
    """Areas (or cities) of a level, series and year ranked by the chosen metric, with class breaks."""
    filters = _filters()
    with db.conn() as c:
        body = carbon.areas(c, filters)
    return jsonify(body)


@bp.get("/series")
def series():
    """Every carbon series with its level, source, licence and years (city series are never mixed)."""
    with db.conn() as c:
        body = carbon.all_series(c)
    return jsonify({"series": body})


@bp.get("/trend")
def trend():
    """Yearly totals of a series (and one area's with ?code=, a city's LOCODE for city series) of every metric."""
    filters = _filters()
    code = request.args.get("code")
    level = str(filters.get("level", "province"))
    city = (filters.get("series") or DEFAULT_SERIES[level]) in CITY_SERIES
    if code is not None and not city:
        code = parse.area_code("code", code)
    elif code is not None:
        code = parse.text("code", code).upper()
    with db.conn() as c:
        body = carbon.trend(c, code, level, filters.get("series"))
    return jsonify(body)
