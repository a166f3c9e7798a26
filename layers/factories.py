"""`factories`: polluting facilities with their violation summary; clustered at low zooms."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers import fragments
from layers.base import ClusterCells, Filter, Layer, StyleContext
from standards.industries import INDUSTRIES

STATUSES = fragments.WORST_FIRST
# Status colours shared by the map style, the sprite icons and the legends.
STATUS_COLOURS = {"open": "#d7301f", "explained": "#fc8d59", "rectified": "#1a9850", "none": "#7f8c8d"}

PROPERTIES = {
    "id": "Facility id (links to /facilities/<id>)",
    "name_zh": "Name in Chinese",
    "name_en": "Name in English",
    "industry": "Industry code (see /tiles/factories.json)",
    "violation_count": "Violation records (not removed) in the chosen date range",
    "latest_violation": "Date of the latest violation record (YYYY-MM-DD)",
    "status": "Worst status among its records: open > explained > rectified; none when it has none",
    "key_monitored": "Key-monitored (重点排污单位) facility",
    "synthetic": "True when any shown value (name, records, flags) is synthetic demo data",
    "location_precision": "How the point was placed from an address (street, place, county, prefecture); "
                          "absent when the coordinates were given",
}
CLUSTER_PROPERTIES = {
    "count": "Facilities in this cluster (all of them: clusters add up to the filtered total)",
    "violation_count": "Sum of their violation records",
    "open_count": "Facilities whose worst status is open",
    "key_monitored_count": "Key-monitored facilities among them",
    "id": "Facility id when the cluster holds a single facility",
}

# Facilities everyone may see: not made from one brand's private supplier-list rows alone (migration 0009).
VISIBLE = "f.private_to_brand IS NULL"

# With a date window the summary is recomputed from the records inside it.
_WINDOW = sql.SQL("""JOIN LATERAL (
    SELECT count(*) AS violation_count, max(v.violation_date) AS latest_violation,
           {worst} AS worst_status, coalesce(bool_or(v.synthetic), false) AS violations_synthetic
    FROM violations v
    WHERE v.facility_id = f.id AND v.status <> 'removed' {since} {until}
) w ON w.violation_count > 0""")


def features(present: frozenset[str]) -> sql.Composable:
    """Facilities in %(w)s..%(n)s with the filters present."""
    windowed = bool(present & {"since", "until"})
    src = "w" if windowed else "f"
    where: list[sql.Composable] = [fragments.in_envelope("f.geom"), sql.SQL(VISIBLE)]
    if "industry" in present:
        where.append(sql.SQL("f.industry = ANY(%(industry)s)"))
    if "status" in present:
        where.append(sql.SQL("{}.worst_status = ANY(%(status)s)").format(sql.SQL(src)))
    if "key_monitored" in present:
        where.append(sql.SQL("f.key_monitored = %(key_monitored)s"))
    join: sql.Composable = sql.SQL("")
    if windowed:
        join = _WINDOW.format(
            worst=sql.SQL(fragments.worst_status("v.status")),
            since=sql.SQL("AND v.violation_date >= %(since)s") if "since" in present else sql.SQL(""),
            until=sql.SQL("AND v.violation_date <= %(until)s") if "until" in present else sql.SQL(""))
    return sql.SQL("""
        SELECT f.geom, f.id, f.name_zh, f.name_en, f.industry,
               {src}.violation_count, {src}.latest_violation::text AS latest_violation,
               {src}.worst_status AS status, f.key_monitored, {synthetic} AS synthetic,
               nullif(f.location_precision, 'exact') AS location_precision
        FROM facilities f {join}
        WHERE {where}""").format(
        src=sql.SQL(src), join=join, where=sql.SQL(" AND ").join(where),
        synthetic=sql.SQL(fragments.facility_synthetic(f"{src}.violations_synthetic")))


def style(ctx: StyleContext) -> list[dict[str, Any]]:
    """Clusters as sized circles with their count; facilities as factory icons coloured by status."""
    cluster = ["has", "count"]
    status_colour = ["match", ["get", "status"], *[x for kv in STATUS_COLOURS.items() for x in kv], "#7f8c8d"]
    return [
        {"id": "factories-clusters", "type": "circle", "filter": cluster, "paint": {
            "circle-color": ["case", [">", ["get", "open_count"], 0], STATUS_COLOURS["open"], "#3d6a9e"],
            "circle-opacity": 0.82, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1,
            "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 7, 10, 14, 40, 26]}},
        {"id": "factories-cluster-count", "type": "symbol", "filter": cluster, "layout": {
            "text-field": ["to-string", ["get", "count"]], "text-font": [ctx.bold], "text-size": 11,
            "text-allow-overlap": True, "text-ignore-placement": True}, "paint": {"text-color": "#ffffff"}},
        {"id": "factories-points", "type": "symbol", "filter": ["!", cluster], "layout": {
            "icon-image": ["concat", "factory-", ["get", "status"]], "icon-allow-overlap": True,
            "icon-ignore-placement": True}, "paint": {"icon-opacity": 1}},
        {"id": "factories-labels", "type": "symbol", "filter": ["!", cluster], "minzoom": 13, "layout": {
            "text-field": ctx.name(), "text-font": [ctx.font], "text-size": 11, "text-offset": [0, 1.1],
            "text-anchor": "top", "text-optional": True, "text-max-width": 10},
         "paint": {"text-color": status_colour, "text-halo-color": "#ffffff", "text-halo-width": 1.2}},
    ]


LAYER = Layer(
    id="factories",
    title="Polluting facilities",
    description="Power plants, cement and steel works and other facilities, with their environmental "
                "violation records.",
    geometry="point",
    properties=PROPERTIES,
    datasets=("gppd-china", "sfi-cement-steel", "osh-fixture-lists", "synthetic-demo"),
    features=features,
    filters=(
        Filter("industry", "Comma-separated industry codes", "enum_list", tuple(INDUSTRIES)),
        Filter("status", "Comma-separated worst statuses", "enum_list", STATUSES),
        Filter("since", "Only records on or after this date (YYYY-MM-DD)", "date"),
        Filter("until", "Only records on or before this date (YYYY-MM-DD)", "date"),
        Filter("key_monitored", "true: key-monitored only; false: the others", "bool"),
    ),
    maxzoom=16,
    # z11 is still clustered: as points, the densest z11 tile at IPE scale (Guangzhou) is over 500 KB.
    cluster_below=12,
    cluster_properties=CLUSTER_PROPERTIES,
    cluster_aggregates={
        "violation_count": "sum(violation_count)::int",
        "open_count": "count(*) FILTER (WHERE status = 'open')",
        "key_monitored_count": "count(*) FILTER (WHERE key_monitored)",
        "id": "CASE WHEN count(*) = 1 THEN min(id) END",
    },
    # Kept current by the triggers of migration 0006 (bulk loads: rebuilt when the data version is bumped).
    cells=ClusterCells(
        table="facility_cells",
        state="facility_cells_state",
        filters={"status": "status = ANY(%(status)s)", "key_monitored": "key_monitored = %(key_monitored)s"},
        aggregates={
            "violation_count": "sum(violations)::int",
            "open_count": "coalesce(sum(n) FILTER (WHERE status = 'open'), 0)::int",
            "key_monitored_count": "coalesce(sum(n) FILTER (WHERE key_monitored), 0)::int",
            "id": "CASE WHEN sum(n) = 1 THEN sum(id_sum)::bigint END",
        },
    ),
    feature_id="id",
    style=style,
    legend=(("Open violation", "存在未整改违规", "factory-open"),
            ("Explained", "已作出说明", "factory-explained"),
            ("Rectified", "已整改", "factory-rectified"),
            ("No record", "无违规记录", "factory-none"),
            # Clusters (below z12) as the style draws them: blue, red when one of them has an open violation.
            ("Cluster of facilities (number: how many)", "企业聚合（数字为企业数）", "#3d6a9e"),
            ("Cluster with an open violation", "含未整改违规企业的聚合", STATUS_COLOURS["open"])),
)

