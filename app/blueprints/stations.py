"""Monitoring stations: the list with latest AQI or water class, one station, its hourly or daily series."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, time, timedelta

from flask import Blueprint, Response, jsonify, request

from app import db
from core import parse
from core.errors import Invalid
from monitoring.rollups import BEIJING
from queries import stations as station_queries
from queries.stations import SPAN, Series
from standards import aqi

bp = Blueprint("stations", __name__, url_prefix="/api/stations")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _lower(name: str, default: str | None = None) -> str | None:
    """A query parameter, stripped and lower-cased; `default` when missing."""
    return (request.args.get(name) or "").strip().lower() or default


@bp.get("")
def listing():
    """Every station (or those of one kind) with its latest AQI or water class."""
    kind = _lower("kind")
    if kind not in (None, "air", "water"):
        raise Invalid(f"kind must be air or water, not {kind!r}")
    with db.conn() as c:
        rows = station_queries.stations(c, kind)
    return jsonify({"count": len(rows), "stations": rows})


@bp.get("/<int:station_id>")
def station(station_id: int):
    """One station: where it is, its latest AQI or class, the span of its data and its data set."""
    with db.conn() as c:
        body = station_queries.station(c, station_id)
    return jsonify(body)


def _bound(name: str, end: bool) -> datetime | None:
    """A from/to parameter: a date (whole day, Beijing) or an ISO time (naive = Beijing); both inclusive."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    whole_day = bool(_DATE.fullmatch(raw))
    reason = f"{name} must be a date (2016-03-01) or an ISO 8601 time, not {raw!r}"
    try:
        at = datetime.combine(parse.day(name, raw), time()) if whole_day else datetime.fromisoformat(raw)
    except ValueError:  # parse.Invalid is a ValueError too
        raise Invalid(reason) from None
    if not 1980 <= at.year <= 2100:
        raise Invalid(f"{name} must be between 1980 and 2100, not {raw!r}")
    at = at if at.tzinfo else at.replace(tzinfo=BEIJING)
    if end:
        at += timedelta(days=1) if whole_day else timedelta(microseconds=1)
    return at


@bp.get("/<int:station_id>/readings")
def readings(station_id: int):
    """Hourly readings with AQI (interval=hour), or daily means with coverage and daily AQI (interval=day)."""
    interval = _lower("interval", "hour")
    if interval not in SPAN:
        raise Invalid(f"interval must be hour or day, not {interval!r}")
    fmt = _lower("format", "json")
    if fmt not in ("json", "csv"):
        raise Invalid(f"format must be json or csv, not {fmt!r}")
    lo, hi = _bound("from", False), _bound("to", True)
    with db.conn() as c:
        found = station_queries.readings(c, station_id, interval, lo, hi)
    if fmt == "csv":
        return _csv(found)
    text = json.dumps(found.head(), ensure_ascii=False)[:-1] + ', "rows": [' + found.rows + "]}"
    return Response(text, mimetype="application/json")


def _csv(found: Series) -> Response:
    """The series as a CSV download: the JSON fields, with category names beside the category level."""
    fields, code = found.fields, found.station["code"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    at = fields.index("category") + 1 if "category" in fields else None
    names = ["category_zh", "category_en"] if at else []
    w.writerow(["station_code", *fields[:at], *names, *(fields[at:] if at else [])])
    for r in json.loads("[" + found.rows + "]"):
        r = ["" if v is None else " ".join(v) if isinstance(v, list) else v for v in r]
        if at:
            cat = aqi.CATEGORIES[r[at - 1] - 1] if r[at - 1] else None
            r[at:at] = [cat.name_zh, cat.name_en] if cat else ["", ""]
        w.writerow([code, *r])
    name = f"station-{code}-{found.interval}-{found.first_day}-{found.last_day}.csv"
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
