"""The exported HTML map laid out in a browser: legend, scale bar, zoom buttons and attribution apart."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.db, pytest.mark.browser]


@pytest.mark.parametrize("url", ["/exports/factories.html?area=110000", "/exports/carbon.html"])
@pytest.mark.parametrize("viewport", [(1280, 800), (480, 640)])
def test_nothing_covers_the_legend(client, browser, url, viewport):
    html = client.get(url).get_data(as_text=True)
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    try:
        page = context.new_page()
        page.set_content(html, wait_until="load")
        page.wait_for_selector(".leaflet-control-scale")
        boxes = {sel: page.locator(sel).bounding_box() for sel in (
            "#bluemap-legend", ".leaflet-control-scale", ".leaflet-control-zoom", "#bluemap-attribution")}
        assert all(boxes.values()), boxes
        legend = boxes.pop("#bluemap-legend")
        for sel, b in boxes.items():
            apart = (legend["x"] + legend["width"] <= b["x"] or b["x"] + b["width"] <= legend["x"]
                     or legend["y"] + legend["height"] <= b["y"] or b["y"] + b["height"] <= legend["y"])
            assert apart, (sel, legend, b)
    finally:
        context.close()
