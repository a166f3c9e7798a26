"""JSON API: statistics about what the database holds."""

from __future__ import annotations

from flask import Blueprint, jsonify

from app import db

bp = Blueprint("api", __name__, url_prefix="/api")

# Tables with a dataset_id column, and whether they carry a synthetic flag of their own.
COUNTED = {
    "admin_areas": False, "places": False, "companies": True, "facilities": True, "violations": True,
    "explanations": True, "brands": True, "supplier_lists": False, "brand_facility_links": True,
    "supplier_edges": True, "area_carbon": False, "area_population": False, "stations": True,
    "air_readings": False, "water_readings": False, "prtr_disclosures": True,
}


@bp.get("/stats")
def stats():
    """Row counts per table and per source data set, synthetic rows counted apart."""
    tables = {}
    with db.conn() as c:
        for table, flagged in COUNTED.items():
            synth = "t.synthetic" if flagged else "d.synthetic"
            rows = c.execute(
                f"SELECT t.dataset_id, count(*), count(*) FILTER (WHERE {synth}) "  # noqa: S608 - fixed names
                f"FROM {table} t JOIN datasets d ON d.id = t.dataset_id GROUP BY 1 ORDER BY 1").fetchall()
            tables[table] = {
                "total": sum(r[1] for r in rows),
                "real": sum(r[1] - r[2] for r in rows),
                "synthetic": sum(r[2] for r in rows),
                "by_dataset": {r[0]: r[1] for r in rows},
            }
        datasets = [dict(zip(("id", "title", "licence", "attribution", "synthetic"), r, strict=True)) for r in
                    c.execute("SELECT id, title, licence, attribution, synthetic FROM datasets ORDER BY id")]
        provinces = c.execute("SELECT count(*) FROM admin_areas WHERE level = 'province'").fetchone()[0]
        air = c.execute("SELECT count(*) FROM stations WHERE kind = 'air'").fetchone()[0]
    return jsonify({"tables": tables, "datasets": datasets, "provinces": provinces, "air_stations": air})
