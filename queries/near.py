"""What lies around a point: facilities within a radius, the nearest air and water stations, the local bureau."""

from __future__ import annotations

import math

import psycopg

from core.errors import Invalid
from geo import datum
from layers.factories import VISIBLE
from queries import rows
from queries.search import SYNTHETIC
from queries.stations import freshness

RADII = (1000, 3000, 5000, 10000)
MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
# Outside the mainland 12369 complaint system: no bureau is named for these.
NO_BUREAU = {"710000", "810000", "820000"}
HOTLINE = "12369"
# Stations farther than this (metres) are not called near: the answer names the closest one with its distance.
WITHIN_M = {"air": 50_000, "water": 100_000}

FACILITIES = f"""
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
SELECT f.id, f.name_zh, f.name_en, f.industry, ST_Distance(f.geom::geography, p.g::geography) AS distance_m,
       f.violation_count, f.latest_violation, f.worst_status, f.key_monitored, {SYNTHETIC} AS synthetic,
       ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat, count(*) OVER () AS total
FROM facilities f CROSS JOIN p
LEFT JOIN companies c ON c.id = f.company_id
WHERE f.geom && ST_Expand(p.g, %(dx)s, %(dy)s) AND {VISIBLE}
  AND ST_DWithin(f.geom::geography, p.g::geography, %(radius)s)
ORDER BY distance_m, f.id
LIMIT %(limit)s"""

# The three nearest stations of a kind first, then each one's latest reading (newest row by the primary key);
# the reading's columns are named latest_*.
STATION = """
SELECT s.id, s.code, s.name_zh, s.name_en, {extra} s.area_code, s.coords_approximate, s.synthetic,
       ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, s.distance_m, {reading}
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
LATEST = "latest_"
AIR_READING = {name: f"r.{name}" for name in ("observed_at", "pm25", "pm10", "so2", "no2", "co", "o3", "temp",
                                                "pres", "dewp", "rain", "wd", "wspm")} | {
    "aqi": "a.aqi", "aqi_category": "a.category", "primary_pollutants": "a.primary_pollutants",
    "dataset_id": "r.dataset_id"}
WATER_READING = {name: f"r.{name}" for name in ("observed_at", "ph", "do_mg", "codmn", "nh3n", "tp", "tn",
                                                  "turbidity", "conductivity", "water_class", "synthetic",
                                                  "dataset_id")}
AIR_UNITS = {"pm25": "µg/m3", "pm10": "µg/m3", "so2": "µg/m3", "no2": "µg/m3", "co": "mg/m3", "o3": "µg/m3",
             "temp": "°C", "pres": "hPa", "dewp": "°C", "rain": "mm", "wspm": "m/s"}


def _reading(columns: dict[str, str]) -> str:
    return ", ".join(f"{expr} AS {LATEST}{name}" for name, expr in columns.items())


AIR = STATION.format(
    extra="", table="air_readings", reading=_reading(AIR_READING),
    join="LEFT JOIN air_aqi_hourly a ON a.station_id = s.id AND a.observed_at = r.observed_at")
WATER = STATION.format(extra="s.water_body_type,", table="water_readings", reading=_reading(WATER_READING),
                       join="")

PROVINCE = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g)
(SELECT a.code, a.name_zh, a.name_en, true AS inside FROM admin_areas a, p
 WHERE a.level = 'province' AND ST_Intersects(a.geom, p.g) ORDER BY a.code LIMIT 1)
UNION ALL
(SELECT a.code, a.name_zh, a.name_en, false FROM admin_areas a, p
 WHERE a.level = 'province' AND a.geom && ST_Expand(p.g, 0.5)
   AND ST_DWithin(a.geom::geography, p.g::geography, 30000)
 ORDER BY ST_Distance(a.geom::geography, p.g::geography), a.code LIMIT 1)
LIMIT 1"""
# The prefecture and county holding the point, where those levels are loaded (their parent chain up to the province).
LOCAL = """
SELECT a.code, a.level, a.name_zh, a.name_en, a.parent_code FROM admin_areas a
WHERE a.level IN ('prefecture', 'county') AND a.geom && ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326)
  AND ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326))
ORDER BY CASE a.level WHEN 'county' THEN 0 ELSE 1 END, a.code"""

def _station(row: dict) -> dict:
    """A STATION row with its latest reading (None when it has none) apart."""
    reading = {k.removeprefix(LATEST): row.pop(k) for k in [k for k in row if k.startswith(LATEST)]}
    if reading["observed_at"] is None:
        row["latest"] = None
    else:
        reading |= freshness(reading["observed_at"])
        reading["observed_at"] = reading["observed_at"].isoformat()
        row["latest"] = reading
    row["distance_m"] = round(row["distance_m"], 1)
    return row


def bureau(row: dict | None, local: list[dict] | tuple = ()) -> dict | None:
    """The environmental authorities for an admin area row (code, names, inside): the provincial one, 12369, and
    the prefecture's and county's bureaus (`local`, county first) where those levels are known."""
    if row is None:
        return None
    code, name_zh, name_en = row["code"], row["name_zh"], row["name_en"]
    out = {"area_code": code, "province_zh": name_zh, "province_en": name_en, "inside": row["inside"]}
    if code in NO_BUREAU or not name_zh:
        return out | {"bureau_zh": None, "bureau_en": None, "hotline": None, "local": [],
                      "note": "outside the mainland 12369 environmental complaint system"}
    city = name_zh in MUNICIPALITIES
    return out | {
        "bureau_zh": f"{name_zh}生态环境{'局' if city else '厅'}",
        "bureau_en": f"{name_en} {'Bureau' if city else 'Department'} of Ecology and Environment",
        "hotline": HOTLINE,
        "local": _local_bureaus(row if city else None, local),
    }


def _short(name: str, suffixes: str) -> str:
    """A county's name without its last character when that is one of `suffixes` (萧山区 -> 萧山)."""
    return name[:-1] if len(name) > 2 and name[-1] in suffixes else name


def _local_bureaus(municipality: dict | None, local: list[dict] | tuple) -> list[dict]:
    """Bureaus of the county (a branch of its prefecture's bureau, 杭州市生态环境局萧山分局) and the prefecture."""
    prefecture = next((a for a in local if a["level"] == "prefecture"), None)
    parent = prefecture or municipality
    out = []
    for a in local:
        zh, en = a["name_zh"] or a["name_en"], a["name_en"] or a["name_zh"]
        if a["level"] == "county" and parent is not None:
            p_zh, p_en = parent["name_zh"] or parent["name_en"], parent["name_en"] or parent["name_zh"]
            b_zh = f"{p_zh}生态环境局{_short(zh, '区县市旗')}分局"
            b_en = f"{_short_en(en)} Branch, {_short_en(p_en)} Bureau of Ecology and Environment"
        else:
            b_zh, b_en = f"{zh}生态环境局", f"{_short_en(en)} Bureau of Ecology and Environment"
        out.append({"level": a["level"], "area_code": a["code"], "area_zh": zh, "area_en": en,
                    "bureau_zh": b_zh, "bureau_en": b_en})
    return out


def _short_en(name: str) -> str:
    """An English area name without a trailing Shi/Qu/Xian/City/District/County word."""
    head, _, last = name.rpartition(" ")
    return head if head and last.lower() in ("shi", "qu", "xian", "city", "district", "county") else name


def _stations(found: list[dict], within: int) -> tuple[list[dict], dict | None]:
    """The stations within `within` metres, and the closest one when none is that near."""
    near = [s for s in found if s["distance_m"] <= within]
    return near, (found[0] if found and not near else None)


def _point(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """The point in WGS84, refused when it lies outside China."""
    if not datum.in_china_bbox(lon, lat):
        w, s, e, n = datum.CHINA_BBOX
        raise Invalid(f"point ({lon}, {lat}) is outside China (lon {w}..{e}, lat {s}..{n})")
    return datum.to_wgs84(lon, lat, crs)


def near(conn: psycopg.Connection, lon: float, lat: float, crs: str, radius: int, limit: int,
         within: dict[str, int] | None = None) -> dict:
    """Facilities within `radius` metres of a point (in `crs`), the stations within `within` metres per kind (or
    the closest one when none is), and the local bureaus."""
    if radius not in RADII:
        raise Invalid(f"radius_m must be one of {', '.join(map(str, RADII))}, not {radius!r}")
    within = WITHIN_M | (within or {})
    lon, lat = _point(lon, lat, crs)
    # Degrees that safely cover the radius at this latitude, for the index prefilter.
    dy = radius / 110_000 * 1.05
    dx = radius / (111_320 * max(math.cos(math.radians(lat)), 0.01)) * 1.05
    params = {"lon": lon, "lat": lat, "radius": radius, "dx": dx, "dy": dy, "limit": limit}
    facilities = rows.dicts(conn, FACILITIES, params)
    air, air_closest = _stations([_station(r) for r in rows.dicts(conn, AIR, params | {"kind": "air"})],
                                 within["air"])
    water, water_closest = _stations([_station(r) for r in rows.dicts(conn, WATER, params | {"kind": "water"})],
                                     within["water"])
    province = rows.first(conn, PROVINCE, params)
    local = rows.dicts(conn, LOCAL, params) if province and province["inside"] else []
    count = facilities[0]["total"] if facilities else 0
    for f in facilities:
        del f["total"]
        f["distance_m"] = round(f["distance_m"], 1)
        f["latest_violation"] = _iso(f["latest_violation"])
    return {
        "point": {"lon": lon, "lat": lat, "crs": "wgs84", "input_crs": crs},
        "radius_m": radius,
        "count": count,
        "truncated": count > len(facilities),
        "facilities": facilities,
        "station_within_m": {"air": within["air"], "water": within["water"]},
        "air_stations": air,
        "air_closest": air_closest,
        "air_units": AIR_UNITS,
        "water_stations": water,
        "water_closest": water_closest,
        "bureau": bureau(province, local),
    }


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
