"""`air_stations`: air monitoring stations with their latest hourly AQI (HJ 633) and category colour."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers import fragments
from layers.base import Layer, StyleContext, station_marks

PROPERTIES = {
    "id": "Station id (links to /stations/<id>)",
    "code": "National station code",
    "name_zh": "Name in Chinese",
    "name_en": "Name in English",
    "observed_at": "Time of the latest hourly reading (ISO 8601, UTC offset included)",
    "aqi": "Latest hourly AQI (absent when NA under the completeness rule)",
    "category": "AQI category 1 (优 Excellent) to 6 (严重污染 Severely polluted)",
    "colour": "Category colour per HJ 633",
    "primary_pollutant": "Primary pollutant(s), comma-separated (only when AQI > 50)",
    "pm25": "Latest hourly PM2.5 (µg/m3)",
    "scale": "The index scale: China AQI (HJ 633-2012 or HJ 633-2026)",
    "coords_approximate": "Station coordinates are approximate",
    "synthetic": "Synthetic demo station",
}


def prepare(conn: Any, filters: dict[str, object]) -> dict[str, object]:
    """Category colours and scale names from the standards module (the one source of truth)."""
    from standards import aqi

    colours = [c.colour for c in aqi.CATEGORIES]
    return {"colours": colours, "scale_2012": aqi.scale_name("hj633_2012"),
            "scale_2026": aqi.scale_name("hj633_2026")}


def features(present: frozenset[str]) -> sql.Composable:
    """Air stations in the envelope with their latest computed AQI row."""
    return sql.SQL("""
        SELECT s.geom, s.id, s.code, s.name_zh, s.name_en, r.observed_at_text AS observed_at, h.aqi, h.category,
               (%(colours)s::text[])[h.category] AS colour,
               nullif(array_to_string(h.primary_pollutants, ','), '') AS primary_pollutant, r.pm25,
               CASE h.version WHEN 'hj633_2026' THEN %(scale_2026)s WHEN 'hj633_2012' THEN %(scale_2012)s END
                   AS scale,
               s.coords_approximate, s.synthetic
        FROM stations s
        LEFT JOIN LATERAL (
            SELECT ar.observed_at, to_char(ar.observed_at AT TIME ZONE 'Asia/Shanghai',
                                           'YYYY-MM-DD"T"HH24:MI:SS"+08:00"') AS observed_at_text, ar.pm25
            FROM air_readings ar WHERE ar.station_id = s.id ORDER BY ar.observed_at DESC LIMIT 1) r ON true
        LEFT JOIN air_aqi_hourly h ON h.station_id = s.id AND h.observed_at = r.observed_at
        WHERE s.kind = 'air' AND {in_envelope}""").format(in_envelope=fragments.in_envelope("s.geom"))


def style(ctx: StyleContext) -> list[dict[str, Any]]:
    """A disc in the AQI category colour with the AQI in it; grey when the AQI is NA."""
    return station_marks(ctx, "air-stations", "#1f4e79", (
        "aqi", ["case", ["has", "aqi"], ["to-string", ["get", "aqi"]], "NA"],
        {"text-color": ["case", [">", ["coalesce", ["get", "category"], 0], 3], "#ffffff", "#1b1b1b"]}))


def _legend() -> tuple[tuple[str, str, str], ...]:
    from standards import aqi

    return tuple((c.name_en, c.name_zh, c.colour) for c in aqi.CATEGORIES)


LAYER = Layer(
    id="air_stations",
    title="Air quality stations",
    description="National air monitoring stations with the latest hourly AQI (China AQI, HJ 633).",
    geometry="point",
    properties=PROPERTIES,
    datasets=("beijing-multisite-aq", "synthetic-demo"),
    features=features,
    prepare=prepare,
    feature_id="id",
    style=style,
    legend=_legend(),
)
