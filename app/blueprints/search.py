"""Company and facility search (names, USCCs, legacy ids) and what lies around a point."""

from __future__ import annotations

import functools
import math
import re
import time

from flask import Blueprint, jsonify, request

from app import db
from core.errors import Invalid
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
    ORDER BY h.tier, f.violation_count DESC, f.id"""
RESULT_KEYS = ("id", "name_zh", "name_en", "industry", "uscc", "area_code", "lon", "lat", "violation_count",
               "synthetic", "dataset_id", "licence")

# Matches of one rank that are ranked by violation count: past this many a rank is too broad to read in full,
# and its first CAP matches are ranked instead (in name order for equal and prefix; for contains in id order
# or in the order the index lists them, see below). Each row read costs about a microsecond.
CAP = 500
# A name search whose matches are estimated at this fraction of all facilities or more walks the table in id
# order and stops at the CAP-th match (CAP / SCAN_FRACTION rows at most); rarer ones read what the indexes
# list (SCAN_FRACTION of all facilities at most).
SCAN_FRACTION = 0.03
# Grams of a query that the GIN index is asked for: the rarest, and any other in at most this fraction of
# names (intersecting with a gram of every name, like 有限, costs more than rechecking a few more rows).
RARE_GRAM = 0.01
GRAM_STATS_TTL = 600.0  # seconds between reads of the gram statistics (pg_stats)

# Name search in three ranks: the whole name equals q, the name starts with q, the name contains q; within a
# rank the facilities with more violation records first, then by id. Each rank is a query of its own that
# stops after CAP rows, so no plan reads every match of a broad query ("有限公司" is in every name):
# - equal and prefix: b-trees in pattern order (facilities_name_*_pattern) answer both;
# - contains, Chinese name: the GIN index of 1- and 2-character grams lists the names holding q's rarest
#   grams, and strpos rechecks the substring; when q is common (as the planner estimates from the gram
#   statistics) the table is walked in id order instead, up to the CAP-th match;
# - contains, English name (queries without CJK characters; lower-cased): the trigram index when q has a
#   run of 3 letters or digits, else the name must start with q (pg_trgm has no index answer for shorter).
# Each rank's LIMIT applies before the join that fetches the output columns (20 rows, not 3 x CAP).
_BY_NAME = """
WITH equal AS MATERIALIZED (
    SELECT f.id, f.violation_count, 0 AS tier FROM facilities f
    WHERE f.name_zh = %(q)s{en_equal}
    LIMIT %(cap)s
), prefix AS MATERIALIZED (
    SELECT f.id, f.violation_count, 1 AS tier FROM facilities f
    WHERE f.name_zh LIKE %(esc)s || '%%'{en_prefix}
    LIMIT %(cap)s
), contains AS MATERIALIZED (
    SELECT f.id, f.violation_count, 2 AS tier FROM facilities f
    WHERE {contains}{order}
    LIMIT %(cap)s
), hits AS (
    SELECT * FROM (
        SELECT DISTINCT ON (m.id) m.id, m.tier, m.violation_count
        FROM (SELECT * FROM equal UNION ALL SELECT * FROM prefix UNION ALL SELECT * FROM contains) m
        ORDER BY m.id, m.tier
    ) u
    ORDER BY u.tier, u.violation_count DESC, u.id
    LIMIT %(limit)s
)""" + RESULT
EN_EQUAL = " OR lower(f.name_en) = lower(%(q)s)"
EN_PREFIX = " OR lower(f.name_en) LIKE lower(%(esc)s) || '%%'"
EN_CONTAINS = " OR lower(f.name_en) LIKE '%%' || lower(%(esc)s) || '%%'"
# The Chinese name holds q: by the gram index (strpos first: in a filter it is the cheap test), or by reading.
ZH_INDEXED = "(strpos(f.name_zh, %(q)s) > 0 AND name_grams(f.name_zh) @> %(grams)s::text[])"
ZH_SCANNED = "strpos(f.name_zh, %(q)s) > 0"
# For the planner's estimate of the facilities holding every gram of q (or its English substring).
ESTIMATE = "SELECT 1 FROM facilities f WHERE name_grams(f.name_zh) @> %(all_grams)s::text[]"
GRAM_STATS = """
SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
WHERE schemaname = current_schema() AND tablename = 'facilities_name_zh_grams'"""


@functools.cache
def by_name(english: bool, trigram: bool, scan: bool) -> str:
    """The name search: English name searched or not, English substring indexable or not, read or indexed."""
    en_contains = (EN_CONTAINS if trigram else EN_PREFIX) if english else ""
    return _BY_NAME.format(en_equal=EN_EQUAL if english else "", en_prefix=EN_PREFIX if english else "",
                           contains=(ZH_SCANNED if scan else ZH_INDEXED) + en_contains,
                           order="\n    ORDER BY f.id" if scan else "")


# Identifier matches are all exact: ranked by violation count.
_BY_ID = """
WITH hits AS (
    SELECT f.id, 0 AS tier
    FROM {source} JOIN facilities f ON f.company_id = c.id
    WHERE {where}
    ORDER BY f.violation_count DESC, f.id
    LIMIT %(limit)s
)""" + RESULT
BY_USCC = _BY_ID.format(source="companies c", where="c.uscc = %(code)s::bpchar")
BY_ALT_ID = _BY_ID.format(source="company_alt_ids a JOIN companies c ON c.id = a.company_id",
                          where="a.kind = %(kind)s AND a.value = ANY(%(codes)s)")

# Latency over throughput: no JIT compilation (tens of ms) and no parallel workers for name searches; random
# reads cost little more than sequential ones (the search indexes and the table are read from memory); a
# table scan starts at the start (not where another scan is), so the same query finds the same CAP rows.
# (With them, how many facilities there are, as of the last ANALYZE.)
LATENCY_SETTINGS = """
SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true),
       set_config('random_page_cost', '1.1', true), set_config('synchronize_seqscans', 'off', true),
       (SELECT reltuples FROM pg_class WHERE oid = 'facilities'::regclass)"""

# Han ideographs (with extensions and compatibility forms), CJK punctuation, kana, Hangul, full-width forms.
CJK = re.compile("[\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
                 "\U00020000-\U0003ffff]")
# A run of 3 letters or digits: enough for pg_trgm to take a trigram from a LIKE '%...%' pattern.
TRIGRAM_RUN = re.compile(r"[^\W_]{3}")


def name_grams(q: str) -> list[str]:
    """The 2-character grams of q (its only character when it has one): what a name holding q holds.

    Mirrors the SQL function name_grams of migration 0003, which also indexes every single character."""
    return sorted({q[i:i + 2] for i in range(len(q) - 1)}) or [q]


class GramStats:
    """How common each gram is (the fraction of names holding it), from ANALYZE's statistics of the index."""

    def __init__(self) -> None:
        self.freqs: dict[str, float] = {}
        self.floor = 0.0  # grams missing from the statistics are rarer than this
        self.read_at = -math.inf

    def refresh(self, conn) -> None:
        if time.monotonic() - self.read_at < GRAM_STATS_TTL:
            return
        row = conn.execute(GRAM_STATS).fetchone()
        elems, freqs = (row[0] or [], row[1] or []) if row else ([], [])
        self.freqs = dict(zip(elems, freqs[:len(elems)], strict=True))
        self.floor = freqs[len(elems)] if len(freqs) > len(elems) else 0.0
        self.read_at = time.monotonic()

    def rarest(self, grams: list[str]) -> list[str]:
        """The grams worth asking the index for: the rarest, and the other rare ones (at most 3 in all)."""
        ranked = sorted(grams, key=lambda g: (self.freqs.get(g, self.floor / 2), g))
        return ranked[:1] + [g for g in ranked[1:3] if self.freqs.get(g, self.floor / 2) <= RARE_GRAM]


GRAMS = GramStats()


def _scan_is_cheaper(conn, params: dict, en_contains: str, facilities: float) -> bool:
    """True when q is so common that walking the table up to the CAP-th match beats the index lists.

    The planner estimates two fractions of the facilities: those holding the grams the index would be asked
    for (what the index path reads) and those holding every gram of q (independent grams assumed, so low for
    set phrases: 热电有限 is 热电 plus a suffix of every name). Walk when the first is large and the second
    is not small (a walk reads CAP / fraction rows)."""
    if facilities < CAP / SCAN_FRACTION:  # small tables: the index, always
        return False
    sql = f"{ESTIMATE}{en_contains} UNION ALL {ESTIMATE.replace('all_grams', 'grams')}{en_contains}"
    plan = conn.execute("EXPLAIN (FORMAT JSON) " + sql, params, prepare=False).fetchone()[0][0]["Plan"]
    every, indexed = (p["Plan Rows"] / facilities for p in plan["Plans"])
    return indexed >= SCAN_FRACTION and every >= SCAN_FRACTION / 4


def like_escape(text: str) -> str:
    """`text` with LIKE's wildcards (and the escape character) escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    """An integer query parameter within lo..hi, else Invalid."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(f"{name} must be an integer from {lo} to {hi}, not {raw!r}") from None
    if not lo <= value <= hi:
        raise Invalid(f"{name} must be an integer from {lo} to {hi}, not {value}")
    return value


def float_arg(name: str) -> float:
    """A required finite number query parameter, else Invalid."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        raise Invalid(f"{name} is required")
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(f"{name} must be a number, not {raw!r}") from None
    if not math.isfinite(value):
        raise Invalid(f"{name} must be a finite number, not {raw!r}")
    return value


def _rows(cur) -> list[dict]:
    return [dict(zip(RESULT_KEYS, r, strict=True)) for r in cur]


@bp.get("/search")
def search():
    """Facilities by USCC (or legacy registration number / organisation code), else by name substring."""
    q = (request.args.get("q") or "").strip()
    if not q:
        raise Invalid("q is required (at least 1 character)")
    if len(q) > MAX_QUERY:
        raise Invalid(f"q is too long ({len(q)} characters; at most {MAX_QUERY})")
    if "\x00" in q:
        raise Invalid("q cannot contain NUL characters")
    limit = int_arg("limit", 20, 1, 100)
    kind = uscc.kind_of(q)
    with db.conn() as c:
        if kind == "uscc":
            try:
                code = uscc.validate(uscc.normalise(q))
            except uscc.InvalidUSCC as exc:
                raise Invalid(str(exc)) from None
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
        # Names hold no CJK characters in English, so a CJK query skips the English name altogether.
        english = not CJK.search(q)
        trigram = english and bool(TRIGRAM_RUN.search(q.lower()))
        grams = name_grams(q)
        facilities = c.execute(LATENCY_SETTINGS).fetchone()[-1]
        GRAMS.refresh(c)
        params = {"q": q, "esc": like_escape(q), "all_grams": grams, "grams": GRAMS.rarest(grams), "cap": CAP,
                  "limit": limit}
        en_contains = (EN_CONTAINS if trigram else EN_PREFIX) if english else ""
        sql = by_name(english, trigram, _scan_is_cheaper(c, params, en_contains, facilities))
        # prepare=False: the best plan depends on the pattern, so never reuse a generic one.
        results = _rows(c.execute(sql, params, prepare=False))
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
        raise Invalid(f"crs must be one of {', '.join(datum.DATUMS)}, not {crs!r}")
    if not datum.in_china_bbox(lon, lat):
        w, s, e, n = datum.CHINA_BBOX
        raise Invalid(f"point ({lon}, {lat}) is outside China (lon {w}..{e}, lat {s}..{n})")
    raw = request.args.get("radius_m", "")
    try:
        radius = int(raw)
    except ValueError:
        radius = None
    if radius not in RADII:
        raise Invalid(f"radius_m must be one of {', '.join(map(str, RADII))}, not {raw!r}")
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
