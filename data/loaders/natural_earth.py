"""Natural Earth provinces (GB/T 2260 codes), populated places and the basemap context, read with geopandas."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import psycopg

from data.catalog import DATASETS, folder
from data.loaders import LoadResult, water_names
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


# --- Context layers of the basemap (data set natural-earth-basemap) -----------------------------------------

CONTEXT = DATASETS["natural-earth-basemap"]
BOX = (70.0, 0.0, 140.0, 56.0)  # the clip box of the 1:10m files; outside it, 1:50m land is drawn
DETAIL = 5  # zoom from which 1:10m land and the coastline are drawn
# Natural Earth's 50m country names have no Chinese; this project's translations (ADM0_A3 -> name).
COUNTRY_ZH = {
    "AFG": "阿富汗", "BGD": "孟加拉国", "BRN": "文莱", "BTN": "不丹", "CHN": "中国", "FSM": "密克罗尼西亚",
    "IDN": "印度尼西亚", "IND": "印度", "JPN": "日本", "KAS": "锡亚琴冰川", "KAZ": "哈萨克斯坦",
    "KGZ": "吉尔吉斯斯坦", "KHM": "柬埔寨", "KOR": "韩国", "LAO": "老挝", "LKA": "斯里兰卡", "MDV": "马尔代夫",
    "MMR": "缅甸", "MNG": "蒙古", "MYS": "马来西亚", "NPL": "尼泊尔", "PAK": "巴基斯坦", "PHL": "菲律宾",
    "PLW": "帕劳", "PRK": "朝鲜", "RUS": "俄罗斯", "SGP": "新加坡", "THA": "泰国", "TJK": "塔吉克斯坦",
    "UZB": "乌兹别克斯坦", "VNM": "越南",
}
CHINA_UNITS = {"CHN", "HKG", "MAC", "TWN"}  # labelled and bounded as GB/T 2260 province-level units
_SUBDIVIDE = 2048  # vertices per stored polygon piece, so a tile never simplifies all of Eurasia


def context_file(name: str, layer: str | None = None) -> gpd.GeoDataFrame:
    """One gzip-compressed file of natural-earth-basemap, in WGS84."""
    frame = gpd.read_file(f"/vsigzip/{folder(CONTEXT) / name}", layer=layer, engine="pyogrio")
    return frame.set_crs(4326, allow_override=True)  # TopoJSON carries no CRS; all files are WGS84


def _rows(frame: gpd.GeoDataFrame, kind: str, name: str | None = None, zoom: str | None = "min_zoom",
          rank: str | None = "scalerank") -> list[tuple]:
    out = []
    for p, geom in zip(records(frame), frame.geometry, strict=True):
        if geom is None or geom.is_empty:
            continue
        out.append((kind, None, p.get(name) if name else None, int(p.get(rank) or 0) if rank else 0,
                    float(p.get(zoom) or 0) if zoom else 0.0, geom.wkb))
    return out


def context_rows() -> list[tuple]:
    """(kind, name_zh, name_en, rank, minzoom, wkb[, maxzoom]) of every context feature."""
    import shapely

    # Land: 1:50m below DETAIL everywhere; from DETAIL on, 1:10m inside the box and 1:50m around it (cut in
    # strips before repair: repairing the world at once is slow).
    rows = [r[:4] + (DETAIL, r[5]) for r in _rows(context_file("ne_10m_land_china_region.geojson.gz"), "land",
                                                   zoom=None)]
    w, s, e, n = BOX
    for land in context_file("land-50m.json.gz", "land").geometry.values:
        for strip in ((-180, -90, w, 90), (e, -90, 180, 90), (w, n, e, 90), (w, -90, e, s), BOX):
            piece = shapely.make_valid(shapely.clip_by_rect(land, *strip))
            if not piece.is_empty:
                rows.append(("land", None, None, 0, 0.0, piece.wkb, DETAIL if strip == BOX else 99))
    rows += [r[:4] + (DETAIL, r[5]) for r in _rows(context_file("ne_10m_coastline_china_region.geojson.gz"),
                                                    "coastline", zoom=None)]
    rows += _rows(context_file("ne_10m_lakes_china_region.geojson.gz"), "lake", "name")
    rows += _rows(context_file("ne_10m_rivers_lake_centerlines_china_region.geojson.gz"), "river", "name")
    rows += _rows(context_file("ne_50m_urban_areas_china_region.geojson.gz"), "urban")
    lines = context_file("ne_10m_admin_0_boundary_lines_land_china_region.geojson.gz")
    inner = lines["adm0_a3_l"].isin(CHINA_UNITS) & lines["adm0_a3_r"].isin(CHINA_UNITS)
    rows += _rows(lines[~inner], "boundary")
    rows += _rows(context_file("ne_10m_admin_0_boundary_lines_disputed_areas_china_region.geojson.gz"),
                  "disputed", "name")
    countries = context_file("ne_50m_admin_0_countries_china_region.geojson.gz")
    for p, geom in zip(records(countries), countries.geometry, strict=True):
        code = p["ADM0_A3"]
        if code in CHINA_UNITS - {"CHN"} or geom is None:
            continue
        rows.append(("country_label", COUNTRY_ZH.get(code), p["NAME"], int(p.get("LABELRANK") or 0),
                     float(p.get("MIN_LABEL") or 0), geom.representative_point().wkb))
    return water_names.named(rows)  # rivers and lakes with their Chinese names


def load_context(conn: psycopg.Connection) -> LoadResult:
    """Replace the Natural Earth context features (land, water, urban areas, boundaries, country names)."""
    result = LoadResult(CONTEXT.id)
    register_dataset(conn, CONTEXT)
    rows = context_rows()
    conn.execute("DELETE FROM basemap_context WHERE dataset_id = %s", (CONTEXT.id,))
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO basemap_context (kind, name_zh, name_en, rank, minzoom, maxzoom, geom, dataset_id)
               SELECT %s, %s, %s, %s, %s, %s, p.piece, %s
               FROM (SELECT ST_GeomFromWKB(%s, 4326) AS g) s, LATERAL (
                   SELECT ST_Subdivide(g, %s) AS piece WHERE ST_Dimension(g) = 2
                   UNION ALL SELECT g WHERE ST_Dimension(g) <> 2) p""",
            [(*r[:5], r[6] if len(r) > 6 else 99, CONTEXT.id, r[5], _SUBDIVIDE) for r in rows])
    result.written["basemap_context"] = len(rows)
    return result
