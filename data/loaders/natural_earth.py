"""Natural Earth provinces (with GB/T 2260 codes) and populated places."""

from __future__ import annotations

import json

import psycopg

from standards.admin import PROVINCES
from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from db.staging import register_dataset, upsert

DS = DATASETS["natural-earth-china"]
_COUNTRY_FILES = {"ne10m_hongkong.geojson": "810000", "ne10m_macao.geojson": "820000",
                  "ne10m_taiwan.geojson": "710000"}


def _province_code(props: dict) -> str | None:
    iso = props.get("iso_3166_2") or ""
    if props.get("name") == "Fujian":  # NE 2016 lost Fujian's number: "CN-"
        return "350000"
    digits = iso[3:]
    return f"{int(digits) * 10000}" if digits.isdigit() else None


def load(conn: psycopg.Connection) -> LoadResult:
    """Load the 34 province-level outlines and the 400 populated places."""
    result = LoadResult(DS.id)
    register_dataset(conn, DS)
    rows = []
    mainland = json.loads((folder(DS) / "ne10m_mainland.geojson").read_text())
    for i, feat in enumerate(mainland["features"], 1):
        if feat.get("geometry") is None:
            result.skipped.append(("ne10m_mainland.geojson", i, f"{feat['properties'].get('name')}: null geometry"))
            continue
        code = _province_code(feat["properties"])
        if code not in PROVINCES:
            result.skipped.append(("ne10m_mainland.geojson", i, "no GB/T 2260 code"))
            continue
        rows.append((code, json.dumps(feat["geometry"])))
    for name, code in _COUNTRY_FILES.items():
        for feat in json.loads((folder(DS) / name).read_text())["features"]:
            rows.append((code, json.dumps(feat["geometry"])))
    for code, geom in rows:
        zh, en, _, _ = PROVINCES[code]
        conn.execute(
            """INSERT INTO admin_areas (code, level, name_zh, name_en, geom, label_point, dataset_id)
               SELECT %(code)s, 'province', %(zh)s, %(en)s, g, ST_PointOnSurface(g), %(ds)s
               FROM (SELECT ST_Multi(ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(%(geom)s), 4326))) AS g) s
               ON CONFLICT (code) DO UPDATE SET geom = EXCLUDED.geom, label_point = EXCLUDED.label_point,
                 name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en""",
            {"code": code, "zh": zh, "en": en, "geom": geom, "ds": DS.id})
    result.written["admin_areas"] = len(rows)

    places = json.loads((folder(DS) / "ne10m_populated_places_china.geojson").read_text())["features"]
    prow = []
    for feat in places:
        p = feat["properties"]
        lon, lat = feat["geometry"]["coordinates"][:2]
        prow.append((int(p.get("wof_id") or p.get("GEONAMEID") or 0) or None, p.get("NAME_EN") or p["NAME"],
                     p.get("NAME_ZH"), p.get("ADM1NAME"), p.get("FEATURECLA"), p.get("POP_MAX"),
                     p.get("SCALERANK"), f"SRID=4326;POINT({lon} {lat})", DS.id))
    result.written["places"] = upsert(
        conn, "places", ["ne_id", "name_en", "name_zh", "province_en", "feature_class", "pop_max", "scalerank",
                         "geom", "dataset_id"], prow, conflict=["ne_id"])
    return result
