"""Supplier logos are clustered below z10: one logo (the most common brand) with a count badge, expanding on zoom."""

from __future__ import annotations

import mapbox_vector_tile
import mercantile

from layers.suppliers import CLUSTER_BELOW

DONGGUAN = (113.75, 23.02)


def _features(client, z, lon, lat, query=""):
    t = mercantile.tile(lon, lat, z)
    r = client.get(f"/tiles/suppliers/{z}/{t.x}/{t.y}.mvt{query}", headers={"Accept-Encoding": "identity"})
    assert r.status_code in (200, 204)
    return t, (mapbox_vector_tile.decode(r.data)["suppliers"]["features"] if r.status_code == 200 else [])


def _members(conn, t, brand=None):
    """Public suppliers (facility id, brands, first logo, status) whose point lies in tile t."""
    w, s, e, n = mercantile.bounds(t)
    return conn.execute("""
        SELECT f.id, array_agg(DISTINCT b.slug), min(b.logo_key), f.worst_status FROM brand_facility_links l
        JOIN facilities f ON f.id = l.facility_id JOIN brands b ON b.id = l.brand_id
        WHERE l.is_public AND l.active AND ST_Intersects(f.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))
          AND (%s::text IS NULL OR b.slug = %s)
        GROUP BY f.id""", (w, s, e, n, brand, brand)).fetchall()


def test_low_zoom_clusters_count_every_supplier_and_name_their_brands(client, conn):
    t, feats = _features(client, 5, *DONGGUAN)
    members = _members(conn, t)
    assert feats and all("count" in f["properties"] and "facility_id" not in f["properties"] for f in feats)
    assert sum(f["properties"]["count"] for f in feats) == len(members)
    assert max(f["properties"]["count"] for f in feats) > 1
    brands = {slug for m in members for slug in m[1]}
    assert set(",".join(f["properties"]["brands"] for f in feats).split(",")) == brands
    assert {f["properties"]["icon"] for f in feats} <= {m[2] for m in members}
    worst = "open" if any(m[3] == "open" for m in members) else None
    if worst:
        assert any(f["properties"]["status"] == "open" for f in feats)
    for f in feats:
        p = f["properties"]
        assert p["brand_count"] == len(p["brands"].split(",")) and p["open_count"] <= p["count"]


def test_brand_filter_applies_to_clusters(client, conn):
    t, feats = _features(client, 5, *DONGGUAN)
    slug = max(feats, key=lambda f: f["properties"]["count"])["properties"]["icon"].removeprefix("brand-")
    t, mine = _features(client, 5, *DONGGUAN, f"?brand={slug}")
    assert sum(f["properties"]["count"] for f in mine) == len(_members(conn, t, slug)) > 0
    assert all(slug in f["properties"]["brands"].split(",") for f in mine)


def test_suppliers_are_single_logos_from_the_cluster_zoom(client, conn):
    t, feats = _features(client, CLUSTER_BELOW, *DONGGUAN)
    assert feats and all("facility_id" in f["properties"] and "count" not in f["properties"] for f in feats)


def test_style_has_the_count_badge_for_clusters(client):
    style = client.get("/styles/supply-chain.json").get_json()
    ids = {la["id"]: la for la in style["layers"] if la.get("source") == "suppliers"}
    assert {"suppliers-cluster-badge", "suppliers-cluster-count", "suppliers-logos"} <= set(ids)
    assert ids["suppliers-cluster-count"]["layout"]["text-field"] == ["to-string", ["get", "count"]]
    tilejson = client.get("/tiles/suppliers.json").get_json()["vector_layers"][0]["fields"]
    assert "count" in tilejson and "brands" in tilejson
