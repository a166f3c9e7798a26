"""What the database holds: row counts per table and data set, the loaded data sets, the applied migration."""

from __future__ import annotations

import psycopg
from psycopg import sql

from queries import rows

# Tables with a dataset_id column, and whether they carry a synthetic flag of their own.
COUNTED = {
    "admin_areas": False, "places": False, "companies": True, "facilities": True, "violations": True,
    "explanations": True, "brands": True, "supplier_lists": False, "brand_facility_links": True,
    "supplier_edges": True, "area_carbon": False, "area_population": False, "stations": True,
    "air_readings": False, "water_readings": False, "prtr_disclosures": True,
}
# What a viewer who may not see private supply-chain links counts of those tables.
PUBLIC_ONLY = {
    "brand_facility_links": "t.is_public",
    "supplier_edges": """EXISTS (SELECT 1 FROM brand_facility_links l WHERE l.list_id = t.list_id
                                 AND l.facility_id = t.supplier_facility_id AND l.is_public)""",
}
BY_DATASET = sql.SQL("""
SELECT t.dataset_id, count(*) AS n, count(*) FILTER (WHERE {synthetic}) AS synthetic
FROM {table} t JOIN datasets d ON d.id = t.dataset_id WHERE {visible} GROUP BY 1 ORDER BY 1""")
DATASETS = "SELECT id, title, licence, attribution, synthetic FROM datasets ORDER BY id"
LOADED = """
SELECT d.id, d.loaded_at, (SELECT count(*) FROM facilities f WHERE f.dataset_id = d.id) AS facilities
FROM datasets d"""


def stats(conn: psycopg.Connection, private: bool = False) -> dict:
    """Row counts per table and per source data set, synthetic rows counted apart; private supply-chain links
    are counted only when `private` (administrators)."""
    tables = {}
    for table, flagged in COUNTED.items():
        visible = "true" if private else PUBLIC_ONLY.get(table, "true")
        query = BY_DATASET.format(table=sql.Identifier(table), visible=sql.SQL(visible),
                                  synthetic=sql.SQL("t.synthetic" if flagged else "d.synthetic"))
        counts = rows.dicts(conn, query)
        tables[table] = {
            "total": sum(r["n"] for r in counts),
            "real": sum(r["n"] - r["synthetic"] for r in counts),
            "synthetic": sum(r["synthetic"] for r in counts),
            "by_dataset": {r["dataset_id"]: r["n"] for r in counts},
        }
    datasets = rows.dicts(conn, DATASETS)
    provinces = rows.aggregate(conn, "SELECT count(*) FROM admin_areas WHERE level = 'province'")[0]
    air = rows.aggregate(conn, "SELECT count(*) FROM stations WHERE kind = 'air'")[0]
    return {"tables": tables, "datasets": datasets, "provinces": provinces, "air_stations": air}


def loaded(conn: psycopg.Connection) -> dict[str, dict]:
    """Each loaded data set's id: when it was loaded and how many facilities it holds."""
    return {r["id"]: r for r in rows.dicts(conn, LOADED)}


def applied_migration(conn: psycopg.Connection) -> str | None:
    """The Alembic revision the database is at (None when it was never migrated)."""
    if not rows.aggregate(conn, "SELECT to_regclass('alembic_version') IS NOT NULL")[0]:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None
