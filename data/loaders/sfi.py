"""Spatial Finance Initiative cement and iron & steel plants in China."""

from __future__ import annotations

import csv

import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from db.staging import register_dataset
from ingest.facilities import FacilityRow, write_facilities

DS = DATASETS["sfi-cement-steel"]
FILES = {"sfi_cement_china.csv": "cement", "sfi_steel_china.csv": "steel"}


def read_rows(result: LoadResult) -> list[FacilityRow]:
    """Parse both SFI files into facility rows."""
    rows = []
    for name, industry in FILES.items():
        with open(folder(DS) / name, encoding="utf-8") as fh:
            for line, r in enumerate(csv.DictReader(fh), 2):
                try:
                    lat, lon = float(r["latitude"]), float(r["longitude"])
                except ValueError:
                    result.skipped.append((name, line, "missing coordinates"))
                    continue
                kind = "cement plant" if industry == "cement" else "steel plant"
                owner = r["owner_name"] or r["parent_name"]
                label = owner or f"{r['city'].removesuffix(' Shi')} {kind} {r['uid'][-4:]}"
                rows.append(FacilityRow(
                    DS.id, r["uid"], label, None, industry, lon, lat,
                    address=", ".join(x for x in (r["city"], r["state"]) if x) or None,
                    attrs={k: (r.get(k) or None) for k in ("plant_type", "capacity", "year", "owner_name",
                                                         "parent_name", "parent_ticker", "parent_exchange",
                                                         "owner_permid", "parent_permid", "status")}))
    return rows


def load(conn: psycopg.Connection) -> LoadResult:
    """Load cement and steel plants as facilities."""
    result = LoadResult(DS.id)
    register_dataset(conn, DS)
    result.written["facilities"] = write_facilities(conn, DS.id, read_rows(result))
    return result
