"""`bluemap basemap update FILE.osc`: an OSM change file applied to an extract loaded with --updatable."""

from __future__ import annotations

import shutil

import psycopg
import pytest

from tests.db.test_basemap_osm import area
from tests.db.test_cli import run
from tests.osm_extract import CENTRE, STEP, write

pytestmark = pytest.mark.skipif(not shutil.which("osm2pgsql"), reason="osm2pgsql is not installed (make installs it)")


def _change(path):
    """Rename way 1 (测试大道, nodes 1 and 2), add a street, delete way 6 (竹林路)."""
    cx, cy = CENTRE
    y = cy + 1.6 * STEP
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<osmChange version="0.6" generator="bluemap-tests">
<create><node id="10001" version="1" lat="{y:.7f}" lon="{cx - 2 * STEP:.7f}"/>
<node id="10002" version="1" lat="{y:.7f}" lon="{cx + 2 * STEP:.7f}"/></create>
<modify><way id="1" version="2"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/>
<tag k="name" v="测试新大道"/><tag k="name:en" v="New Test Avenue"/></way></modify>
<delete><way id="6" version="2"/></delete>
<create><way id="10001" version="1"><nd ref="10001"/><nd ref="10002"/><tag k="highway" v="residential"/>
<tag k="name" v="新建路"/><tag k="name:en" v="New Road"/></way></create>
</osmChange>
""", encoding="utf-8")
    return path


def _roads(db_url) -> dict[str, str]:
    with psycopg.connect(db_url) as c:
        return dict(c.execute("SELECT name_zh, kind FROM osm.roads WHERE name_zh IS NOT NULL").fetchall())


def _version(db_url) -> int:
    with psycopg.connect(db_url) as c:
        return c.execute("SELECT version FROM data_version").fetchone()[0]


def test_a_change_file_renames_adds_and_deletes_streets(settings, client, db_url, tmp_path):
    res = run(settings, "basemap", "load", "--updatable", str(write(tmp_path / "city.osm")))
    assert res.returncode == 0, res.stderr
    try:
        before, version = _roads(db_url), _version(db_url)
        assert {"测试大道", "竹林路"} <= set(before) and "新建路" not in before
        names = {f["properties"].get("name_zh") for f in area(client, 15)}
        assert "测试大道" in names and "新建路" not in names
        bad = tmp_path / "broken.osc"
        bad.write_text("<osmChange><modify><way id='1'>", encoding="utf-8")
        res = run(settings, "basemap", "update", str(bad))
        assert res.returncode != 0 and "not a readable osmChange file" in res.stderr
        assert _roads(db_url) == before and _version(db_url) == version
        unordered = tmp_path / "unordered.osc"
        delete = '<delete><way id="6" version="2"/></delete>'
        text = _change(tmp_path / "c.osc").read_text(encoding="utf-8").replace(delete, "")
        unordered.write_text(text.replace("</osmChange>", delete + "</osmChange>"), encoding="utf-8")
        res = run(settings, "basemap", "update", str(unordered))
        assert res.returncode != 0 and "way 6 comes too late" in res.stderr
        assert _roads(db_url) == before and _version(db_url) == version
        res = run(settings, "basemap", "update", str(_change(tmp_path / "changes.osc")))
        assert res.returncode == 0, res.stderr
        assert "applied changes.osc" in res.stdout
        after = _roads(db_url)
        assert after["测试新大道"] == "primary" and after["新建路"] == "residential"
        assert "测试大道" not in after and "竹林路" not in after and len(after) == len(before) + 1 - 1
        assert _version(db_url) > version  # the tile caches turn over
        names = {f["properties"].get("name_zh") for f in area(client, 15)}
        assert {"测试新大道", "新建路"} <= names and not {"测试大道", "竹林路"} & names
        status = run(settings, "basemap", "status")
        assert "changes.osc" in status.stdout
    finally:
        run(settings, "basemap", "drop", "--yes")


def test_change_files_need_an_updatable_import(settings, db_url, tmp_path):
    res = run(settings, "basemap", "load", str(write(tmp_path / "city.osm")))
    assert res.returncode == 0, res.stderr
    try:
        before = _roads(db_url)
        res = run(settings, "basemap", "update", str(_change(tmp_path / "changes.osc")))
        assert res.returncode != 0 and "--updatable" in res.stderr and _roads(db_url) == before
        res = run(settings, "basemap", "update", str(tmp_path / "city.osm"))
        assert res.returncode != 0 and "must end in .osc" in res.stderr
    finally:
        run(settings, "basemap", "drop", "--yes")
