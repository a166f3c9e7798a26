"""`suppliers`: brand logos on their public suppliers' facilities (the Green Supply Chain map)."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from layers import fragments
from layers.base import Filter, Layer, StyleContext
from layers.factories import STATUS_COLOURS

PROPERTIES = {
    "facility_id": "Facility id",
    "name_zh": "Facility name in Chinese",
    "name_en": "Facility name in English",
    "brands": "Comma-separated slugs of the brands that publicly list this supplier",
    "icon": "Sprite icon key of the first brand's logo",
    "icons": "Comma-separated sprite icon keys of every brand's logo",
    "tiers": "Comma-separated supply-chain tiers",
    "brand_count": "Number of brands",
    "status": "The supplier's environmental status: open > explained > rectified > none",
    "synthetic": "True when any shown value (name, status, brand or link) is synthetic demo data",
}


# Below CLUSTER_BELOW, suppliers within one cluster cell (32 px) are one symbol: the logo of the brand most of
# them supply, ringed in the worst status among them, with a count badge; they expand as the map zooms in.
CLUSTER_BELOW = 10
CLUSTER_PROPERTIES = {
    "count": "Number of suppliers in the cluster",
    "icon": "Sprite icon key of the logo most of the cluster's suppliers carry first",
    "brands": "Comma-separated slugs of every brand listing a supplier of the cluster",
    "brand_count": "Number of brands listing a supplier of the cluster",
    "status": "The worst environmental status among the cluster's suppliers",
    "open_count": "Suppliers with an open violation",
    "synthetic": "True when any supplier of the cluster shows synthetic demo values",
}
MANY = ["all", ["has", "count"], [">", ["get", "count"], 1]]  # style filter: clusters of several suppliers
_BRANDS = "FROM unnest(string_to_array(string_agg(brands, ','), ',')) AS b(slug)"
CLUSTER_AGGREGATES = {
    "icon": "mode() WITHIN GROUP (ORDER BY icon)",
    "brands": f"(SELECT string_agg(DISTINCT slug, ',' ORDER BY slug) {_BRANDS})",
    "brand_count": f"(SELECT count(DISTINCT slug) {_BRANDS})::int",
    "status": fragments.worst_status("status"),
    "open_count": "(count(*) FILTER (WHERE status = 'open'))::int",
    "synthetic": "bool_or(synthetic)",
}


def features(present: frozenset[str]) -> sql.Composable:
    """Facilities with at least one public, active brand link (private links never reach this query)."""
    brand = sql.SQL("AND b.slug = ANY(string_to_array(%(brand)s, ','))") if "brand" in present else sql.SQL("")
    return sql.SQL("""
        SELECT f.geom, f.id AS facility_id, f.name_zh, f.name_en,
               string_agg(DISTINCT b.slug, ',' ORDER BY b.slug) AS brands,
               min(b.logo_key) AS icon,
               string_agg(DISTINCT b.logo_key, ',' ORDER BY b.logo_key) AS icons,
               string_agg(DISTINCT l.tier::text, ',') AS tiers,
               count(DISTINCT b.id)::int AS brand_count,
               f.worst_status AS status, {synthetic} AS synthetic
        FROM brand_facility_links l
        JOIN facilities f ON f.id = l.facility_id
        JOIN brands b ON b.id = l.brand_id
        WHERE l.is_public AND l.active AND {in_envelope} {brand}
        GROUP BY f.id""").format(
        brand=brand, in_envelope=fragments.in_envelope("f.geom"),
        synthetic=sql.SQL(fragments.facility_synthetic("f.violations_synthetic", "bool_or(l.synthetic)",
                                                       "bool_or(b.synthetic)")))


def style(ctx: StyleContext) -> list[dict[str, Any]]:
    """A ring in the supplier's status colour under the first brand's logo, and "+n" for more brands."""
    status_colour = ["match", ["get", "status"], *[x for kv in STATUS_COLOURS.items() for x in kv], "#7f8c8d"]
    return [
        {"id": "suppliers-status", "type": "circle", "paint": {
            "circle-radius": 18, "circle-color": status_colour, "circle-opacity": 0.9,
            "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}},
        {"id": "suppliers-logos", "type": "symbol", "layout": {
            "icon-image": ["get", "icon"], "icon-allow-overlap": True, "icon-ignore-placement": True,
            "text-field": ["case", ["has", "count"], "",
                           [">", ["get", "brand_count"], 1],
                           ["concat", "+", ["to-string", ["-", ["get", "brand_count"], 1]]], ""],
            "text-font": [ctx.bold], "text-size": 10, "text-offset": [1.5, -1.5], "text-allow-overlap": True},
         "paint": {"text-color": "#222222", "text-halo-color": "#ffffff", "text-halo-width": 1.5}},
        # Clusters: a count badge at the logo's upper right.
        {"id": "suppliers-cluster-badge", "type": "circle", "filter": MANY, "paint": {
            "circle-radius": 9, "circle-color": "#1f4e79", "circle-translate": [15, -15],
            "circle-stroke-color": "#ffffff", "circle-stroke-width": 1}},
        {"id": "suppliers-cluster-count", "type": "symbol", "filter": MANY, "layout": {
            "text-field": ["to-string", ["get", "count"]], "text-font": [ctx.bold], "text-size": 10,
            "text-allow-overlap": True, "text-ignore-placement": True},
         "paint": {"text-color": "#ffffff", "text-translate": [15, -15]}},
        {"id": "suppliers-labels", "type": "symbol", "minzoom": 12, "layout": {
            "text-field": ctx.name(), "text-font": [ctx.font], "text-size": 11, "text-offset": [0, 1.8],
            "text-anchor": "top", "text-optional": True, "text-max-width": 10},
         "paint": {"text-color": "#333333", "text-halo-color": "#ffffff", "text-halo-width": 1.2}},
    ]


LAYER = Layer(
    id="suppliers",
    title="Green Supply Chain: brand suppliers",
    description="Facilities that brands publicly list as suppliers, with the brands' logos and the "
                "suppliers' environmental status.",
    geometry="point",
    properties=PROPERTIES,
    datasets=("osh-fixture-lists", "synthetic-demo"),
    features=features,
    filters=(Filter("brand", "Comma-separated brand slugs", "text"),),
    feature_id="facility_id",
    cluster_below=CLUSTER_BELOW,
    cluster_properties=CLUSTER_PROPERTIES,
    cluster_aggregates=CLUSTER_AGGREGATES,
    style=style,
    legend=(("Supplier with an open violation", "供应商存在未整改违规", STATUS_COLOURS["open"]),
            ("Explained", "已作出说明", STATUS_COLOURS["explained"]),
            ("Rectified", "已整改", STATUS_COLOURS["rectified"]),
            ("No record", "无违规记录", STATUS_COLOURS["none"])),
)
