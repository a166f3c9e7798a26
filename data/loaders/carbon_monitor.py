"""City CO2 of Carbon Monitor Cities (209 cities) and CMCC (41 cities), joined to prefectures by a reviewed table."""

from __future__ import annotations

import csv

import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from db.staging import register_dataset, upsert

CMC = DATASETS["carbon-monitor-cities"]
CMCC = DATASETS["cmcc-cities"]
FILES = {CMC.id: "cmc_china_city_annual.csv", CMCC.id: "cmcc_china_city_annual.csv"}
JOIN = "city_join_reviewed.csv"


def _names(row: dict[str, str]) -> tuple[str | None, str | None]:
    """The city's names: its own when reviewed, else its LOCODE and the prefecture its point falls in."""
    loc = row["locode"][:2] + " " + row["locode"][2:]
    if row["basis"] == "unmatched":
        return loc, loc
    if row["city_zh"]:
        return row["city_zh"], row["name_en"] or None
    return f"{loc}（位于{row['prefecture_zh']}）", f"{loc} (in {row['name_en']})"


def _cities(result: LoadResult) -> list[tuple]:
    """Rows of carbon_cities from the reviewed join table."""
    rows = []
    with open(folder(CMC) / JOIN, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            zh, en = _names(row)
            point = f"SRID=4326;POINT({row['lon']} {row['lat']})" if row["lon"] else None
            rows.append((row["dataset_id"], row["locode"], zh, en, row["area_code"] or None, row["basis"],
                         row["on_polygon"] == "true", row["note"] or None, point))
    return rows


def _figures(result: LoadResult, known: set[tuple[str, str]]) -> list[tuple]:
    """Rows of city_carbon (Mt) from both annual files; a city missing from the join table is reported."""
    rows = []
    for ds_id, name in FILES.items():
        with open(folder(CMC) / name, encoding="utf-8") as fh:
            for line, row in enumerate(csv.DictReader(fh), 2):
                if (ds_id, row["locode"]) not in known:
                    result.skipped.append((name, line, f"{row['locode']} not in {JOIN}"))
                    continue
                rows.append((ds_id, row["locode"], int(row["year"]), float(row["total_emissions_tco2"]) / 1e6))
    return rows


def load(conn: psycopg.Connection) -> LoadResult:
    """Both series with their cities; idempotent (natural keys)."""
    result = LoadResult("carbon-monitor-cities")
    register_dataset(conn, CMC)
    register_dataset(conn, CMCC)
    cities = _cities(result)
    result.written["carbon_cities"] = upsert(
        conn, "carbon_cities", ["dataset_id", "locode", "name_zh", "name_en", "area_code", "basis", "on_polygon",
                                "note", "geom"], cities,
        conflict=["dataset_id", "locode"],
        update=["name_zh", "name_en", "area_code", "basis", "on_polygon", "note", "geom"])
    figures = _figures(result, {(c[0], c[1]) for c in cities})
    result.written["city_carbon"] = upsert(
        conn, "city_carbon", ["dataset_id", "locode", "year", "co2_mt"], figures,
        conflict=["dataset_id", "locode", "year"], update=["co2_mt"])
    return result
