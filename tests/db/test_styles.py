"""Styles, sprite and glyphs through HTTP: valid MapLibre styles whose every resource the service serves."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from layers.registry import LAYERS
from tests.pbf import fields, unzigzag

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "node_modules/@maplibre/maplibre-gl-style-spec/dist/gl-style-validate.cjs"
STYLES = ("blue-map", "carbon-map", "supply-chain")


def decode_glyphs(data: bytes) -> tuple[str, str, list[dict]]:
    """(stack name, range, glyphs) of a glyphs PBF."""
    (stack,) = [v for n, v in fields(data) if n == 1]
    name = rng = ""
    glyphs = []
    for n, v in fields(stack):
        if n == 1:
            name = v.decode()
        elif n == 2:
            rng = v.decode()
        elif n == 3:
            g = {}
            for gn, gv in fields(v):
                key = {1: "id", 2: "bitmap", 3: "width", 4: "height", 5: "left", 6: "top", 7: "advance"}[gn]
                g[key] = unzigzag(gv) if key in ("left", "top") else gv
            glyphs.append(g)
    return name, rng, glyphs


def test_catalog_lists_the_three_maps(client):
    body = client.get("/styles").get_json()
    assert [s["name"] for s in body["styles"]] == list(STYLES)


@pytest.mark.parametrize("name", STYLES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_style_is_valid_and_generated_from_the_registry(client, tmp_path, name, lang):
    r = client.get(f"/styles/{name}.json?lang={lang}")
    assert r.status_code == 200 and r.headers["Access-Control-Allow-Origin"] == "*"
    style = r.get_json()
    path = tmp_path / "style.json"
    path.write_text(json.dumps(style))
    node = shutil.which("node")
    assert node and VALIDATOR.exists(), "make test installs node_modules (npm ci)"
    res = subprocess.run([node, str(VALIDATOR), str(path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    for layer in style["layers"][1:]:
        assert layer["source"] in LAYERS and layer["source-layer"] == layer["source"]
    for text_layer in (la for la in style["layers"] if "text-field" in la.get("layout", {})):
        expr = json.dumps(text_layer["layout"]["text-field"])
        if "name_" in expr:
            assert expr.index(f"name_{lang}") < expr.index("name_" + ("en" if lang == "zh" else "zh"))
    assert style["glyphs"].endswith("/fonts/{fontstack}/{range}.pbf")
    assert style["sprite"].endswith("/sprites/bluemap")


@pytest.mark.parametrize("name", STYLES)
def test_every_tile_url_of_a_style_answers(client, name):
    style = client.get(f"/styles/{name}.json").get_json()
    for src in style["sources"].values():
        url = src["tiles"][0].split("://", 1)[1].split("/", 1)[1]
        r = client.get("/" + url.replace("{z}/{x}/{y}", "4/13/6"))
        assert r.status_code in (200, 204), (url, r.get_json(silent=True))
        assert src["attribution"]


def test_style_filters_reach_the_tile_urls(client):
    style = client.get("/styles/carbon-map.json?year=2019&metric=co2_per_capita_t").get_json()
    tiles = style["sources"]["carbon"]["tiles"][0]
    assert "year=2019" in tiles and "metric=co2_per_capita_t" in tiles
    assert "year=" not in style["sources"]["basemap"]["tiles"][0]


def test_blue_map_has_the_supplier_layer_switched_off(client):
    style = client.get("/styles/blue-map.json").get_json()
    sup = [la for la in style["layers"] if la.get("source") == "suppliers"]
    assert sup and all(la["layout"]["visibility"] == "none" for la in sup)


@pytest.mark.parametrize("url, status", [
    ("/styles/nope.json", 404),
    ("/styles/blue-map.json?lang=fr", 400),
    ("/styles/carbon-map.json?metric=height", 400),
    ("/styles/carbon-map.json?year=last", 400),
    ("/styles/blue-map.json?colour=red", 400),
    ("/sprites/other.png", 404),
    ("/fonts/Comic Sans/0-255.pbf", 404),
    ("/fonts/Blue Map Sans Regular/0-256.pbf", 400),
    ("/fonts/Blue Map Sans Regular/65536-65791.pbf", 400),
    ("/fonts/Blue Map Sans Regular/abc.pbf", 400),
])
def test_bad_requests_get_a_json_reason(client, url, status):
    r = client.get(url)
    assert r.status_code == status
    assert r.get_json()["error"]


@pytest.mark.parametrize("ratio, suffix", [(1, ""), (2, "@2x")])
def test_sprite_holds_status_icons_and_every_brand_logo(client, conn, ratio, suffix):
    index = client.get(f"/sprites/bluemap{suffix}.json").get_json()
    png = Image.open(io.BytesIO(client.get(f"/sprites/bluemap{suffix}.png").data))
    logos = [r[0] for r in conn.execute("SELECT logo_key FROM brands")]
    assert logos
    for key in logos + [f"factory-{s}" for s in ("open", "explained", "rectified", "none")]:
        box = index[key]
        assert box["pixelRatio"] == ratio
        assert box["x"] + box["width"] <= png.width and box["y"] + box["height"] <= png.height
        alpha = png.crop((box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"])).getchannel("A")
        assert alpha.getextrema()[1] == 255, f"{key} is blank"


def test_sprite_etag_revalidates(client):
    r = client.get("/sprites/bluemap.png")
    assert client.get("/sprites/bluemap.png", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_latin_glyphs(client):
    r = client.get("/fonts/Blue Map Sans Regular/0-255.pbf")
    assert r.status_code == 200 and r.mimetype == "application/x-protobuf"
    name, rng, glyphs = decode_glyphs(r.data)
    assert (name, rng) == ("Blue Map Sans Regular", "0-255")
    by_id = {g["id"]: g for g in glyphs}
    assert set(map(ord, "Beijing AQI 0123456789")) <= set(by_id)
    h = by_id[ord("H")]
    assert len(h["bitmap"]) == (h["width"] + 6) * (h["height"] + 6)
    assert by_id[ord(" ")].get("bitmap") is None and by_id[ord(" ")]["advance"] > 0


def test_cjk_glyphs_for_every_province_name(client, conn):
    names = "".join(r[0] for r in conn.execute("SELECT name_zh FROM admin_areas WHERE level = 'province'"))
    ranges = sorted({ord(ch) // 256 for ch in names})
    seen: set[int] = set()
    for start in ranges:
        r = client.get(f"/fonts/Blue Map Sans Bold/{start * 256}-{start * 256 + 255}.pbf",
                       headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200
        import gzip
        _, _, glyphs = decode_glyphs(gzip.decompress(r.data) if r.headers.get("Content-Encoding") else r.data)
        for g in glyphs:
            if g.get("bitmap"):
                assert len(g["bitmap"]) == (g["width"] + 6) * (g["height"] + 6)
                assert max(g["bitmap"]) > 191  # the outline threshold is crossed: ink is there
            seen.add(g["id"])
    assert set(map(ord, names)) <= seen
