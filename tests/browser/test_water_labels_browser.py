"""River and lake names drawn by Chromium in the page's language; a geocoded facility's popup says how approximate."""

from __future__ import annotations

import pytest

from tests.browser.conftest import wait_for_map
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _rendered(page, layer: str, prop: str) -> set[str]:
    return set(page.evaluate(
        f"window.bluemap.map.queryRenderedFeatures({{layers: ['{layer}']}}).map(f => f.properties.{prop})"))


@pytest.mark.parametrize("lang, prop, rivers, lake", [("zh", "name_zh", {"长江"}, "洞庭湖"),
                                                       ("en", "name_en", {"Yangtze", "Chang Jiang"}, "Dongting Hu")])
def test_rivers_and_lakes_are_named(page, live_url, lang, prop, rivers, lake):
    page.goto(live_url + f"/?lang={lang}#6/30.0/111.5", wait_until="load")
    wait_for_map(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#map").screenshot(path=str(ARTIFACTS / f"basemap-water-labels-{lang}.png"))
    assert rivers & _rendered(page, "basemap-river-labels", prop)
    assert lake in _rendered(page, "basemap-lake-labels", prop)
    assert not page.problems, page.problems.items


def test_factory_popup_says_a_point_is_approximate(page, live_url):
    page.goto(live_url + "/?lang=en#5/30/115", wait_until="load")
    wait_for_map(page)
    html = page.evaluate("window.BLUEMAP.popupHtml.factory({id: 1, name_en: 'X', industry: 'cement', "
                         "status: 'none', violation_count: 0, location_precision: 'county'})")
    assert 'data-precision="county"' in html and "placed at the county&#39;s representative point" in html
    exact = page.evaluate("window.BLUEMAP.popupHtml.factory({id: 1, name_en: 'X', industry: 'cement', "
                          "status: 'none', violation_count: 0})")
    assert "data-precision" not in exact
