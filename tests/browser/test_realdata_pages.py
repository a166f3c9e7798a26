"""The city level of the Blue Carbon Map and the site-wide demo-data notice, in headless Chromium."""

from __future__ import annotations

import pytest

from tests.browser.conftest import wait_for_map

pytestmark = pytest.mark.browser


def _choose(page, select: str, value: str) -> None:
    page.evaluate(f"(() => {{ const s = document.getElementById('{select}'); s.value = '{value}';"
                  " s.dispatchEvent(new Event('input')); })()")


def test_city_level_series_years_ranking_and_missing_denominator(page, live_url):
    urls = []
    page.on("request", lambda r: urls.append(r.url) if "/tiles/carbon/" in r.url else None)
    page.goto(live_url + "/carbon?lang=en", wait_until="load")
    wait_for_map(page)
    page.wait_for_function("window.bluemap.carbon")
    assert page.evaluate("window.bluemap.carbon.level") == "province"
    _choose(page, "carbon-level", "city")
    page.wait_for_function("window.bluemap.carbon.series === 'carbon-monitor-cities'")
    assert page.locator("#carbon-year").get_attribute("min") == "2019"
    assert page.locator("#carbon-year").get_attribute("max") == "2021"
    assert page.locator("#carbon-ranking tbody tr").count() == 209
    assert "Carbon Monitor" in page.locator("#carbon-source").inner_text()
    assert page.locator("#carbon-series-note").is_visible()
    assert page.evaluate("[...document.querySelectorAll('#carbon-series option')].filter(o => !o.hidden)"
                         ".map(o => o.value)") == ["carbon-monitor-cities", "cmcc-cities"]
    _choose(page, "carbon-series", "cmcc-cities")
    page.wait_for_function("window.bluemap.carbon.series === 'cmcc-cities'")
    assert page.locator("#carbon-year").get_attribute("min") == "2020"
    assert page.locator("#carbon-ranking tbody tr").count() == 41
    wait_for_map(page)
    assert any("level=city" in u and "series=cmcc-cities" in u for u in urls)
    _choose(page, "carbon-metric", "co2_per_capita_t")
    page.wait_for_function("window.bluemap.carbon.metric === 'co2_per_capita_t'")
    note = page.locator("#carbon-note")
    assert note.is_visible() and "no open data for this metric at city level" in note.inner_text()
    assert "no open data" in page.locator("#carbon-legend").inner_text()
    assert not page.problems, page.problems.items


def test_every_page_names_the_layers_with_demo_data(page, live_url):
    page.goto(live_url + "/sources?lang=en", wait_until="load")
    notice = page.locator("#demo-notice")
    assert notice.is_visible() and "water layer" in notice.inner_text()
    items = page.locator("#synthetic-list").inner_text()
    assert "PRTR" in items and "Online monitoring" in items and "anonymised" in items
    assert "Carbon Monitor" in page.locator("#ds-carbon-monitor-cities").inner_text()
