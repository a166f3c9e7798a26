"""Facility rows as loaders produce them, written with one upsert, then placed in their province."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg

from db.staging import ewkt_point, upsert
from ingest.merged import merged_keys

COLUMNS = ["dataset_id", "ext_id", "name_zh", "name_en", "industry", "address", "source_crs", "attrs",
           "synthetic", "key_monitored", "geom"]


@dataclass
class FacilityRow:
    """One facility as read from a source file (coordinates already in WGS84)."""

    dataset_id: str
    ext_id: str
    name_en: str | None
    name_zh: str | None
    industry: str
    lon: float
    lat: float
    address: str | None = None
    source_crs: str = "wgs84"
    attrs: dict = field(default_factory=dict)
    synthetic: bool = False
    key_monitored: bool = False

    def as_copy_row(self) -> tuple:
        """The row as COPY writes it."""
        return (self.dataset_id, self.ext_id, self.name_zh, self.name_en, self.industry, self.address,
                self.source_crs, json.dumps(self.attrs, ensure_ascii=False), self.synthetic,
                self.key_monitored, ewkt_point(self.lon, self.lat))


def write_facilities(conn: psycopg.Connection, dataset_id: str, rows: Iterable[FacilityRow]) -> int:
    """Insert new facilities of a data set and refresh changed ones by (dataset, ext_id); those a reviewer merged
    into another facility are left out (not brought back)."""
    merged = merged_keys(conn, dataset_id)
    n = upsert(conn, "facilities", COLUMNS, (r.as_copy_row() for r in rows if r.ext_id not in merged),
               conflict=["dataset_id", "ext_id"],
               update=["name_en", "industry", "address", "source_crs", "attrs", "geom"])
    assign_area_codes(conn, dataset_id)
    return n


def assign_area_codes(conn: psycopg.Connection, dataset_id: str) -> None:
    """Set the province code of a data set's facilities that have none: point in polygon, else nearest in 30 km."""
    conn.execute("""
        UPDATE facilities f SET area_code = a.code
        FROM admin_areas a
        WHERE f.dataset_id = %s AND f.area_code IS NULL AND a.level = 'province'
          AND ST_Intersects(a.geom, f.geom)""", (dataset_id,))
    # Coarse 1:10m coastlines miss coastal plants: fall back to the nearest province close by.
    conn.execute("""
        UPDATE facilities f SET area_code = (
            SELECT a.code FROM admin_areas a WHERE a.level = 'province'
            AND ST_DWithin(a.geom::geography, f.geom::geography, 30000)
            ORDER BY a.geom <-> f.geom LIMIT 1)
        WHERE f.dataset_id = %s AND f.area_code IS NULL""", (dataset_id,))
