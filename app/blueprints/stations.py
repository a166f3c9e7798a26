"""Monitoring stations: the list with latest AQI or water class, one station, its hourly or daily series."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, jsonify, request

from app import db
from core.errors import Invalid, NotFound
from monitoring import series
from monitoring.rollups import BEIJING
from standards import aqi, water

bp = Blueprint("stations", __name__, url_prefix="/stations")
MAX_ID = 2**63 - 1
SPAN = {"hour": (timedelta(days=7), timedelta(days=366)), "day": (timedelta(days=366), timedelta(days=3660))}
AIR_UNITS = {"pm25": "µg/m3", "pm10": "µg/m3", "so2": "µg/m3", "no2": "µg/m3", "co": "mg/m3", "o3": "µg/m3"}
WATER_UNITS = {"ph": "", "do_mg": "mg/L", "codmn": "mg/L", "nh3n": "mg/L", "tp": "mg/L", "tn": "mg/L",
               "turbidity": "NTU", "conductivity": "µS/cm"}
# Hours come from the daily rollups' ready rows for whole days, and are formatted live only at the window's
# edges; days and water readings are formatted live (a few hundred rows).
HOURS_DONE = """
SELECT coalesce(sum(hours), 0), coalesce(string_agg(hourly_rows, ',' ORDER BY day), '')
FROM air_daily WHERE station_id = %(id)s AND day >= %(d1)s AND day < %(d2)s AND hourly_rows IS NOT NULL"""
HOURS_LIVE = f"""
SELECT count(*), coalesce(string_agg({series.hour_row("r", "h")}, ',' ORDER BY r.observed_at), '')
FROM air_readings r
LEFT JOIN air_aqi_hourly h ON h.station_id = r.station_id AND h.observed_at = r.observed_at
     AND h.observed_at >= %(lo)s AND h.observed_at < %(hi)s
WHERE r.station_id = %(id)s AND r.observed_at >= %(lo)s AND r.observed_at < %(hi)s"""
DAYS = f"""
SELECT count(*), coalesce(string_agg({series.DAY_ROW}, ',' ORDER BY d.day), '')
FROM air_daily d WHERE d.station_id = %(id)s AND d.day >= %(dlo)s AND d.day < %(dhi)s"""
WATER = f"""
SELECT count(*), coalesce(string_agg({series.WATER_ROW}, ',' ORDER BY r.observed_at), '')
FROM water_readings r WHERE r.station_id = %(id)s AND r.observed_at >= %(lo)s AND r.observed_at < %(hi)s"""

STATION = """
SELECT s.id, s.code, s.kind, s.name_zh, s.name_en, ST_X(s.geom), ST_Y(s.geom), s.area_code,
       s.water_body_type, s.coords_approximate, s.synthetic, s.dataset_id, a.observed_at, a.aqi, a.category,
       a.primary_pollutants, a.version, w.observed_at, w.water_class
FROM stations s
LEFT JOIN LATERAL (SELECT h.* FROM air_aqi_hourly h WHERE s.kind = 'air' AND h.station_id = s.id
                   ORDER BY h.observed_at DESC LIMIT 1) a ON true
LEFT JOIN LATERAL (SELECT r.observed_at, r.water_class FROM water_readings r WHERE s.kind = 'water'
                   AND r.station_id = s.id ORDER BY r.observed_at DESC LIMIT 1) w ON true
WHERE {where}
ORDER BY s.kind, s.code"""
STATION_KEYS = ("id", "code", "kind", "name_zh", "name_en", "lon", "lat", "area_code", "water_body_type",
                "coords_approximate", "synthetic", "dataset_id")


def _latest(row: tuple) -> dict | None:
    """The latest AQI (air) or water class (water) of a STATION row, with its scale named."""
    (a_at, a_aqi, a_cat, a_primary, a_version, w_at, w_class) = row[len(STATION_KEYS):]
    if row[2] == "air" and a_at is not None:
        cat = aqi.CATEGORIES[a_cat - 1] if a_cat else None
        return {"observed_at": a_at.astimezone(BEIJING).isoformat(), "aqi": a_aqi, "category": a_cat,
                "category_zh": cat.name_zh if cat else None, "category_en": cat.name_en if cat else None,
                "colour": cat.colour if cat else None, "primary_pollutants": a_primary,
                "scale": aqi.scale_name(a_version)}
    if row[2] == "water" and w_at is not None:
        return {"observed_at": w_at.astimezone(BEIJING).isoformat(), "water_class": w_class,
                "colour": water.COLOURS.get(w_class) if w_class else None, "scale": water.SCALE_NAME}
    return None


def _station(row: tuple) -> dict:
    return dict(zip(STATION_KEYS, row[:len(STATION_KEYS)], strict=True)) | {"latest": _latest(row)}


@bp.get("")
def listing():
    """Every station (or those of one kind) with its latest AQI or water class."""
    kind = (request.args.get("kind") or "").strip().lower() or None
    if kind not in (None, "air", "water"):
        raise Invalid(f"kind must be air or water, not {kind!r}")
    with db.conn() as c:
        rows = c.execute(STATION.format(where="(%(kind)s::text IS NULL OR s.kind = %(kind)s)"),
                         {"kind": kind}).fetchall()
    return jsonify({"count": len(rows), "stations": [_station(r) for r in rows]})


def _get_station(c, station_id: int) -> tuple:
    row = c.execute(STATION.format(where="s.id = %(id)s"), {"id": station_id}).fetchone() \
        if station_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"no station with id {station_id}")
    return row


@bp.get("/<int:station_id>")
def station(station_id: int):
    """One station: where it is, its latest AQI or class, the span of its data and its data set."""
    with db.conn() as c:
        row = _get_station(c, station_id)
        body = _station(row)
        if body["kind"] == "air":
            first, last, days, hours = _one(c, "SELECT min(day), max(day), count(*), coalesce(sum(hours), 0) "
                                               "FROM air_daily WHERE station_id = %s", (station_id,))
            body["data"] = {"first_day": _iso(first), "last_day": _iso(last), "days": days, "hours": hours,
                            "units": AIR_UNITS}
        else:
            first, last, n = _one(c, "SELECT min(observed_at), max(observed_at), count(*) "
                                     "FROM water_readings WHERE station_id = %s", (station_id,))
            body["data"] = {"first": _iso(first), "last": _iso(last), "readings": n, "units": WATER_UNITS}
        ds = _one(c, "SELECT id, title, licence, attribution, source_url, synthetic FROM datasets "
                     "WHERE id = %s", (body["dataset_id"],))
    body["dataset"] = dict(zip(("id", "title", "licence", "attribution", "source_url", "synthetic"), ds,
                               strict=True))
    return jsonify(body)


def _one(c, query: str, params) -> tuple:
    """The single row of an aggregate query."""
    row = c.execute(query, params).fetchone()
    assert row is not None
    return tuple(row)


def _iso(value):
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).isoformat()
    return value.isoformat() if value is not None else None


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _bound(name: str, end: bool) -> datetime | None:
    """A from/to parameter: a date (whole day, Beijing) or an ISO time (naive = Beijing); both inclusive."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    whole_day = bool(_DATE.fullmatch(raw))
    try:
        at = datetime.combine(date.fromisoformat(raw), time()) if whole_day else datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid(f"{name} must be a date (2016-03-01) or an ISO 8601 time, not {raw!r}") from None
    if not 1980 <= at.year <= 2100:
        raise Invalid(f"{name} must be between 1980 and 2100, not {raw!r}")
    at = at if at.tzinfo else at.replace(tzinfo=BEIJING)
    if end:
        at += timedelta(days=1) if whole_day else timedelta(microseconds=1)
    return at


def _window(c, station_id: int, kind: str, interval: str) -> tuple[datetime, datetime]:
    """[lo, hi) from the parameters; missing ends default to a span ending at the station's latest data."""
    default, limit = SPAN[interval]
    lo, hi = _bound("from", False), _bound("to", True)
    if lo is None and hi is None:
        table = "air_readings" if kind == "air" else "water_readings"
        latest = _one(c, f"SELECT max(observed_at) FROM {table} WHERE station_id = %s", (station_id,))[0]
        latest = (latest or datetime.now(UTC)).astimezone(BEIJING)
        hi = datetime.combine(latest.date() + timedelta(days=1), time(), BEIJING)
    if lo is None:
        assert hi is not None
        lo = hi - default
    if hi is None:
        hi = lo + default
    if hi <= lo:
        raise Invalid("from must be before to")
    if hi - lo > limit + timedelta(days=1):
        raise Invalid(f"the range is too long for interval={interval}: at most {limit.days} days")
    return lo, hi


@bp.get("/<int:station_id>/readings")
def readings(station_id: int):
    """Hourly readings with AQI (interval=hour), or daily means with coverage and daily AQI (interval=day)."""
    interval = (request.args.get("interval") or "hour").strip().lower()
    if interval not in SPAN:
        raise Invalid(f"interval must be hour or day, not {interval!r}")
    fmt = (request.args.get("format") or "json").strip().lower()
    if fmt not in ("json", "csv"):
        raise Invalid(f"format must be json or csv, not {fmt!r}")
    with db.conn() as c:
        row = _get_station(c, station_id)
        code, kind = row[1], row[2]
        if kind == "water" and interval == "day":
            raise Invalid("water stations have their readings as measured: use interval=hour")
        lo, hi = _window(c, station_id, kind, interval)
        last_day = (hi - timedelta(microseconds=1)).astimezone(BEIJING).date()
        params = series.params() | {"id": station_id, "lo": lo, "hi": hi,
                                    "dlo": lo.astimezone(BEIJING).date(), "dhi": last_day + timedelta(days=1)}
        if kind == "water":
            count, rows = _one(c, WATER, params)
            units, fields = WATER_UNITS, series.WATER_FIELDS
        elif interval == "hour":
            count, rows = _hours(c, params, lo, hi)
            units, fields = AIR_UNITS, series.HOUR_FIELDS
        else:
            count, rows = _one(c, DAYS, params)
            units, fields = AIR_UNITS, series.DAY_FIELDS
    if fmt == "csv":
        return _csv(code, interval, fields, rows, params)
    span = ({"from": params["dlo"].isoformat(), "to": last_day.isoformat()} if interval == "day" else
            {"from": lo.astimezone(BEIJING).isoformat(), "before": hi.astimezone(BEIJING).isoformat()})
    head = {"station": dict(zip(STATION_KEYS, row[:len(STATION_KEYS)], strict=True)), "interval": interval,
            **span, "timezone": "Asia/Shanghai (UTC+08:00)", "units": units, "count": count}
    if kind == "air":
        head["categories"] = [{"level": k.level, "name_zh": k.name_zh, "name_en": k.name_en,
                               "colour": k.colour} for k in aqi.CATEGORIES]
        head["scales"] = dict(zip(aqi.VERSIONS, params["scales"], strict=True))
    head["fields"] = fields
    text = json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": [' + rows + "]}"
    return Response(text, mimetype="application/json")


def _midnight(at: datetime, up: bool) -> datetime:
    """The Beijing midnight at or after (up) / at or before `at`."""
    local = at.astimezone(BEIJING)
    floor = datetime.combine(local.date(), time(), BEIJING)
    return floor + timedelta(days=1) if up and floor < local else floor


def _hours(c, params: dict, lo: datetime, hi: datetime) -> tuple[int, str]:
    """(count, JSON rows) of the hours in [lo, hi): whole days from the rollups, the edges formatted live."""
    d1, d2 = _midnight(lo, up=True), _midnight(hi, up=False)
    if d1 >= d2:
        return _one(c, HOURS_LIVE, params)
    parts = []
    if lo < d1:
        parts.append(_one(c, HOURS_LIVE, params | {"hi": d1}))
    parts.append(_one(c, HOURS_DONE, params | {"d1": d1.date(), "d2": d2.date()}))
    if d2 < hi:
        parts.append(_one(c, HOURS_LIVE, params | {"lo": d2}))
    return sum(n for n, _ in parts), ",".join(text for _, text in parts if text)


def _csv(code: str, interval: str, fields: list[str], rows: str, params: dict) -> Response:
    """The series as a CSV download: the JSON fields, with category names beside the category level."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    at = fields.index("category") + 1 if "category" in fields else None
    names = ["category_zh", "category_en"] if at else []
    w.writerow(["station_code", *fields[:at], *names, *(fields[at:] if at else [])])
    for r in json.loads("[" + rows + "]"):
        r = ["" if v is None else " ".join(v) if isinstance(v, list) else v for v in r]
        if at:
            cat = aqi.CATEGORIES[r[at - 1] - 1] if r[at - 1] else None
            r[at:at] = [cat.name_zh, cat.name_en] if cat else ["", ""]
        w.writerow([code, *r])
    name = f"station-{code}-{interval}-{params['dlo']}-{params['dhi'] - timedelta(days=1)}.csv"
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
