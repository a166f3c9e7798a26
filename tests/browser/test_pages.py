"""The web app in headless Chromium against the real database and the bundled data."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.browser.conftest import wait_for_map

pytestmark = pytest.mark.browser


def _goto(page, url: str) -> None:
    page.goto(url, wait_until="load")


def _map_colours(page, selector: str = "#map") -> int:
    """Distinct colours in a screenshot of the map: a blank or background-only map has very few."""
    img = Image.open(io.BytesIO(page.locator(selector).screenshot())).convert("RGB").resize((320, 200))
    return len(img.getcolors(maxcolors=1 << 16) or [])


@pytest.fixture()
def isolated_factory(conn):
    """A facility with violation records and no other facility within 1.5 km (so a click hits only it)."""
    row = conn.execute("""
        SELECT f.id, f.name_zh, f.name_en, ST_X(f.geom), ST_Y(f.geom) FROM facilities f
        WHERE f.violation_count > 0 AND f.name_zh IS NOT NULL AND ST_Y(f.geom) BETWEEN 22 AND 42
          AND NOT EXISTS (SELECT 1 FROM facilities g WHERE g.id <> f.id
                          AND ST_DWithin(g.geom::geography, f.geom::geography, 1500))
          AND NOT EXISTS (SELECT 1 FROM stations s WHERE ST_DWithin(s.geom::geography, f.geom::geography, 1500))
        ORDER BY f.id LIMIT 1""").fetchone()
    assert row, "the bundled data has isolated facilities with records"
    return row


@pytest.mark.parametrize("path", ["/", "/near", "/carbon", "/sources", "/search?q=%E6%B0%B4%E6%B3%A5"])
def test_page_loads_without_errors(page, live_url, path):
    _goto(page, live_url + path)
    if path in ("/", "/near", "/carbon"):
        wait_for_map(page)
    else:
        page.wait_for_load_state("networkidle")
    assert not page.problems, page.problems.items


def test_blue_map_shows_rendered_tiles(page, live_url):
    tiles = []
    page.on("response", lambda r: tiles.append(r.status) if "/tiles/" in r.url and ".mvt" in r.url else None)
    _goto(page, live_url + "/")
    wait_for_map(page)
    assert tiles and all(s in (200, 204) for s in tiles) and 200 in tiles
    assert page.evaluate("window.bluemap.map.queryRenderedFeatures({layers: ['factories-clusters']}).length") > 10
    assert _map_colours(page) > 200
    assert not page.problems, page.problems.items


def test_layer_switch_hides_a_layer(page, live_url):
    _goto(page, live_url + "/")
    wait_for_map(page)
    page.uncheck("#toggle-factories")
    assert page.evaluate("window.bluemap.map.getLayoutProperty('factories-clusters', 'visibility')") == "none"
    page.check("#toggle-suppliers")
    assert page.evaluate("window.bluemap.map.getLayoutProperty('suppliers-logos', 'visibility')") == "visible"


def test_clicking_a_factory_opens_its_popup(page, live_url, isolated_factory):
    fid, name_zh, _, lon, lat = isolated_factory
    _goto(page, f"{live_url}/#15/{lat}/{lon}")
    wait_for_map(page)
    page.wait_for_function(f"window.bluemap.map.queryRenderedFeatures({{layers: ['factories-points']}})"
                           f".some(f => f.properties.id === {fid})", timeout=15000)
    x, y = page.evaluate(f"(() => {{ const p = window.bluemap.map.project([{lon}, {lat}]); return [p.x, p.y]; }})()")
    page.locator("#map canvas").click(position={"x": x, "y": y})
    popup = page.locator(".maplibregl-popup-content")
    popup.wait_for(timeout=5000)
    assert name_zh in popup.inner_text()
    assert popup.locator(f"a[href='/facilities/{fid}']").count() == 1
    assert not page.problems, page.problems.items


def test_facility_page(page, live_url, isolated_factory, conn):
    fid, name_zh, *_ = isolated_factory
    _goto(page, f"{live_url}/facilities/{fid}")
    wait_for_map(page)
    assert name_zh in page.locator("#facility-name").inner_text()
    n = conn.execute("SELECT count(*) FROM violations WHERE facility_id = %s", (fid,)).fetchone()[0]
    assert page.locator("#violations tbody tr").count() == n
    assert page.locator(".synthetic-tag").count() > 0  # the records are synthetic and say so
    assert page.locator(".source a[rel=license]").count() == 1
    assert not page.problems, page.problems.items


def test_near_me_lists_the_facilities_within_the_radius(page, live_url, conn):
    lon, lat, radius = 118.18, 39.63, 10000  # Tangshan: steel and power plants in the bundled data
    expected = [r[0] for r in conn.execute("""
        SELECT id FROM facilities WHERE ST_DWithin(geom::geography, ST_MakePoint(%s, %s)::geography, %s)
        ORDER BY ST_Distance(geom::geography, ST_MakePoint(%s, %s)::geography), id""", (lon, lat, radius, lon, lat))]
    assert expected
    _goto(page, f"{live_url}/near?lon={lon}&lat={lat}&radius_m={radius}")
    page.locator("#near-facilities li[data-facility-id]").first.wait_for(timeout=15000)
    shown = [int(x) for x in page.locator("#near-facilities li[data-facility-id]").evaluate_all(
        "els => els.map(e => e.dataset.facilityId)")]
    assert set(shown) <= set(expected) and len(shown) == min(len(expected), len(shown))
    assert shown[:5] == expected[:5]
    assert "河北省生态环境厅" in page.locator("#near-bureau").inner_text()
    assert page.locator("#near-air li a").count() >= 1
    wait_for_map(page)
    assert not page.problems, page.problems.items


def test_near_me_by_place_name(page, live_url):
    _goto(page, live_url + "/near")
    page.fill("#near-place", "武汉")
    page.click("#near-form button[type=submit]")
    page.locator("#near-bureau").wait_for(timeout=15000)
    assert "湖北" in page.locator("#near-bureau").inner_text()
    lat = float(page.url.split("lat=")[1].split("&")[0])
    assert 30.4 < lat < 30.8  # Wuhan: the prefecture 武汉市 (ranked first when loaded) or the town


def test_carbon_year_slider_changes_the_map(page, live_url, conn):
    years = [r[0] for r in conn.execute("SELECT DISTINCT year FROM area_carbon ORDER BY year")]
    assert len(years) >= 2
    urls = []
    page.on("request", lambda r: urls.append(r.url) if "/tiles/carbon/" in r.url else None)
    _goto(page, live_url + "/carbon")
    wait_for_map(page)
    page.wait_for_function("window.bluemap.carbon")
    assert page.evaluate("window.bluemap.carbon.year") == years[-1]
    before = page.locator("#carbon-ranking tbody").inner_text()
    page.evaluate(f"(() => {{ const s = document.getElementById('carbon-year'); s.value = {years[0]};"
                  " s.dispatchEvent(new Event('input')); })()")
    page.wait_for_function(f"window.bluemap.carbon.year === {years[0]}")
    wait_for_map(page)
    assert any(f"year={years[0]}" in u for u in urls)
    assert page.locator("#carbon-ranking tbody").inner_text() != before
    assert page.locator("#carbon-year-label").inner_text() == str(years[0])
    assert not page.problems, page.problems.items


def test_language_switch(page, live_url):
    _goto(page, live_url + "/")
    assert page.locator("header nav a").first.inner_text() == "蔚蓝地图"
    page.click("#lang-switch")
    page.wait_for_load_state("load")
    assert page.locator("header nav a").first.inner_text() == "Blue Map"
    assert page.evaluate("document.documentElement.lang") == "en"
    wait_for_map(page)
    style = page.evaluate("window.bluemap.map.getStyle().metadata['bluemap:lang']")
    assert style == "en"
    _goto(page, live_url + "/sources")  # the choice sticks (cookie)
    assert page.locator("h1").inner_text() == "Data sources and licences"


def test_search_by_chinese_substring(page, live_url):
    _goto(page, live_url + "/")
    page.fill("#search-q", "水泥")
    first = page.locator("#search-dropdown .result").first
    first.wait_for(timeout=10000)
    assert "水泥" in first.inner_text()


def test_search_by_uscc_and_a_bad_check_digit(page, live_url, conn):
    uscc, fid = conn.execute("""SELECT c.uscc, f.id FROM companies c JOIN facilities f ON f.company_id = c.id
                                WHERE c.uscc IS NOT NULL ORDER BY f.id LIMIT 1""").fetchone()
    _goto(page, live_url + "/")
    page.fill("#search-q", uscc)
    first = page.locator("#search-dropdown .result").first
    first.wait_for(timeout=10000)
    assert first.get_attribute("href") == f"/facilities/{fid}"
    bad = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    _goto(page, f"{live_url}/search?q={bad}")
    msg = page.locator("#search-message")
    page.wait_for_function("document.getElementById('search-message').textContent.length > 0")
    assert "check" in msg.inner_text().lower() or "校验" in msg.inner_text()


def test_station_page_charts_table_and_csv(page, live_url, conn):
    sid, code, days = conn.execute("""
        SELECT s.id, s.code, count(*) FROM stations s JOIN air_daily d ON d.station_id = s.id
        WHERE s.kind = 'air' GROUP BY s.id, s.code ORDER BY s.code LIMIT 1""").fetchone()
    _goto(page, f"{live_url}/stations/{sid}")
    page.locator("#charts .chart[data-series=aqi] canvas").first.wait_for(timeout=15000)
    assert code in page.locator("#station-name").inner_text()
    assert page.locator("#charts .chart").count() >= 6  # AQI and each pollutant
    shown = page.evaluate("window.bluemap.series.rows.length")
    assert 300 <= shown <= days  # the default range: the last year of daily values
    assert page.locator("#st-table tbody tr").count() == min(shown, 500)
    assert "HJ 633" in page.locator("#st-scale").inner_text()
    # A chosen range, hourly: the series and the CSV link follow it.
    page.select_option("#st-interval", "hour")
    page.wait_for_function("window.bluemap.series.interval === 'hour'", timeout=15000)
    page.fill("#st-from", "2016-03-01")
    page.fill("#st-to", "2016-03-02")
    page.click("#station-form button[type=submit]")
    page.wait_for_function("window.bluemap.series.from.startsWith('2016-03-01')", timeout=15000)
    hours = page.evaluate("window.bluemap.series.rows.length")
    assert 40 <= hours <= 48
    href = page.locator("#st-csv").get_attribute("href")
    assert "format=csv" in href and "interval=hour" in href and "from=2016-03-01" in href
    csv = page.request.get(live_url + href)
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text().strip().splitlines()) == hours + 1
    assert not page.problems, page.problems.items
