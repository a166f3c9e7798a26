"""Prefectures and counties with GB/T 2260 codes (OpenStreetMap-derived, ODbL) as admin_areas rows.

The outlines are cut where they overlap a neighbouring country of Natural Earth 1:10m (the maps' boundary
convention: de-facto lines), and the cut prefectures dissolved per province give the province outlines drawn
at street-level zooms. English names are pinyin romanisations (the source has none).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import psycopg
import shapely
from pypinyin import lazy_pinyin

from data.catalog import DATASETS, folder
from data.loaders import LoadResult
from data.loaders.natural_earth import context_file
from db.staging import register_dataset
from standards.admin import PROVINCES

DS = DATASETS["cn-admin-osm"]
PREFECTURES = "cn_prefectures_from_mapchina.geojson.gz"
COUNTIES = "cn_counties_mapchina.geojson.gz"
NOT_NEIGHBOURS = {"China", "Taiwan", "Hong Kong", "Macao"}
# Kinds of unit by the end of their Chinese name, longest first: the English word that follows the pinyin.
SUFFIXES = (("自治州", "Autonomous Prefecture"), ("自治县", "Autonomous County"), ("自治旗", "Autonomous Banner"),
            ("特别行政区", "SAR"), ("林区", "Forestry District"), ("特区", "Special District"),
            ("新区", "New Area"), ("矿区", "Mining District"), ("地区", "Prefecture"), ("区", "District"),
            ("县", "County"), ("市", "City"), ("旗", "Banner"), ("盟", "League"))


# Place-name readings of polyphonic characters that pypinyin reads otherwise (proper name -> pinyin).
READINGS = {"朝阳": "Chaoyang", "单": "Shan", "尉氏": "Yushi", "蔚": "Yu", "浚": "Xun", "六合": "Luhe",
            "洪洞": "Hongtong", "六安": "Lu'an", "番禺": "Panyu", "大埔": "Dabu", "铅山": "Yanshan"}


def romanise(name_zh: str) -> str:
    """An English form of a unit's name: pinyin of its proper name plus its kind ("海淀区" -> "Haidian District")."""
    base, kind = name_zh, ""
    for zh, en in SUFFIXES:
        if name_zh.endswith(zh) and len(name_zh) > len(zh):
            base, kind = name_zh[: -len(zh)], en
            break
    if base in READINGS:
        return f"{READINGS[base]} {kind}".strip()
    syllables = [s.replace("v", "ü") for s in lazy_pinyin(base)]
    word = syllables[0] + "".join(("'" + s) if s[:1] in "aeo" else s for s in syllables[1:])
    return f"{word[:1].upper()}{word[1:]} {kind}".strip()


def read(name: str) -> gpd.GeoDataFrame:
    """One bundled gzip-compressed GeoJSON of this data set, in WGS84."""
    return gpd.read_file(f"/vsigzip/{folder(DS) / name}", engine="pyogrio").to_crs(4326)


def neighbours(bounds: tuple[float, float, float, float]) -> np.ndarray:
    """Natural Earth 1:10m countries other than China's units, cut to `bounds` (w, s, e, n)."""
    world = context_file("countries-10m.json.gz", "countries")
    others = world[~world["name"].isin(NOT_NEIGHBOURS)].geometry.values
    clipped = shapely.clip_by_rect(others, *bounds)  # cut first: repairing whole countries is slow
    return shapely.make_valid(clipped[~shapely.is_empty(clipped)])


def cut(geoms: np.ndarray, others: np.ndarray) -> np.ndarray:
    """`geoms` less whatever part of them lies in `others`, as valid (multi)polygons."""
    out = geoms.copy()
    hit, by = shapely.STRtree(others).query(geoms, predicate="intersects")
    for i, j in zip(hit, by, strict=True):
        out[i] = shapely.difference(out[i], others[j])
    return np.array([_polygons(g) for g in shapely.make_valid(out)], dtype=object)


def _polygons(geom: shapely.Geometry) -> shapely.MultiPolygon:
    """The polygons of a geometry (a cut may leave lines or points behind), as one multipolygon."""
    parts = shapely.get_parts(geom)
    return shapely.MultiPolygon([p for part in parts for p in shapely.get_parts(part) if p.geom_type == "Polygon"])


def _prefecture_rows(frame: gpd.GeoDataFrame) -> list[tuple]:
    rows = []
    for code, name, kind, prov, geom in zip(frame["adcode"], frame["name_zh"], frame["kind"],
                                            frame["province_adcode"], frame.geometry, strict=True):
        if kind in ("sar", "taiwan") or geom.is_empty:  # their province rows come from Natural Earth
            continue
        if kind == "municipality":  # xx0000 is the province row; the municipality's own city is xx0100
            code, name_en = f"{code[:2]}0100", PROVINCES[code][1]
        else:
            name_en = romanise(name)
        rows.append((code, "prefecture", prov, name, name_en, geom))
    return rows


def _county_rows(frame: gpd.GeoDataFrame, prefectures: set[str]) -> list[tuple]:
    rows = []
    for code, pref4, prov2, name, geom in zip(frame["county_adcode"], frame["prefecture_code4"],
                                              frame["province_code2"], frame["county_zh"], frame.geometry,
                                              strict=True):
        if code in prefectures or geom.is_empty:  # a prefecture-level city without counties, or an xx90 unit
            continue
        parent = f"{pref4}00" if f"{pref4}00" in prefectures else f"{prov2}0100"
        parent = parent if parent in prefectures else f"{prov2}0000"
        rows.append((code, "county", parent, name, romanise(name), geom))
    return rows


def write_areas(conn: psycopg.Connection, rows: list[tuple]) -> int:
    """Upsert admin_areas rows (code, level, parent, name_zh, name_en, geometry) with their label points."""
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO admin_areas (code, level, parent_code, name_zh, name_en, geom, label_point, dataset_id)
               SELECT %(code)s, %(level)s, %(parent)s, %(zh)s, %(en)s, g, ST_PointOnSurface(g), %(ds)s
               FROM (SELECT ST_Multi(ST_GeomFromWKB(%(wkb)s, 4326)) AS g) s
               ON CONFLICT (code) DO UPDATE SET level = EXCLUDED.level, parent_code = EXCLUDED.parent_code,
                 name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en, geom = EXCLUDED.geom,
                 label_point = EXCLUDED.label_point, dataset_id = EXCLUDED.dataset_id""",
            [{"code": c, "level": lv, "parent": p, "zh": zh, "en": en, "wkb": shapely.to_wkb(g), "ds": DS.id}
             for c, lv, p, zh, en, g in rows])
    return len(rows)


def load(conn: psycopg.Connection) -> LoadResult:
    """Load the prefectures and counties, and the province outlines dissolved from the prefectures."""
    result = LoadResult(DS.id)
    register_dataset(conn, DS)
    prefs, counties = read(PREFECTURES), read(COUNTIES)
    others = neighbours(tuple(prefs.total_bounds))
    prefs["geometry"] = cut(prefs.geometry.values, others)
    counties["geometry"] = cut(counties.geometry.values, others)
    pref_rows = _prefecture_rows(prefs)
    result.written["admin_areas (prefecture)"] = write_areas(conn, pref_rows)
    result.written["admin_areas (county)"] = write_areas(conn, _county_rows(counties, {r[0] for r in pref_rows}))
    outlines = prefs.groupby("province_adcode").geometry.apply(lambda s: shapely.coverage_union_all(s.values))
    conn.execute("DELETE FROM basemap_context WHERE kind = 'province_line' AND dataset_id = %s", (DS.id,))
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO basemap_context (kind, minzoom, geom, dataset_id)
               SELECT 'province_line', 6, ST_Subdivide(ST_Boundary(ST_GeomFromWKB(%s, 4326)), 512), %s""",
            [(shapely.to_wkb(g), DS.id) for g in outlines.values])
    result.written["basemap_context"] = len(outlines)
    return result
