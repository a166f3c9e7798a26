"""`suppliers`: brand logos on their public suppliers' facilities (the Green Supply Chain map)."""

from __future__ import annotations

from psycopg import sql

from layers.base import Filter, Layer

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
               f.worst_status AS status
        FROM brand_facility_links l
        JOIN facilities f ON f.id = l.facility_id
        JOIN brands b ON b.id = l.brand_id
        WHERE l.is_public AND l.active
          AND f.geom && ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326) {brand}
        GROUP BY f.id""").format(brand=brand)


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
)
