"""Province population (Wikidata census, World Bank) and province CO2 by sector (Cui et al. 2021)."""

from __future__ import annotations

import csv
import re

import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from db.staging import register_dataset, upsert
from standards.admin import BY_CUI, BY_ISO, PROVINCES

WIKI = DATASETS["wikidata-population"]
WB = DATASETS["worldbank-population"]
CUI = DATASETS["cui2021-province-co2"]
CENSUS_YEAR = 2020
BY_EN = {en.split(" ")[0]: code for code, (_, en, _, _) in PROVINCES.items()} | {
    "Nei": "150000", "Xizang": "540000"}


def load_population(conn: psycopg.Connection) -> LoadResult:
    """Census populations from Wikidata (de-duplicated) and World Bank 2000-2016 estimates."""
    result = LoadResult("population")
    register_dataset(conn, WIKI)
    register_dataset(conn, WB)
    wiki: dict[tuple[str, int], int] = {}
    with open(folder(WIKI) / "wikidata_subnational_population_CN.csv", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), 2):
            code = BY_ISO.get(row["iso31662"])
            if not code or not row["populationYear"]:
                result.skipped.append(("wikidata_subnational_population_CN.csv", line, "no code or year"))
                continue
            key = (code, int(row["populationYear"]))
            # CN-BJ has two 2020 rows; the larger one is the 7th-census figure (the other is 2010's).
            wiki[key] = max(wiki.get(key, 0), int(row["population"]))
    rows = [(c, y, p, WIKI.id) for (c, y), p in wiki.items()]
    with open(folder(WB) / "worldbank_subnational_population_CHN.csv", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), 2):
            # HASC letters clash with ISO letters (CN.HB is Hebei, CN-HB Hubei): match the English name.
            code = BY_EN.get(row["Country Name"].removeprefix("China, ").split(" ")[0])
            if not code:
                result.skipped.append(("worldbank_subnational_population_CHN.csv", line, "unknown province"))
                continue
            for col, val in row.items():
                ym = re.match(r"(\d{4}) \[YR", col or "")
                if ym and val and val != "..":
                    rows.append((code, int(ym.group(1)), int(float(val)), WB.id))
    result.written["area_population"] = upsert(
        conn, "area_population", ["area_code", "year", "population", "dataset_id"], rows,
        conflict=["area_code", "year", "dataset_id"], update=["population"])
    return result


def load_carbon(conn: psycopg.Connection) -> LoadResult:
    """Annual CO2 per province and sector, with the 2020 census population beside it."""
    result = LoadResult(CUI.id)
    register_dataset(conn, CUI)
    census = dict(conn.execute(
        "SELECT area_code, population FROM area_population WHERE year = %s AND dataset_id = %s",
        (CENSUS_YEAR, WIKI.id)).fetchall())
    rows = []
    with open(folder(CUI) / "cui2021_annual_co2_by_province_sector.csv", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), 2):
            code = BY_CUI.get(row["province_abbr"])
            if not code:
                result.skipped.append(("cui2021_annual_co2_by_province_sector.csv", line, "unknown province"))
                continue
            pop = census.get(code)
            rows.append((code, int(row["year"]), row["sector"], float(row["mtco2_per_year"]), pop,
                         CENSUS_YEAR if pop else None, False, CUI.id))
    result.written["area_carbon"] = upsert(
        conn, "area_carbon", ["area_code", "year", "sector", "co2_mt", "population", "population_year",
                              "estimate", "dataset_id"], rows,
        conflict=["area_code", "year", "sector", "dataset_id"], update=["co2_mt", "population", "population_year"])
    return result
