"""Station series rows as JSON arrays built in SQL: one definition for the API and the daily rollups."""

from __future__ import annotations

from standards import aqi, water

# Calendar days and local times are Asia/Shanghai: UTC+8 without daylight saving since 1991, so a fixed offset
# (much cheaper for PostgreSQL than a zone lookup per row) gives the same dates.
LOCAL = "AT TIME ZONE interval '08:00'"
IAQI_ORDER = ("pm25", "pm10", "so2", "no2", "co", "o3")
IAQI_FIELDS = [f"iaqi_{p}" for p in IAQI_ORDER]
HOUR_FIELDS = ["observed_at", "pm25", "pm10", "so2", "no2", "co", "o3", "aqi", "category", "colour",
               "primary_pollutants", *IAQI_FIELDS, "scale"]
DAY_FIELDS = ["day", "hours", "pm25", "pm10", "so2", "no2", "co", "o3_1h_max", "o3_8h_max", "hours_pm25",
              "hours_pm10", "hours_so2", "hours_no2", "hours_co", "hours_o3", "o3_8h_windows", "aqi",
              "category", "colour", "primary_pollutants", "over_standard", *IAQI_FIELDS, "scale"]
WATER_FIELDS = ["observed_at", "ph", "do_mg", "codmn", "nh3n", "tp", "tn", "turbidity", "conductivity",
                "water_class", "colour", "scale", "synthetic"]


def iso_local(col: str) -> str:
    """SQL: a timestamptz as ISO 8601 text in Beijing time."""
    return f"""to_char({col} {LOCAL}, 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')"""


def colour(t: str) -> str:
    """SQL: the category colour of an AQI row `t` (standards.aqi colours passed as %(colour)s)."""
    return f"(%(colour)s::text[])[{t}.category]"


def scale(t: str) -> str:
    """SQL: the scale name of an AQI row `t`, by its HJ 633 version."""
    return f"(%(scales)s::text[])[array_position(%(versions)s::text[], {t}.version)]"


def _num(expr: str) -> str:
    return f"coalesce(({expr})::text, 'null')"


def _str(expr: str) -> str:  # only for our own strings: no quotes or backslashes in them
    return f"""coalesce('"' || ({expr}) || '"', 'null')"""


def hour_row(r: str, h: str) -> str:
    """SQL: one hour (readings `r`, air_aqi_hourly `h`) as JSON array text in HOUR_FIELDS order.

    Assembled as text: several times faster than json_build_array over a year of hours."""
    parts = [_str(iso_local(f"{r}.observed_at")), *(_num(f"{r}.{p}") for p in IAQI_ORDER), _num(f"{h}.aqi"),
             _num(f"{h}.category"), _str(colour(h)), f"coalesce(to_json({h}.primary_pollutants)::text, '[]')",
             *(f"coalesce({h}.iaqi->>'{p}', 'null')" for p in IAQI_ORDER), _str(scale(h))]
    return "concat('[', " + ", ',', ".join(parts) + ", ']')"


DAY_ROW = f"""json_build_array(
    d.day, d.hours, d.pm25, d.pm10, d.so2, d.no2, d.co, d.o3_1h_max, d.o3_8h_max, d.n_pm25, d.n_pm10, d.n_so2,
    d.n_no2, d.n_co, d.n_o3, d.n_o3_8h, d.aqi, d.category, {colour('d')}, d.primary_pollutants,
    d.over_standard, {", ".join(f"(d.iaqi->>'{p}')::int" for p in IAQI_ORDER)}, {scale('d')})::text"""
WATER_ROW = f"""json_build_array(
    {iso_local('r.observed_at')}, r.ph, r.do_mg, r.codmn, r.nh3n, r.tp, r.tn, r.turbidity, r.conductivity,
    r.water_class, (%(wcolours)s::jsonb)->>r.water_class, %(wscale)s::text, r.synthetic)::text"""


def params() -> dict:
    """The display parameters of the row SQL, from the standards modules (the one source of truth)."""
    import json

    return {"colour": [c.colour for c in aqi.CATEGORIES], "versions": list(aqi.VERSIONS),
            "scales": [aqi.scale_name(v) for v in aqi.VERSIONS], "wcolours": json.dumps(water.COLOURS),
            "wscale": water.SCALE_NAME}
