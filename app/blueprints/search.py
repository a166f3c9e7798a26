"""Company and facility search (names, USCCs, legacy ids) and what lies around a point."""

from __future__ import annotations

import math

from flask import Blueprint, jsonify, request

from app import db
from app.errors import BadRequest
from geo import datum
from standards import uscc

bp = Blueprint("search", __name__, url_prefix="/api")

RADII = (1000, 3000, 5000, 10000)
MAX_QUERY = 200
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
# Outside the mainland 12369 complaint system: no bureau is named for these.
NO_BUREAU = {"710000", "810000", "820000"}
HOTLINE = "12369"

# A facility's synthetic flag: its own, or any synthetic value shown with it (Chinese name, USCC, records).
SYNTHETIC = """(f.synthetic OR coalesce(c.synthetic, false)
    OR coalesce((f.attrs->>'name_zh_synthetic')::boolean, false)
    OR coalesce((f.attrs->>'uscc_synthetic')::boolean, false)
    OR (f.violation_count > 0 AND f.violations_synthetic))"""

RESULT = f"""
    SELECT f.id, f.name_zh, f.name_en, f.industry, c.uscc, f.area_code, ST_X(f.geom), ST_Y(f.geom),
           f.violation_count, {SYNTHETIC}, f.dataset_id, d.licence
    FROM hits h JOIN facilities f ON f.id = h.id
    LEFT JOIN companies c ON c.id = f.company_id
    JOIN datasets d ON d.id = f.dataset_id
    ORDER BY h.exact DESC, h.prefix DESC, h.sim DESC, f.violation_count DESC, f.id"""
RESULT_KEYS = ("id", "name_zh", "name_en", "industry", "uscc", "area_code", "lon", "lat", "violation_count",
               "synthetic", "dataset_id", "licence")

# Substring predicates written so the trigram indexes on name_zh and lower(name_en) can answer them; ranked
# exact name first, then prefix, then trigram similarity of the name(s) that contain q, then violation count.
# (OFFSET 0 keeps the inner query apart, so each LIKE runs once per row; similarity is the costly part.)
BY_NAME = """
WITH hits AS (
    SELECT m.id,
           (m.zh AND m.name_zh = %(q)s) OR (m.en AND lower(m.name_en) = lower(%(q)s)) AS exact,
           (m.zh AND m.name_zh LIKE %(esc)s || '%%')
               OR (m.en AND lower(m.name_en) LIKE lower(%(esc)s) || '%%') AS prefix,
           coalesce(greatest(CASE WHEN m.zh THEN similarity(m.name_zh, %(q)s) END,
                             CASE WHEN m.en THEN similarity(m.name_en, %(q)s) END), 0) AS sim
    FROM (
        SELECT f.id, f.name_zh, f.name_en, f.violation_count,
               coalesce(f.name_zh LIKE '%%' || %(esc)s || '%%', false) AS zh,
               coalesce(lower(f.name_en) LIKE '%%' || lower(%(esc)s) || '%%', false) AS en
        FROM facilities f
        WHERE f.name_zh LIKE '%%' || %(esc)s || '%%' OR lower(f.name_en) LIKE '%%' || lower(%(esc)s) || '%%'
        OFFSET 0
    ) m
    ORDER BY exact DESC, prefix DESC, sim DESC, m.violation_count DESC, m.id
    LIMIT %(limit)s
)""" + RESULT

# Identifier matches are all exact: ranked by violation count.
_BY_ID = """
WITH hits AS (
    SELECT f.id, true AS exact, true AS prefix, 1.0::real AS sim
    FROM {source} JOIN facilities f ON f.company_id = c.id
    WHERE {where}
    ORDER BY f.violation_count DESC, f.id
    LIMIT %(limit)s
)""" + RESULT
BY_USCC = _BY_ID.format(source="companies c", where="c.uscc = %(code)s::bpchar")
BY_ALT_ID = _BY_ID.format(source="company_alt_ids a JOIN companies c ON c.id = a.company_id",
                          where="a.kind = %(kind)s AND a.value = ANY(%(codes)s)")


def like_escape(text: str) -> str:
    """`text` with LIKE's wildcards (and the escape character) escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter within lo..hi, else BadRequest."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer from {lo} to {hi}, not {raw!r}") from None
    if not lo <= value <= hi:
        raise BadRequest(f"{name} must be an integer from {lo} to {hi}, not {value}")
    return value


def float_arg(name: str) -> float:
    """A required finite number query parameter, else BadRequest."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        raise BadRequest(f"{name} is required")
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value):
        raise BadRequest(f"{name} must be a finite number, not {raw!r}")
    return value


def _rows(cur) -> list[dict]:
    return [dict(zip(RESULT_KEYS, r, strict=True)) for r in cur]


@bp.get("/search")
def search():
    """Facilities by USCC (or legacy registration number / organisation code), else by name substring."""
    q = (request.args.get("q") or "").strip()
    if not q:
        raise BadRequest("q is required (at least 1 character)")
    if len(q) > MAX_QUERY:
        raise BadRequest(f"q is too long ({len(q)} characters; at most {MAX_QUERY})")
    if "\x00" in q:
        raise BadRequest("q cannot contain NUL characters")
    limit = int_arg("limit", 20, 1, 100)
    kind = uscc.kind_of(q)
    with db.conn() as c:
        if kind == "uscc":
            try:
                code = uscc.validate(uscc.normalise(q))
            except uscc.InvalidUSCC as exc:
                raise BadRequest(str(exc)) from None
            results = _rows(c.execute(BY_USCC, {"code": code, "limit": limit}))
            return jsonify({"query": q, "kind": "uscc", "results": results})
        if kind in ("registration_no", "organisation_code"):
            code = uscc.normalise(q)
            # Legacy ids are stored as published: plain, or (organisation codes) as XXXXXXXX-X.
            codes = list(dict.fromkeys([q, code] + ([f"{code[:8]}-{code[8:]}"] if len(code) == 9 else [])))
            params = {"kind": kind, "codes": codes, "limit": limit}
            results = _rows(c.execute(BY_ALT_ID, params))
            if results:
                return jsonify({"query": q, "kind": kind, "results": results})
        # prepare=False: the best plan depends on the pattern, so never reuse a generic one.
        params = {"q": q, "esc": like_escape(q), "limit": limit}
        results = _rows(c.execute(BY_NAME, params, prepare=False))
    return jsonify({"query": q, "kind": "name", "results": results})


NEAR = f"""
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT f.id, f.name_zh, f.name_en, f.industry, ST_Distance(f.geom::geography, p.g::geography) AS distance_m,
       f.violation_count, f.latest_violation, f.worst_status, f.key_monitored, {SYNTHETIC},
       ST_X(f.geom), ST_Y(f.geom), count(*) OVER ()
FROM facilities f CROSS JOIN p
LEFT JOIN companies c ON c.id = f.company_id
WHERE f.geom && ST_Expand(p.g, %(dx)s, %(dy)s)
  AND ST_DWithin(f.geom::geography, p.g::geography, %(radius)s)
ORDER BY distance_m, f.id
LIMIT %(limit)s"""
NEAR_KEYS = ("id", "name_zh", "name_en", "industry", "distance_m", "violation_count", "latest_violation",
             "worst_status", "key_monitored", "synthetic", "lon", "lat")

# The three nearest stations of a kind first, then each one's latest reading (newest row by the primary key).
STATION = """
SELECT s.id, s.code, s.name_zh, s.name_en, {extra} s.area_code, s.coords_approximate, s.synthetic,
       ST_X(s.geom), ST_Y(s.geom), s.distance_m, {reading}
FROM (
    SELECT s.*, ST_Distance(s.geom::geography,
                            ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)::geography) AS distance_m
    FROM stations s WHERE s.kind = %(kind)s
    ORDER BY distance_m, s.id
    LIMIT 3
) s
LEFT JOIN LATERAL (
    SELECT * FROM {table} r WHERE r.station_id = s.id ORDER BY r.observed_at DESC LIMIT 1
) r ON true
{join}
ORDER BY s.distance_m, s.id"""
STATION_KEYS = ("id", "code", "name_zh", "name_en", "area_code", "coords_approximate", "synthetic", "lon",
                "lat", "distance_m")
AIR_COLUMNS = ("observed_at", "pm25", "pm10", "so2", "no2", "co", "o3", "temp", "pres", "dewp", "rain", "wd",
               "wspm", "aqi", "aqi_category", "primary_pollutants", "dataset_id")
AIR_UNITS = {"pm25": "µg/m3", "pm10": "µg/m3", "so2": "µg/m3", "no2": "µg/m3", "co": "mg/m3", "o3": "µg/m3",
             "temp": "°C", "pres": "hPa", "dewp": "°C", "rain": "mm", "wspm": "m/s"}
WATER_COLUMNS = ("observed_at", "ph", "do_mg", "codmn", "nh3n", "tp", "tn", "turbidity", "conductivity",
                 "water_class", "synthetic", "dataset_id")
AIR = STATION.format(
    extra="", table="air_readings",
    reading="r.observed_at, r.pm25, r.pm10, r.so2, r.no2, r.co, r.o3, r.temp, r.pres, r.dewp, r.rain, r.wd, "
            "r.wspm, a.aqi, a.category, a.primary_pollutants, r.dataset_id",
    join="LEFT JOIN air_aqi_hourly a ON a.station_id = s.id AND a.observed_at = r.observed_at")
WATER = STATION.format(
    extra="s.water_body_type,", table="water_readings",
    reading="r.observed_at, r.ph, r.do_mg, r.codmn, r.nh3n, r.tp, r.tn, r.turbidity, r.conductivity, "
            "r.water_class, r.synthetic, r.dataset_id",
    join="")

PROVINCE = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
(SELECT a.code, a.name_zh, a.name_en, true FROM admin_areas a, p
 WHERE a.level = 'province' AND ST_Intersects(a.geom, p.g) ORDER BY a.code LIMIT 1)
UNION ALL
(SELECT a.code, a.name_zh, a.name_en, false FROM admin_areas a, p
 WHERE a.level = 'province' AND a.geom && ST_Expand(p.g, 0.5)
   AND ST_DWithin(a.geom::geography, p.g::geography, 30000)
 ORDER BY ST_Distance(a.geom::geography, p.g::geography), a.code LIMIT 1)
LIMIT 1"""


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _station(row: tuple, columns: tuple[str, ...], kind: str) -> dict:
    keys = STATION_KEYS if kind == "air" else STATION_KEYS[:4] + ("water_body_type",) + STATION_KEYS[4:]
    out = dict(zip(keys, row[:len(keys)], strict=True))
    reading = dict(zip(columns, row[len(keys):], strict=True))
    if reading["observed_at"] is None:
        out["latest"] = None
    else:
        reading["observed_at"] = reading["observed_at"].isoformat()
        out["latest"] = reading
    out["distance_m"] = round(out["distance_m"], 1)
    return out


def bureau(row: tuple | None) -> dict | None:
    """The provincial environmental authority responsible for an admin area row (code, zh, en, inside)."""
    if row is None:
        return None
    code, name_zh, name_en, inside = row
    out = {"area_code": code, "province_zh": name_zh, "province_en": name_en, "inside": inside}
    if code in NO_BUREAU or not name_zh:
        return out | {"bureau_zh": None, "bureau_en": None, "hotline": None,
                      "note": "outside the mainland 12369 environmental complaint system"}
    city = name_zh in MUNICIPALITIES
    return out | {
        "bureau_zh": f"{name_zh}生态环境{'局' if city else '厅'}",
        "bureau_en": f"{name_en} {'Bureau' if city else 'Department'} of Ecology and Environment",
        "hotline": HOTLINE,
    }


@bp.get("/near")
def near():
    """Facilities within a radius of a point, the nearest air and water stations, and the local bureau."""
    lon, lat = float_arg("lon"), float_arg("lat")
    crs = (request.args.get("crs") or "wgs84").strip().lower()
    if crs not in datum.DATUMS:
        raise BadRequest(f"crs must be one of {', '.join(datum.DATUMS)}, not {crs!r}")
    if not datum.in_china_bbox(lon, lat):
        w, s, e, n = datum.CHINA_BBOX
        raise BadRequest(f"point ({lon}, {lat}) is outside China (lon {w}..{e}, lat {s}..{n})")
    raw = request.args.get("radius_m", "")
    try:
        radius = int(raw)
    except ValueError:
        radius = None
    if radius not in RADII:
        raise BadRequest(f"radius_m must be one of {', '.join(map(str, RADII))}, not {raw!r}")
    limit = int_arg("limit", 500, 1, 1000)
    lon, lat = datum.to_wgs84(lon, lat, crs)
    # Degrees that safely cover the radius at this latitude, for the index prefilter.
    dy = radius / 110_000 * 1.05
    dx = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01)) * 1.05
    params = {"lon": lon, "lat": lat, "radius": radius, "dx": dx, "dy": dy, "limit": limit}
    with db.conn() as c:
        rows = c.execute(NEAR, params).fetchall()
        air = [_station(r, AIR_COLUMNS, "air") for r in c.execute(AIR, params | {"kind": "air"})]
        water = [_station(r, WATER_COLUMNS, "water") for r in c.execute(WATER, params | {"kind": "water"})]
        province = c.execute(PROVINCE, params).fetchone()
    facilities = []
    for r in rows:
        f = dict(zip(NEAR_KEYS, r[:len(NEAR_KEYS)], strict=True))
        f["distance_m"] = round(f["distance_m"], 1)
        f["latest_violation"] = _iso(f["latest_violation"])
        facilities.append(f)
    count = rows[0][-1] if rows else 0
    return jsonify({
        "point": {"lon": lon, "lat": lat, "crs": "wgs84", "input_crs": crs},
        "radius_m": radius,
        "count": count,
        "truncated": count > len(facilities),
        "facilities": facilities,
        "air_stations": air,
        "air_units": AIR_UNITS,
        "water_stations": water,
        "bureau": bureau(province),
    })
