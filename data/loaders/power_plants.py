"""WRI Global Power Plant Database, China: WRI's China list and the GEODB rows."""

from __future__ import annotations

import csv

import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from db.staging import register_dataset
from ingest.facilities import FacilityRow, write_facilities
from standards.industries import industry_for_fuel

DS = DATASETS["gppd-china"]


def _float(v: str) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def read_rows(result: LoadResult) -> list[FacilityRow]:
    """Parse both GPPD files; rows without coordinates or with a repeated id go to the report."""
    rows: dict[str, FacilityRow] = {}
    with open(folder(DS) / "wri_china_power_plants.csv", encoding="utf-8") as fh:
        for line, r in enumerate(csv.DictReader(fh), 2):
            lat, lon = _float(r["Latitude"]), _float(r["Longitude"])
            ext = f"wri:{r['Power Plant ID']}"
            if lat is None or lon is None:
                result.skipped.append(("wri_china_power_plants.csv", line, "missing coordinates"))
                continue
            if ext in rows:  # repeated ids are further units of the same plant: add their capacity
                attrs = rows[ext].attrs
                attrs["units"] = attrs.get("units", 1) + 1
                attrs["capacity_mw"] = (attrs["capacity_mw"] or 0) + (_float(r["Capacity (MW)"]) or 0)
                continue
            rows[ext] = FacilityRow(DS.id, ext, r["Name"].strip(), None, industry_for_fuel(r["Fuel"]), lon, lat,
                                    address=r["Address"] or r["Location"] or None,
                                    attrs={"fuel": r["Fuel"], "capacity_mw": _float(r["Capacity (MW)"]),
                                           "owner": r["Owner"] or None, "commissioned": r["Commissioning Date"]
                                           or None, "source": r["Source"] or None})
    with open(folder(DS) / "geodb_china_power_plants.csv", encoding="utf-8") as fh:
        for line, r in enumerate(csv.DictReader(fh), 2):
            lat, lon = _float(r["latitude"]), _float(r["longitude"])
            if lat is None or lon is None:
                result.skipped.append(("geodb_china_power_plants.csv", line, "missing coordinates"))
                continue
            ext = f"geodb:{r['gppd_idnr']}"
            rows[ext] = FacilityRow(DS.id, ext, r["name"].strip(), None, industry_for_fuel(r["primary_fuel"]),
                                    lon, lat, attrs={"fuel": r["primary_fuel"],
                                                     "capacity_mw": _float(r["capacity_mw"]),
                                                     "owner": r["owner"] or None, "source": r["source"]})
    return list(rows.values())


def load(conn: psycopg.Connection) -> LoadResult:
    """Load the China power plants as facilities."""
    result = LoadResult(DS.id)
    register_dataset(conn, DS)
    result.written["facilities"] = write_facilities(conn, DS.id, read_rows(result))
    return result
