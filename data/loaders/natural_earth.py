"""Natural Earth provinces (with GB/T 2260 codes) and populated places, read and cleaned with geopandas."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from db.staging import register_dataset, upsert
from standards.admin import PROVINCES

DS = DATASETS["natural-earth-china"]
MAINLAND = "ne10m_mainland.geojson"
PLACES = "ne10m_populated_places_china.geojson"
_COUNTRY_FILES = {"ne10m_hongkong.geojson": "810000", "ne10m_macao.geojson": "820000",
                  "ne10m_taiwan.geojson": "710000"}


def read(name: str) -> gpd.GeoDataFrame:
    """One bundled Natural Earth file in WGS84 (EPSG:4326), read with pyogrio."""
    frame = gpd.read_file(folder(DS) / name, engine="pyogrio")
    return frame.to_crs(4326)  # the files are WGS84 already: a guard should one come in another CRS


def records(frame: gpd.GeoDataFrame) -> list[dict]:
    """The features' properties as plain Python values, None where a value is missing."""
    props = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    return props.where(props.notna(), None).to_dict("records")


def _province_code(name: str | None, iso: str | None) -> str | None:
    if name == "Fujian":  # NE 2016 lost Fujian's number: "CN-"
        return "350000"
    digits = (iso or "")[3:]
    return f"{int(digits) * 10000}" if digits.isdigit() else None


def provinces(result: LoadResult) -> gpd.GeoDataFrame:
    """One valid outline per GB/T 2260 province code (code, geometry); unusable features go to `result`."""
    mainland = read(MAINLAND)
    codes, keep = [], []
    for i, p in enumerate(records(mainland)):
        code = _province_code(p.get("name"), p.get("iso_3166_2"))
        if mainland.geometry.iloc[i] is None:
            result.skipped.append((MAINLAND, i + 1, f"{p.get('name')}: null geometry"))
        elif code not in PROVINCES:
            result.skipped.append((MAINLAND, i + 1, "no GB/T 2260 code"))
        else:
            keep.append(i)
        codes.append(code)
    parts = [mainland.assign(code=codes).iloc[keep][["code", "geometry"]]]
    parts += [read(name).assign(code=code)[["code", "geometry"]] for name, code in _COUNTRY_FILES.items()]
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326)
    invalid = ~frame.is_valid
    frame.loc[invalid, "geometry"] = frame.geometry[invalid].make_valid()
    # A province in several features becomes one outline; single features are left untouched (a union
    # would re-node them).
    several = frame["code"].duplicated(keep=False)
    merged = frame[several].dissolve(by="code", as_index=False)
    return gpd.GeoDataFrame(pd.concat([frame[~several], merged], ignore_index=True), crs=4326)


def load(conn: psycopg.Connection) -> LoadResult:
    """Load the 34 province-level outlines and the 400 populated places."""
    result = LoadResult(DS.id)
    register_dataset(conn, DS)
    areas = provinces(result)
    for code, geom in zip(areas["code"], areas.geometry.to_wkb(), strict=True):
        zh, en, _, _ = PROVINCES[code]
        conn.execute(
            """INSERT INTO admin_areas (code, level, name_zh, name_en, geom, label_point, dataset_id)
               SELECT %(code)s, 'province', %(zh)s, %(en)s, g, ST_PointOnSurface(g), %(ds)s
               FROM (SELECT ST_Multi(ST_GeomFromWKB(%(geom)s, 4326)) AS g) s
               ON CONFLICT (code) DO UPDATE SET geom = EXCLUDED.geom, label_point = EXCLUDED.label_point,
                 name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en""",
            {"code": code, "zh": zh, "en": en, "geom": geom, "ds": DS.id})
    result.written["admin_areas"] = len(areas)

    places = read(PLACES)
    prow = []
    for p, pt in zip(records(places), places.geometry, strict=True):
        prow.append((int(p.get("wof_id") or p.get("GEONAMEID") or 0) or None, p.get("NAME_EN") or p["NAME"],
                     p.get("NAME_ZH"), p.get("ADM1NAME"), p.get("FEATURECLA"), p.get("POP_MAX"),
                     p.get("SCALERANK"), f"SRID=4326;POINT({pt.x} {pt.y})", DS.id))
    result.written["places"] = upsert(
        conn, "places", ["ne_id", "name_en", "name_zh", "province_en", "feature_class", "pop_max", "scalerank",
                         "geom", "dataset_id"], prow, conflict=["ne_id"])
    return result
