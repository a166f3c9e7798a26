"""Monitoring stations: the list with latest AQI or water class, one station, its hourly or daily series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import psycopg

from core.errors import Invalid, NotFound
from monitoring import series
from monitoring.rollups import BEIJING
from queries import rows
from standards import aqi, water

MAX_ID = 2**63 - 1
# Per interval: the span shown when neither end is given, and the longest span allowed.
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
SELECT s.id, s.code, s.kind, s.name_zh, s.name_en, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, s.area_code,
       s.water_body_type, s.coords_approximate, s.synthetic, s.dataset_id, a.observed_at AS aqi_at, a.aqi,
       a.category, a.primary_pollutants, a.version AS aqi_version, w.observed_at AS water_at, w.water_class,
       w.class_parameter
FROM stations s
LEFT JOIN LATERAL (SELECT h.* FROM air_aqi_hourly h WHERE s.kind = 'air' AND h.station_id = s.id
                   ORDER BY h.observed_at DESC LIMIT 1) a ON true
LEFT JOIN LATERAL (SELECT r.observed_at, r.water_class, r.class_parameter FROM water_readings r WHERE s.kind = 'water'
                   AND r.station_id = s.id ORDER BY r.observed_at DESC LIMIT 1) w ON true
WHERE {where}
ORDER BY s.kind, s.code"""
# The STATION columns of the latest AQI (air) or water class (water).
LATEST = ("aqi_at", "aqi", "category", "primary_pollutants", "aqi_version", "water_at", "water_class",
          "class_parameter")

AIR_DATA = """
SELECT min(day) AS first_day, max(day) AS last_day, count(*) AS days, coalesce(sum(hours), 0) AS hours
FROM air_daily WHERE station_id = %s"""
WATER_DATA = """
SELECT min(observed_at) AS first, max(observed_at) AS last, count(*) AS readings
FROM water_readings WHERE station_id = %s"""
DATASET = "SELECT id, title, licence, attribution, source_url, synthetic FROM datasets WHERE id = %s"
LATEST_WATER = "SELECT water_class, class_parameter FROM water_readings WHERE station_id = %s AND observed_at = %s"
# A reading older than this is stale: pages, popups and the API say so.
STALE_AFTER = timedelta(days=1)
LATEST_READING = {"air": "SELECT max(observed_at) FROM air_readings WHERE station_id = %s",
                  "water": "SELECT max(observed_at) FROM water_readings WHERE station_id = %s"}


def freshness(observed_at: datetime, now: datetime | None = None) -> dict:
    """A reading's local time (Asia/Shanghai, to the minute), its age in seconds and whether it is stale."""
    age = (now or datetime.now(UTC)) - observed_at
    return {"observed_local": observed_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M"),
            "age_s": max(int(age.total_seconds()), 0), "stale": age > STALE_AFTER}


def _latest(kind: str, r: dict) -> dict | None:
    """The latest AQI (air) or water class (water) of a station, with its scale named."""
    if kind == "air" and r["aqi_at"] is not None:
        cat = aqi.CATEGORIES[r["category"] - 1] if r["category"] else None
        return {"observed_at": r["aqi_at"].astimezone(BEIJING).isoformat(), **freshness(r["aqi_at"]), "aqi": r["aqi"],
                "category": r["category"], "category_zh": cat.name_zh if cat else None,
                "category_en": cat.name_en if cat else None, "colour": cat.colour if cat else None,
                "primary_pollutants": r["primary_pollutants"], "scale": aqi.scale_name(r["aqi_version"])}
    if kind == "water" and r["water_at"] is not None:
        return {"observed_at": r["water_at"].astimezone(BEIJING).isoformat(), **freshness(r["water_at"]),
                "water_class": r["water_class"], "class_parameter": r["class_parameter"],
                "colour": water.COLOURS.get(r["water_class"]) if r["water_class"] else None,
                "scale": water.SCALE_NAME}
    return None


def _station(row: dict) -> dict:
    """A STATION row as the station and its latest AQI or water class."""
    latest = {k: row.pop(k) for k in LATEST}
    return row | {"latest": _latest(row["kind"], latest)}


def stations(conn: psycopg.Connection, kind: str | None) -> list[dict]:
    """Every station (or those of one kind) with its latest AQI or water class."""
    found = rows.dicts(conn, STATION.format(where="(%(kind)s::text IS NULL OR s.kind = %(kind)s)"), {"kind": kind})
    return [_station(r) for r in found]


def find(conn: psycopg.Connection, station_id: int) -> dict:
    """One station with its latest AQI or water class, or NotFound."""
    row = rows.first(conn, STATION.format(where="s.id = %(id)s"), {"id": station_id}) if station_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"no station with id {station_id}")
    return _station(row)


def _iso(value):
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).isoformat()
    return value.isoformat() if value is not None else None


def station(conn: psycopg.Connection, station_id: int) -> dict:
    """One station: where it is, its latest AQI or class, the span of its data and its data set."""
    body = find(conn, station_id)
    air = body["kind"] == "air"
    data = rows.aggregate_dict(conn, AIR_DATA if air else WATER_DATA, (station_id,))
    body["data"] = {k: _iso(v) if isinstance(v, date) else v for k, v in data.items()} | {
        "units": AIR_UNITS if air else WATER_UNITS}
    body["dataset"] = rows.first(conn, DATASET, (body["dataset_id"],))
    return body


@dataclass(frozen=True)
class Series:
    """A station's readings over [lo, hi): `rows` is the JSON arrays of `fields`, comma-separated."""

    station: dict
    interval: str
    lo: datetime
    hi: datetime
    count: int
    rows: str
    units: dict[str, str]
    fields: list[str]

    @property
    def first_day(self) -> date:
        """The Beijing day the series starts on."""
        return _first_day(self.lo)

    @property
    def last_day(self) -> date:
        """The last Beijing day the series covers."""
        return _last_day(self.hi)

    def head(self) -> dict:
        """Everything of the JSON answer but the rows."""
        span = ({"from": self.first_day.isoformat(), "to": self.last_day.isoformat()} if self.interval == "day"
                else {"from": self.lo.astimezone(BEIJING).isoformat(),
                      "before": self.hi.astimezone(BEIJING).isoformat()})
        head = {"station": self.station, "interval": self.interval, **span,
                "timezone": "Asia/Shanghai (UTC+08:00)", "units": self.units, "count": self.count}
        if self.station["kind"] == "air":
            head["categories"] = [{"level": k.level, "name_zh": k.name_zh, "name_en": k.name_en,
                                   "colour": k.colour} for k in aqi.CATEGORIES]
            head["scales"] = {v: aqi.scale_name(v) for v in aqi.VERSIONS}
        head["fields"] = self.fields
        return head


def window(conn: psycopg.Connection, station: dict, interval: str, lo: datetime | None,
           hi: datetime | None) -> tuple[datetime, datetime]:
    """[lo, hi) from the given ends; missing ends default to a span ending at the station's latest data."""
    default, limit = SPAN[interval]
    if lo is None and hi is None:
        latest = rows.aggregate(conn, LATEST_READING[station["kind"]], (station["id"],))[0]
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


def readings(conn: psycopg.Connection, station_id: int, interval: str, lo: datetime | None,
             hi: datetime | None) -> Series:
    """Hourly readings with AQI (interval=hour), or daily means with coverage and daily AQI (interval=day)."""
    found = find(conn, station_id)
    del found["latest"]
    if found["kind"] == "water" and interval == "day":
        raise Invalid("water stations have their readings as measured: use interval=hour")
    lo, hi = window(conn, found, interval, lo, hi)
    params = series.params() | {"id": station_id, "lo": lo, "hi": hi, "dlo": _first_day(lo),
                                "dhi": _last_day(hi) + timedelta(days=1)}
    if found["kind"] == "water":
        count, text = rows.aggregate(conn, WATER, params)
        units, fields = WATER_UNITS, series.WATER_FIELDS
    elif interval == "hour":
        count, text = _hours(conn, params, lo, hi)
        units, fields = AIR_UNITS, series.HOUR_FIELDS
    else:
        count, text = rows.aggregate(conn, DAYS, params)
        units, fields = AIR_UNITS, series.DAY_FIELDS
    return Series(found, interval, lo, hi, count, text, units, fields)


def _first_day(lo: datetime) -> date:
    """The Beijing day holding `lo`."""
    return lo.astimezone(BEIJING).date()


def _last_day(hi: datetime) -> date:
    """The last Beijing day before `hi`."""
    return (hi - timedelta(microseconds=1)).astimezone(BEIJING).date()


def _midnight(at: datetime, up: bool) -> datetime:
    """The Beijing midnight at or after (up) / at or before `at`."""
    local = at.astimezone(BEIJING)
    floor = datetime.combine(local.date(), time(), BEIJING)
    return floor + timedelta(days=1) if up and floor < local else floor


def _hours(conn: psycopg.Connection, params: dict, lo: datetime, hi: datetime) -> tuple[int, str]:
    """(count, JSON rows) of the hours in [lo, hi): whole days from the rollups, the edges formatted live."""
    d1, d2 = _midnight(lo, up=True), _midnight(hi, up=False)
    if d1 >= d2:
        count, text = rows.aggregate(conn, HOURS_LIVE, params)
        return count, text
    parts = []
    if lo < d1:
        parts.append(rows.aggregate(conn, HOURS_LIVE, params | {"hi": d1}))
    parts.append(rows.aggregate(conn, HOURS_DONE, params | {"d1": d1.date(), "d2": d2.date()}))
    if d2 < hi:
        parts.append(rows.aggregate(conn, HOURS_LIVE, params | {"lo": d2}))
    return sum(n for n, _ in parts), ",".join(text for _, text in parts if text)


PAGE_SPAN = {"air": "SELECT min(observed_at), max(observed_at) FROM air_readings WHERE station_id = %s",
             "water": "SELECT min(observed_at), max(observed_at) FROM water_readings WHERE station_id = %s"}
PAGE = """
SELECT id, code, kind, name_zh, name_en, ST_X(geom) AS lon, ST_Y(geom) AS lat, synthetic, coords_approximate,
       dataset_id FROM stations WHERE id = %s"""


def page(conn: psycopg.Connection, station_id: int) -> dict | None:
    """A station for its web page, with the first and last time of its readings; None when there is none."""
    st = rows.first(conn, PAGE, (station_id,)) if station_id <= MAX_ID else None
    if st is None:
        return None
    first, last = rows.aggregate(conn, PAGE_SPAN[st["kind"]], (station_id,))
    latest = freshness(last) if last else None
    if latest and st["kind"] == "water":  # the latest GB 3838 class and the parameter that set it
        found = rows.first(conn, LATEST_WATER, (station_id, last))
        latest |= (found or {}) | {"scale": water.SCALE_NAME}
    return st | {"first": first.isoformat() if first else None, "last": last.isoformat() if last else None,
                 "latest": latest}
