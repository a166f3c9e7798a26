"""`water_stations`: surface-water monitoring sections with their latest class (GB 3838-2002)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers.base import Layer

PROPERTIES = {
    "id": "Station id (links to /stations/<id>)",
    "code": "Station code",
    "name_zh": "Name in Chinese",
    "name_en": "Name in English",
    "water_body": "river, lake or reservoir",
    "observed_at": "Time of the latest reading",
    "water_class": "Latest class: I, II, III, IV, V or 劣V (worse than V)",
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
               r.water_class,
               (%(class_colours)s::text[])[array_position(%(classes)s::text[], r.water_class)] AS colour,
               %(scale)s AS scale, s.synthetic
        FROM stations s
        LEFT JOIN LATERAL (
            SELECT wr.observed_at, wr.water_class FROM water_readings wr
            WHERE wr.station_id = s.id ORDER BY wr.observed_at DESC LIMIT 1) r ON true
        WHERE s.kind = 'water' AND s.geom && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)""")


LAYER = Layer(
    id="water_stations",
    title="Surface water quality sections",
    description="Surface-water monitoring sections with the latest water-quality class (GB 3838-2002).",
    geometry="point",
    properties=PROPERTIES,
    datasets=("synthetic-demo",),
    features=features,
    prepare=prepare,
    feature_id="id",
)
