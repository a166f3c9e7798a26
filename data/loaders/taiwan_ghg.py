"""Taiwan facility GHG emissions 2015-2024 (MOENV via GCAA) as enterprise carbon figures, and the county points."""

from __future__ import annotations

import csv
import json

import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from db.staging import register_dataset, upsert
from ingest.merged import merged_keys

GHG = DATASETS["tw-moenv-ghg"]
SEATS = DATASETS["tw-county-seats"]
EMISSIONS = "工廠縣市排放_歷年.csv"
COAL = "XVI. 燃煤工廠地圖.csv"
TAIWAN = "710000"  # GB/T 2260 code of the Taiwan unit in the boundaries
# Words of MOENV's industry classes -> our industry codes (first match wins).
INDUSTRY = (("電力", "power_other"), ("蒸汽", "power_other"), ("鋼鐵", "steel"), ("水泥", "cement"),
            ("半導體", "electronics"), ("光電", "electronics"), ("電子", "electronics"), ("電路板", "electronics"),
            ("紙", "paper"), ("染整", "textiles"), ("紡", "textiles"), ("纖維", "textiles"), ("化學", "chemicals"),
            ("塑膠", "chemicals"), ("石油", "chemicals"), ("橡膠", "chemicals"), ("銅", "metals"), ("鋁", "metals"),
            ("金屬", "metals"), ("食品", "food"), ("乳品", "food"), ("肉類", "food"), ("油脂", "food"))
COLUMNS = ["dataset_id", "ext_id", "company_id", "name_zh", "industry", "address", "area_code", "attrs",
           "location_precision", "geom"]


def industry(name: str) -> str:
    """Our industry code of a MOENV industry class (其他 when none fits)."""
    return next((code for word, code in INDUSTRY if word in name), "other")


def county(name: str) -> str:
    """A county name in the seats table's spelling (台 -> 臺, 桃園縣 -> 桃園市, 宜蘭市 -> 宜蘭縣)."""
    name = name.strip().replace("台", "臺")
    return {"桃園縣": "桃園市", "宜蘭市": "宜蘭縣"}.get(name, name)


def seats() -> dict[str, tuple[float, float]]:
    """County -> its representative point (lon, lat)."""
    with open(folder(SEATS) / "tw_county_seats.csv", encoding="utf-8") as fh:
        return {r["county_zh"]: (float(r["lon"]), float(r["lat"])) for r in csv.DictReader(fh)}


def coal_points() -> dict[str, tuple[float, float, str]]:
    """Control number -> (lon, lat, precision) from the coal-plant file (MOENV registry or street geocode)."""
    with open(folder(GHG) / COAL, encoding="utf-8-sig") as fh:
        return {r["管制編號"].strip(): (float(r["wgs84經度"]), float(r["wgs84緯度"]),
                                     "exact" if r["座標來源"] == "ems_s_01" else "street")
                for r in csv.DictReader(fh) if r["wgs84經度"]}


def company_ids(conn: psycopg.Connection, ds_id: str, firms: dict[str, str]) -> dict[str, int]:
    """Tax id -> company id, making companies (Traditional Chinese name, tax id as an alternative id) as needed."""
    known = dict(conn.execute("SELECT value, company_id FROM company_alt_ids WHERE kind = 'tw_ban'").fetchall())
    for ban, name in firms.items():
        if ban not in known:
            cid = conn.execute("INSERT INTO companies (name_zh, dataset_id) VALUES (%s, %s) RETURNING id",
                               (name, ds_id)).fetchone()[0]  # type: ignore[index]
            conn.execute("INSERT INTO company_alt_ids (company_id, kind, value) VALUES (%s, 'tw_ban', %s)",
                         (cid, ban))
            known[ban] = cid
    return known


def place(control_no: str, county_zh: str, coal: dict, points: dict) -> tuple[str, str | None]:
    """(precision, EWKT) of a facility: the coal file's coordinates, else its county's point."""
    if control_no in coal:
        lon, lat, precision = coal[control_no]
        return precision, f"SRID=4326;POINT({lon} {lat})"
    if county_zh in points:
        lon, lat = points[county_zh]
        return "county", f"SRID=4326;POINT({lon} {lat})"
    return "county", None


def facility_rows(conn: psycopg.Connection, ds_id: str, facilities: dict[str, dict], coal: dict) -> list[tuple]:
    """facilities rows of a data set from control number -> {name, ban, county, industry, address, attrs}; those
    a reviewer merged into another facility are left out (not brought back)."""
    merged = merged_keys(conn, ds_id)
    facilities = {no: f for no, f in facilities.items() if no not in merged}
    points = seats()
    firms = {f["ban"]: f["company"] for f in facilities.values() if f["ban"]}
    companies = company_ids(conn, ds_id, firms)
    rows = []
    for no, f in facilities.items():
        precision, geom = place(no, f["county"], coal, points)
        if geom is None:
            continue
        rows.append((ds_id, no, companies.get(f["ban"]), f["name"], f["industry"], f.get("address"), TAIWAN,
                     json.dumps(f["attrs"] | {"county": f["county"], "tax_id": f["ban"] or None}, ensure_ascii=False),
                     precision, geom))
    return rows


def _number(text: str) -> float | None:
    text = text.replace(",", "").strip()
    return float(text) if text else None


def load(conn: psycopg.Connection) -> LoadResult:
    """628 facilities (placed by the coal file or at county precision) and their yearly t CO2e; idempotent."""
    result = LoadResult(GHG.id)
    register_dataset(conn, GHG)
    register_dataset(conn, SEATS)
    facilities: dict[str, dict] = {}
    figures = []
    with open(folder(GHG) / EMISSIONS, encoding="utf-8-sig") as fh:
        for line, r in enumerate(csv.DictReader(fh), 2):
            no, total = r["管制編號"].strip(), _number(r["合計排放量(公噸CO2e)"])
            if not no or total is None:
                result.skipped.append((EMISSIONS, line, "no control number or total"))
                continue
            year = int(r["年度"]) + 1911  # ROC year
            name = r["事業名稱"].strip()
            trade = r["行業分類"] or ""  # one 2015 row lacks the column
            facilities[no] = {"name": name, "ban": r["事業統編"].strip(), "company": name,
                              "county": county(r["縣市別"] or ""), "industry": industry(trade),
                              "attrs": {"industry_tw": trade or None, "control_no": no}}
            scope1, scope2 = _number(r["直接排放量(公噸CO2e)"]), _number(r["能源間接排放量(公噸CO2e)"])
            figures.append((no, year, total, scope1, scope2))
    rows = facility_rows(conn, GHG.id, facilities, coal_points())
    result.written["facilities"] = upsert(conn, "facilities", COLUMNS, rows, conflict=["dataset_id", "ext_id"],
                                          update=COLUMNS[2:])
    ids = dict(conn.execute("SELECT ext_id, id FROM facilities WHERE dataset_id = %s", (GHG.id,)).fetchall())
    # Total (scope 1 + scope 2) as the facility's yearly GHG figure (the file also splits the two scopes).
    disclosures = [(ids[no], year, total, GHG.id, False) for no, year, total, _, _ in figures if no in ids]
    result.written["prtr_disclosures"] = upsert(
        conn, "prtr_disclosures", ["facility_id", "year", "ghg_tco2e", "dataset_id", "synthetic"],
        disclosures, conflict=["facility_id", "year"], update=["ghg_tco2e"])
    return result
