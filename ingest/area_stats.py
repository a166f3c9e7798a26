"""Population and GDP tables of areas (area code, year, value, unit, source, licence) an operator brings."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import psycopg

from core import parse
from core.datasets import Dataset
from core.errors import Invalid
from db.staging import bump_data_version, register_dataset, upsert

# Unit -> (metric, factor to persons or to billion CNY).
UNITS: dict[str, tuple[str, float]] = {
    "persons": ("population", 1.0), "人": ("population", 1.0), "10k persons": ("population", 1e4),
    "万人": ("population", 1e4),
    "cny": ("gdp", 1e-9), "元": ("gdp", 1e-9), "10k cny": ("gdp", 1e-5), "万元": ("gdp", 1e-5),
    "100m cny": ("gdp", 0.1), "亿元": ("gdp", 0.1), "bn cny": ("gdp", 1.0),
}
HEADER = ("area_code", "year", "value", "unit", "source", "licence")


def dataset_for(source: str, licence: str) -> Dataset:
    """One data set per source and licence named in the file."""
    key = hashlib.sha1(f"{source}|{licence}".encode()).hexdigest()[:10]
    return Dataset(f"stats:{key}", source, licence, None, source, None)


def _row(row: dict[str, str], known: set[str]) -> tuple[str, str, int, float, Dataset]:
    """(metric, area code, year, value in persons or bn CNY, data set) of one row; Invalid with the reason."""
    code = parse.area_code("area_code", row["area_code"])
    if code not in known:
        raise Invalid(f"area_code {code} is not a loaded area")
    year = parse.integer("year", row["year"], 1900, 2100)
    value = parse.number("value", row["value"])
    if value < 0:
        raise Invalid("value must not be negative")
    unit = row["unit"].strip().lower()
    if unit not in UNITS:
        raise Invalid(f"unit {row['unit']!r} is not one of: {', '.join(UNITS)}")
    metric, factor = UNITS[unit]
    source, licence = parse.text("source", row["source"]), parse.text("licence", row["licence"])
    return metric, code, year, value * factor, dataset_for(source, licence)


def load_file(conn: psycopg.Connection, path: Path) -> tuple[dict[str, int], list[tuple[int, str]]]:
    """Load every row or none: rows written per table, or the bad rows (line, reason)."""
    known = {r[0] for r in conn.execute("SELECT code FROM admin_areas")}
    errors: list[tuple[int, str]] = []
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [h for h in HEADER if h not in (reader.fieldnames or [])]
        if missing:
            return {}, [(1, f"missing columns: {', '.join(missing)} (need {', '.join(HEADER)})")]
        for line, row in enumerate(reader, 2):
            try:
                rows.append(_row(row, known))
            except Invalid as exc:
                errors.append((line, str(exc)))
    if errors:
        return {}, errors
    for ds in {r[4].id: r[4] for r in rows}.values():
        register_dataset(conn, ds)
    pop = [(c, y, round(v), ds.id) for m, c, y, v, ds in rows if m == "population"]
    gdp = [(c, y, v, ds.id) for m, c, y, v, ds in rows if m == "gdp"]
    written = {
        "area_population": upsert(conn, "area_population", ["area_code", "year", "population", "dataset_id"], pop,
                                  conflict=["area_code", "year", "dataset_id"], update=["population"]),
        "area_gdp": upsert(conn, "area_gdp", ["area_code", "year", "gdp_bn_cny", "dataset_id"], gdp,
                           conflict=["area_code", "year", "dataset_id"], update=["gdp_bn_cny"]),
    }
    bump_data_version(conn)
    return written, []
