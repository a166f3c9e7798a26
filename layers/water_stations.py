"""`water_stations`: surface-water monitoring sections with their latest class (GB 3838-2002)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers import fragments
from layers.base import Layer, StyleContext, station_marks

PROPERTIES = {
    "id": "Station id (links to /stations/<id>)",
    "code": "Station code",
    "name_zh": "Name in Chinese",
    "name_en": "Name in English",
    "water_body": "river, lake or reservoir",
    "observed_at": "Time of the latest reading",
    "water_class": "Latest class: I, II, III, IV, V or 劣V (worse than V)",
    "class_parameter": "The parameter(s) that set the class (worst single factor), e.g. nh3n",
    "colour": "Conventional colour of the class",
    "scale": "The classification standard: GB 3838-2002",
    "synthetic": "Synthetic demo station",
}


def prepare(conn: Any, filters: dict[str, object]) -> dict[str, object]:
    """Class colours and the scale name from the standards module."""
    from standards import water

    classes = list(water.CLASSES)
    return {"classes": classes, "class_colours": [water.colour(c) for c in classes], "scale": water.SCALE_NAME}


def features(present: frozenset[str]) -> sql.Composable:
    """Water stations in the envelope with their latest classified reading."""
    return sql.SQL("""
        SELECT s.geom, s.id, s.code, s.name_zh, s.name_en, s.water_body_type AS water_body,
               to_char(r.observed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"') AS observed_at,
               r.water_class, r.class_parameter,
               (%(class_colours)s::text[])[array_position(%(classes)s::text[], r.water_class)] AS colour,
               %(scale)s AS scale, s.synthetic
        FROM stations s
        LEFT JOIN LATERAL (
            SELECT wr.observed_at, wr.water_class, wr.class_parameter FROM water_readings wr
            WHERE wr.station_id = s.id ORDER BY wr.observed_at DESC LIMIT 1) r ON true
        WHERE s.kind = 'water' AND {in_envelope}""").format(in_envelope=fragments.in_envelope("s.geom"))


def style(ctx: StyleContext) -> list[dict[str, Any]]:
    """A square in the class colour with the class (I to 劣V) written on it."""
    return station_marks(ctx, "water-stations", "#0b4f8a", (
        "class", ["coalesce", ["get", "water_class"], "NA"], {"text-color": "#111111"}))


def _legend() -> tuple[tuple[str, str, str], ...]:
    from standards import water

    return tuple((f"Class {water.LABEL_EN.get(c, c)}", f"{c}类", water.colour(c)) for c in water.CLASSES)


LAYER = Layer(
    id="water_stations",
    title="Surface water quality sections",
    description="Surface-water monitoring sections with the latest water-quality class (GB 3838-2002).",
    geometry="point",
    properties=PROPERTIES,
    datasets=("synthetic-demo",),  # stations and their readings (synthetic); real feeds add their own
    features=features,
    prepare=prepare,
    feature_id="id",
    style=style,
    legend=_legend(),
)
