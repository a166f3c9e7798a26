"""The basemap in Chromium: neighbours and counties offline, and an imported extract's streets at z15."""

from __future__ import annotations

import shutil

import pytest

from tests.browser.conftest import wait_for_map
from tests.conftest import ARTIFACTS
from tests.db.test_cli import run
from tests.osm_extract import CENTRE, write

pytestmark = pytest.mark.browser


def _rendered(page, layer: str, prop: str) -> set[str]:
    return set(page.evaluate(
        f"window.bluemap.map.queryRenderedFeatures({{layers: ['{layer}']}}).map(f => f.properties.{prop})"))


def test_neighbours_and_water_at_z5(page, live_url):
    page.goto(live_url + "/?lang=zh#5/16/108", wait_until="load")
    wait_for_map(page)
    assert {"越南", "老挝"} <= _rendered(page, "basemap-countries", "name_zh")
    assert page.evaluate("window.bluemap.map.queryRenderedFeatures({layers: ['basemap-land']}).length") > 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#map").screenshot(path=str(ARTIFACTS / "basemap-z5-neighbours.png"))
    assert not page.problems, page.problems.items


def test_counties_at_z9(page, live_url):
    page.goto(live_url + "/?lang=en#9/39.95/116.4", wait_until="load")
    wait_for_map(page)
    assert {"Chaoyang District", "Haidian District"} <= _rendered(page, "basemap-county-labels", "name_en")
    assert not page.problems, page.problems.items


@pytest.mark.skipif(not shutil.which("osm2pgsql"), reason="osm2pgsql is not installed (make installs it)")
def test_imported_streets_at_z15(page, live_url, settings, tmp_path):
    path = write(tmp_path / "screenshot-city.osm")
    res = run(settings, "basemap", "load", str(path))
    assert res.returncode == 0, res.stderr
    try:
        page.goto(live_url + f"/?lang=zh#15/{CENTRE[1]}/{CENTRE[0]}", wait_until="load")
        wait_for_map(page)
        page.wait_for_function("() => window.bluemap.map.queryRenderedFeatures({layers: ['streets-roads']}).length"
                               " > 0", timeout=15000)
        wait_for_map(page)
        assert {"primary", "tertiary", "residential"} <= _rendered(page, "streets-roads", "kind")
        assert _rendered(page, "streets-water", "class") == {"water"}
        assert "测试大道" in _rendered(page, "streets-road-names", "name_zh")
        assert "测试医院（合成）" in _rendered(page, "streets-pois", "name_zh")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#map").screenshot(path=str(ARTIFACTS / "basemap-z15.png"))
        assert "OpenStreetMap" in (page.locator(".maplibregl-ctrl-attrib").text_content() or "")
        assert not page.problems, page.problems.items
    finally:
        run(settings, "basemap", "drop", "--yes")
