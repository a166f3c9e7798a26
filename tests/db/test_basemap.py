"""The bundled basemap: Natural Earth context, prefectures and counties as admin areas, tiles, styles, glyphs."""

from __future__ import annotations

import gzip
import json

import freetype
import mapbox_vector_tile
import mercantile
import pytest
import shapely

from data.catalog import BUNDLED
from tests.db.test_styles import decode_glyphs
from tiles import glyphs


def tile(client, z: int, lon: float, lat: float, layer: str = "basemap") -> list[dict]:
    """The features of one layer in the tile holding (lon, lat) at zoom z."""
    t = mercantile.tile(lon, lat, z)
    r = client.get(f"/tiles/{layer}/{z}/{t.x}/{t.y}.mvt", headers={"Accept-Encoding": "identity"})
    assert r.status_code in (200, 204), r.get_json(silent=True)
    return mapbox_vector_tile.decode(r.data).get(layer, {}).get("features", []) if r.data else []


def test_prefectures_and_counties_are_admin_areas(conn):
    counts = dict(conn.execute("SELECT level, count(*) FROM admin_areas GROUP BY level").fetchall())
    assert counts["province"] == 34 and counts["prefecture"] >= 360 and counts["county"] >= 2800
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT code, level, parent_code, name_zh, name_en FROM admin_areas "
        "WHERE code IN ('110105', '110100', '320583', '330782', '530700', '419001', '500235')")}
    assert rows["110105"] == ("county", "110100", "朝阳区", "Chaoyang District")
    assert rows["110100"] == ("prefecture", "110000", "北京市", "Beijing")  # a municipality's city level
    assert rows["320583"][:3] == ("county", "320500", "昆山市")
    assert rows["330782"][:3] == ("county", "330700", "义乌市")
    assert rows["530700"] == ("prefecture", "530000", "丽江市", "Lijiang City")
    assert rows["419001"][:2] == ("prefecture", "410000")  # 济源: province-administered
    assert rows["500235"][1] == "500100"  # Chongqing's counties hang under its city level
    orphans = conn.execute("""SELECT count(*) FROM admin_areas a LEFT JOIN admin_areas p ON p.code = a.parent_code
                              WHERE a.level <> 'province' AND p.code IS NULL""").fetchone()[0]
    assert orphans == 0
    bad = conn.execute("""SELECT count(*) FROM admin_areas WHERE level IN ('prefecture', 'county')
                          AND (NOT ST_IsValid(geom) OR NOT ST_Intersects(geom, label_point)
                               OR name_en IS NULL OR name_zh IS NULL)""").fetchone()[0]
    assert bad == 0


def test_counties_follow_the_de_facto_boundary_convention(conn):
    """Outlines that cross a neighbouring country in Natural Earth are cut there (墨脱 largely lies in India)."""
    with gzip.open(BUNDLED / "cn-admin-osm-mapchina/cn_counties_mapchina.geojson.gz") as f:
        source = {ft["properties"]["county_adcode"]: shapely.geometry.shape(ft["geometry"])
                  for ft in json.load(f)["features"]}
    row = conn.execute("SELECT ST_AsBinary(geom) FROM admin_areas WHERE name_zh = '墨脱县'").fetchone()
    medog = shapely.from_wkb(bytes(row[0]))
    (code,) = [c for c, g in source.items() if g.intersects(medog.representative_point()) and c.startswith("54")][:1]
    assert medog.area < 0.6 * source[code].area
    inland = conn.execute("SELECT ST_Area(geom) FROM admin_areas WHERE code = '110105'").fetchone()[0]
    assert inland == pytest.approx(source["110105"].area, rel=1e-3)  # counties away from borders are untouched


def test_the_county_and_prefecture_codes_work_as_export_areas(client, conn):
    code, parent = conn.execute("""SELECT a.code, a.parent_code FROM facilities f
        JOIN admin_areas a ON a.level = 'county' AND ST_Intersects(a.geom, f.geom)
        GROUP BY a.code, a.parent_code ORDER BY count(*) DESC, a.code LIMIT 1""").fetchone()
    inside = client.get(f"/exports/factories.geojson?area={code}").get_json()["features"]
    wider = client.get(f"/exports/factories.geojson?area={parent}").get_json()["features"]
    assert inside and len(wider) >= len(inside)
    assert client.get("/exports/factories.geojson?area=999999").status_code == 400


def test_neighbours_water_and_borders_are_drawn(client):
    kinds = {}
    for f in tile(client, 5, 106.0, 16.0):  # Vietnam, Laos and the South China Sea
        kinds.setdefault(f["properties"]["kind"], []).append(f["properties"])
    assert {"land", "boundary", "country_label"} <= set(kinds)
    assert {"越南", "老挝"} <= {p.get("name_zh") for p in kinds["country_label"]}
    assert {"Vietnam", "Laos"} <= {p.get("name_en") for p in kinds["country_label"]}
    assert "river" in {f["properties"]["kind"] for f in tile(client, 5, 106.0, 28.0)}  # the Yangtze basin
    japan = {f["properties"].get("name_en") for f in tile(client, 4, 138.0, 36.0)}
    assert "Japan" in japan


def test_prefectures_and_counties_appear_by_zoom(client):
    at = (116.45, 39.92)  # 朝阳区, Beijing
    low = {f["properties"]["kind"] for f in tile(client, 4, *at)}
    assert "province" in low and not {"prefecture", "county", "county_label"} & low
    mid = tile(client, 8, *at)
    labels = {f["properties"].get("name_zh") for f in mid if f["properties"]["kind"] == "county_label"}
    assert "朝阳区" in labels and "海淀区" in labels
    assert {"prefecture", "county", "province_line"} <= {f["properties"]["kind"] for f in mid}
    codes = {f["properties"].get("code") for f in mid if f["properties"]["kind"] == "county"}
    assert "110105" in codes


def test_styles_draw_the_basemap_with_its_credits(client):
    for name in ("blue-map", "carbon-map", "supply-chain"):
        style = client.get(f"/styles/{name}.json?lang=en").get_json()
        ids = [la["id"] for la in style["layers"]]
        for want in ("basemap-land", "basemap-lakes", "basemap-rivers", "basemap-boundaries", "basemap-countries",
                     "basemap-counties", "basemap-prefecture-labels", "streets-roads", "streets-road-names"):
            assert want in ids, (name, want)
        assert ids.index("basemap-land") < ids.index("streets-roads") < ids.index("streets-road-names")
        assert "© OpenStreetMap contributors" in style["sources"]["basemap"]["attribution"]
        assert "© OpenStreetMap contributors" in style["sources"]["streets"]["attribution"]
        assert style["sources"]["streets"]["minzoom"] == 10 and style["sources"]["streets"]["maxzoom"] == 16


def test_rivers_and_lakes_carry_their_names(client):
    rivers = [f["properties"] for f in tile(client, 6, 114.3, 30.6) if f["properties"]["kind"] == "river"]  # Wuhan
    yangtze = [p for p in rivers if p.get("name_zh") == "长江"]
    assert yangtze and {p["name_en"] for p in yangtze} <= {"Yangtze", "Chang Jiang"}
    assert "汉江" in {p.get("name_zh") for p in rivers}
    labels = [f for f in tile(client, 6, 114.3, 30.6) if f["properties"]["kind"] == "river_label"]  # smoothed copies
    assert "长江" in {f["properties"].get("name_zh") for f in labels}
    assert all("Line" in f["geometry"]["type"] for f in labels)
    assert "river_label" not in {f["properties"]["kind"] for f in tile(client, 4, 114.3, 30.6)}
    # A lake's name comes once, at a point inside it (not on every tile piece of its outline).
    feats = tile(client, 7, 116.3, 29.1)
    lakes = [f for f in feats if f["properties"]["kind"] == "lake_label" and f["properties"].get("name_zh") == "鄱阳湖"]
    assert len(lakes) == 1 and lakes[0]["properties"]["name_en"] == "Poyang Hu"
    assert lakes[0]["geometry"]["type"] == "Point"
    for z, lon, lat in ((7, 116.3, 29.1), (6, 100.2, 36.9), (5, 117.0, 31.0)):  # Poyang, Qinghai, the Yangtze lakes
        named = [f["properties"]["name_en"] for f in tile(client, z, lon, lat)
                 if f["properties"]["kind"] == "lake_label"]
        assert named and len(named) == len(set(named)), named
    low = tile(client, 3, 116.3, 29.1)  # drawn from z4, named from z4
    assert "鄱阳湖" not in {f["properties"].get("name_zh") for f in low if f["properties"]["kind"] == "lake_label"}


@pytest.mark.parametrize("name", ["blue-map", "carbon-map", "supply-chain"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_styles_label_rivers_along_them_and_lakes_in_the_page_language(client, name, lang):
    style = client.get(f"/styles/{name}.json?lang={lang}").get_json()
    by_id = {la["id"]: la for la in style["layers"]}
    river, lake = by_id["basemap-river-labels"], by_id["basemap-lake-labels"]
    assert river["layout"]["symbol-placement"] == "line" and "symbol-placement" not in lake["layout"]
    assert river["filter"] == ["==", ["get", "kind"], "river_label"]
    assert lake["filter"] == ["==", ["get", "kind"], "lake_label"]
    other = "en" if lang == "zh" else "zh"
    for la in (river, lake):
        assert la["source"] == "basemap" and la["layout"]["text-font"] == ["Blue Map Sans Italic"]
        assert la["layout"]["text-field"][1:3] == [["get", f"name_{lang}"], ["get", f"name_{other}"]]
        assert la["paint"]["text-color"] == "#3f73a8"
    ids = [la["id"] for la in style["layers"]]
    assert ids.index("basemap-rivers") < ids.index("basemap-river-labels")


def test_sources_page_names_the_licence_and_the_boundary_convention(client):
    html = client.get("/sources?lang=en").get_data(as_text=True)
    assert "© OpenStreetMap contributors" in html and "ODbL 1.0" in html
    assert "de-facto international boundaries" in html and "Made with Natural Earth" in html


def test_glyphs_cover_every_label_character(client, conn):
    """Every character of a name the map labels has a glyph in the stacks' fonts, and the served ranges carry them
    (fullwidth brackets included: "上海断面（合成）")."""
    text = "".join(r[0] for r in conn.execute("""
        SELECT concat(name_zh, name_en) FROM admin_areas UNION ALL SELECT concat(name_zh, name_en) FROM places
        UNION ALL SELECT concat(name_zh, name_en) FROM basemap_context
        UNION ALL SELECT concat(name_zh, name_en) FROM stations
        UNION ALL SELECT concat(name_zh, name_en) FROM facilities"""))
    chars = {ord(c) for c in text + "（）" if not c.isspace()}
    assert 0xFF08 in chars and len(chars) > 2000
    for stack in ("Blue Map Sans Regular", "Blue Map Sans Bold", "Blue Map Sans Italic"):
        faces = [freetype.Face(str(p)) for p in glyphs.stack_fonts(stack)]
        missing = sorted(chr(c) for c in chars if not any(f.get_char_index(c) for f in faces))
        assert not missing, (stack, missing[:30])
    for start, want in ((0xFF00, "（）"), (0x6700, "朝"), (0x5300, "南")):  # the served PBF ranges hold them
        r = client.get(f"/fonts/Blue Map Sans Regular/{start}-{start + 255}.pbf")
        _, _, served = decode_glyphs(r.data)
        drawn = {chr(g["id"]) for g in served if g.get("width")}
        assert set(want) <= drawn
    # The water names' italic stack serves Latin and CJK alike.
    for start, want in ((0x0000, "Yangtze"), (0x9500, "长"), (0x6C00, "江"), (0x6E00, "湖")):
        _, _, served = decode_glyphs(client.get(f"/fonts/Blue Map Sans Italic/{start}-{start + 255}.pbf").data)
        assert set(want) <= {chr(g["id"]) for g in served if g.get("width")}
