"""`bluemap basemap load|status|drop`: an OSM XML extract written by the test, through osm2pgsql to tiles."""

from __future__ import annotations

import shutil
import time

import mapbox_vector_tile
import mercantile
import psycopg
import pytest

from tests.db.test_cli import run
from tests.osm_extract import CENTRE, STEP, write

pytestmark = pytest.mark.skipif(not shutil.which("osm2pgsql"), reason="osm2pgsql is not installed (make installs it)")


def area(client, z: int) -> list[dict]:
    """The `streets` features of every tile covering the extract at zoom z."""
    r = 4 * STEP
    return [f for t in mercantile.tiles(CENTRE[0] - r, CENTRE[1] - r, CENTRE[0] + r, CENTRE[1] + r, z)
            for f in streets(client, z, tile_xy=(t.x, t.y))[0]]


def streets(client, z: int, lon: float = CENTRE[0], lat: float = CENTRE[1],
            tile_xy: tuple[int, int] | None = None) -> tuple[list[dict], str | None]:
    """The `streets` features of the tile at (lon, lat) and zoom z, and the tile's ETag."""
    x, y = tile_xy or mercantile.tile(lon, lat, z)[:2]
    r = client.get(f"/tiles/streets/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "identity"})
    assert r.status_code in (200, 204)
    feats = mapbox_vector_tile.decode(r.data)["streets"]["features"] if r.data else []
    return feats, r.headers.get("ETag")


@pytest.fixture(scope="module")
def extract(settings, tmp_path_factory):
    """The test extract imported with the CLI; dropped again afterwards."""
    path = write(tmp_path_factory.mktemp("osm") / "test-city.osm")
    res = run(settings, "basemap", "load", str(path))
    assert res.returncode == 0, res.stderr
    yield path
    run(settings, "basemap", "drop", "--yes")


def test_load_fills_the_tables(extract, db_url):
    with psycopg.connect(db_url) as c:
        roads = dict(c.execute("SELECT name_zh, kind FROM osm.roads WHERE name_zh IS NOT NULL").fetchall())
        assert roads["测试大道"] == "primary" and roads["梧桐街"] == "residential" and len(roads) == 6
        assert c.execute("SELECT kind FROM osm.roads WHERE name_zh IS NULL").fetchone()[0] == "path"
        assert c.execute("SELECT name_zh FROM osm.water_lines").fetchone()[0] == "测试河"
        lake = c.execute("SELECT ST_NumInteriorRings(geom) FROM osm.water_areas WHERE name_zh = '镜湖'").fetchone()
        assert lake == (1,)  # the multipolygon relation keeps its island
        assert c.execute("SELECT kind FROM osm.landuse WHERE name_en = 'Test Park'").fetchone()[0] == "park"
        assert c.execute("SELECT count(*) FROM osm.buildings").fetchone()[0] == 4
        assert c.execute("SELECT count(*) FROM osm.railways").fetchone()[0] == 1
        places = {r[0]: r[1:] for r in c.execute("SELECT name_zh, class, kind, minzoom FROM osm.places")}
        assert places["测试镇"] == ("place", "suburb", 12) and places["测试小学"] == ("poi", "school", 15)
        assert c.execute("SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'osm_next'"
                         ).fetchone()[0] == 0


def test_tiles_show_the_streets_by_zoom(extract, client):
    sizes = {}
    for z in range(10, 17):
        feats = area(client, z)
        classes = {f["properties"]["class"] for f in feats}
        kinds = {f["properties"]["kind"] for f in feats if f["properties"]["class"] == "road"}
        assert "primary" in kinds, z
        assert ("residential" in kinds) == (z >= 13), z
        assert ("building" in classes) == (z >= 14), z
        assert ("poi" in classes) == (z >= 15), z
        sizes[z] = len(feats)
    assert sizes[16] > sizes[10]
    feats = area(client, 15)
    names = {f["properties"].get("name_zh") for f in feats}
    assert {"测试大道", "测试河", "测试公园", "测试镇", "测试医院（合成）"} <= names
    en = {f["properties"].get("name_en") for f in feats}
    assert {"Test Avenue", "Testtown"} <= en
    far, _ = streets(client, 15, 100.0, 40.0)
    assert far == []
    low = client.get("/tiles/streets/9/427/208.mvt")
    assert low.status_code == 204


def test_status_reports_the_import(extract, settings):
    res = run(settings, "basemap", "status")
    assert res.returncode == 0, res.stderr
    assert "test-city.osm" in res.stdout and "7 roads" in res.stdout and "4 buildings" in res.stdout


def test_a_new_extract_replaces_the_old_one_and_turns_the_tile_caches_over(extract, settings, client, db_url):
    before, etag = streets(client, 15)
    assert "测试大道" in {f["properties"].get("name_zh") for f in before}
    text = extract.read_text(encoding="utf-8").replace("测试大道", "新华大道")
    newer = extract.with_name("test-city-2024.osm")
    newer.write_text(text, encoding="utf-8")
    res = run(settings, "basemap", "load", str(newer))
    assert res.returncode == 0, res.stderr
    for _ in range(50):  # the app hears of the new data version by LISTEN/NOTIFY, within moments
        after, etag2 = streets(client, 15)
        names = {f["properties"].get("name_zh") for f in after}
        if "新华大道" in names:
            break
        time.sleep(0.1)
    assert "新华大道" in names and "测试大道" not in names and etag2 != etag
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT source FROM basemap_imports ORDER BY id DESC LIMIT 1").fetchone()[0] == newer.name
        assert c.execute("SELECT count(*) FROM osm.roads").fetchone()[0] == 7


def test_a_broken_extract_changes_nothing(extract, settings, db_url, tmp_path):
    with psycopg.connect(db_url) as c:
        roads = c.execute("SELECT count(*) FROM osm.roads").fetchone()[0]
    broken = tmp_path / "broken.osm"
    broken.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" lat="x" lon="1"/>', encoding="utf-8")
    res = run(settings, "basemap", "load", str(broken))
    assert res.returncode != 0 and "osm2pgsql could not import broken.osm" in res.stderr
    wrong = tmp_path / "streets.csv"
    wrong.write_text("a,b\n", encoding="utf-8")
    res = run(settings, "basemap", "load", str(wrong))
    assert res.returncode != 0 and "must end in .osm.pbf" in res.stderr
    res = run(settings, "basemap", "load", str(tmp_path / "missing.osm.pbf"))
    assert res.returncode != 0 and "no such file" in res.stderr
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM osm.roads").fetchone()[0] == roads
        assert c.execute("SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'osm_next'"
                         ).fetchone()[0] == 0


def test_sources_credit_the_import(extract, client):
    html = client.get("/sources?lang=en").get_data(as_text=True)
    assert 'id="ds-osm-extract"' in html and "© OpenStreetMap contributors (ODbL 1.0)" in html


def test_drop_empties_the_street_basemap(settings, client, db_url, tmp_path):
    path = write(tmp_path / "drop-me.osm")
    assert run(settings, "basemap", "load", str(path)).returncode == 0
    res = run(settings, "basemap", "drop", "--yes")
    assert res.returncode == 0, res.stderr
    for _ in range(50):
        if streets(client, 15)[0] == []:
            break
        time.sleep(0.1)
    assert streets(client, 15)[0] == []
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM datasets WHERE id = 'osm-extract'").fetchone()[0] == 0
    status = run(settings, "basemap", "status")
    assert "no OpenStreetMap extract loaded" in status.stdout
