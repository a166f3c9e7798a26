"""Provenance carried by every export: data sets with licences and attribution, filters, time, counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from data.catalog import DATASETS, attribution
from exports.selection import Selection, columns

CRS = {"name": "WGS 84 longitude/latitude", "epsg": 4326, "uri": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
SYNTHETIC_NOTE = ("Rows whose `synthetic` column is true hold generated demonstration values (names, "
                  "violation "
                  "records, flags or readings), not real records: do not report them as facts.")


def data_version(conn: Any) -> dict[str, Any]:
    """The database's data version (bumped on every load), so an export can be matched to its data."""
    row = conn.execute("SELECT version, changed_at FROM data_version").fetchone()
    return {"version": int(row[0]), "changed_at": row[1].isoformat()} if row else {}


def build(sel: Selection, fmt: str, rows: int | None, version: dict[str, Any] | None = None,
          url: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The metadata document of one export (JSON-ready)."""
    layer = sel.layer
    props = {c: layer.properties.get(c, "True when the row holds synthetic demo values (none in this layer)")
             for c in columns(layer)}
    meta: dict[str, Any] = {
        "title": f"{layer.title} ({layer.id})",
        "description": layer.description,
        "layer": layer.id,
        "format": fmt,
        "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "generator": "Blue Map (open): open environmental transparency map",
        "request": url,
        "filters": sel.describe(),
        "rows": rows,
        "crs": CRS,
        "geometry": layer.geometry,
        "properties": props,
        "datasets": [{
            "id": d.id, "title": d.title, "licence": d.licence, "licence_url": d.licence_url,
            "attribution": d.attribution, "source_url": d.source_url, "synthetic": d.synthetic,
        } for d in (DATASETS[i] for i in layer.datasets)],
        "attribution": attribution(layer.datasets),
        "synthetic": SYNTHETIC_NOTE,
        "data_version": version or {},
    }
    if extra:
        meta |= extra
    if url is None:
        del meta["request"]
    return meta
