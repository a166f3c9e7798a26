"""Every page at 390 x 844: nothing wider than the screen, a one-row header, tables scrolling in their box, the
map pages' panel folding away; honest near me, map filters and "export this view" in the browser."""

from __future__ import annotations

import psycopg
import pytest

from tests.browser.conftest import wait_for_map

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SKIP = ("/api", "/tiles", "/exports", "/ogc", "/styles", "/sprites", "/fonts", "/raster", "/vendor", "/static",
        "/healthz", "/logout", "/metrics")
MAP_PAGES = {"/", "/near", "/carbon", "/supply-chain"}


def _pages(app, db_url) -> list[str]:
    """Every GET page without arguments, and one facility, station and brand page."""
    paths = sorted({r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments
                    and not r.rule.startswith(SKIP) and "." not in r.rule.rsplit("/", 1)[-1]})
    with psycopg.connect(db_url) as c:
        fid = c.execute("SELECT id FROM facilities WHERE private_to_brand IS NULL AND violation_count > 2 "
                        "ORDER BY id LIMIT 1").fetchone()[0]
        sid = c.execute("SELECT id FROM stations WHERE kind = 'air' ORDER BY id LIMIT 1").fetchone()[0]
        slug = c.execute("SELECT b.slug FROM brands b JOIN brand_facility_links l ON l.brand_id = b.id "
                         "AND l.is_public GROUP BY b.slug ORDER BY count(*) DESC, 1 LIMIT 1").fetchone()[0]
    return paths + [f"/facilities/{fid}", f"/stations/{sid}", f"/brands/{slug}", "/search?q=%E6%B0%B4%E6%B3%A5"]


LAYOUT = """() => {
  const vw = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")].filter((el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    if (!r.width || s.visibility === "hidden" || s.position === "fixed") return false;
    let p = el.parentElement;  // inside a box that scrolls sideways (the header, a table) it may be wider
    while (p && p !== document.body) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(p).overflowX)) return false;
      p = p.parentElement;
    }
    return r.right > vw + 1;  // (wholly off-screen to the left is hidden on purpose, like a form's honeypot)
  }).map((el) => el.tagName + (el.id ? "#" + el.id : "") + "." + el.className);
  const header = document.querySelector("header.top");
  const centres = [...header.children].filter((el) => el.getBoundingClientRect().width)
    .map((el) => { const r = el.getBoundingClientRect(); return (r.top + r.bottom) / 2; });
  const tables = [...document.querySelectorAll("table")].filter((t) => t.getBoundingClientRect().width)
    .filter((t) => t.getBoundingClientRect().right > vw + 1).map((t) => t.id || t.className);
  return {scroll: document.documentElement.scrollWidth, vw, wide: wide.slice(0, 5),
          spread: Math.max(...centres) - Math.min(...centres),
          headerHeight: header.getBoundingClientRect().height, tables};
}"""


def test_every_page_fits_a_phone(page, live_url, app, db_url):
    page.set_viewport_size(PHONE)
    failures = []
    for path in _pages(app, db_url):
        page.goto(live_url + path, wait_until="load")
        page.wait_for_timeout(400)
        if not page.locator("header.top").count():  # not a page (a JSON or file answer)
            continue
        m = page.evaluate(LAYOUT)
        if m["scroll"] > m["vw"] + 1 or m["wide"]:
            failures.append(f"{path}: page {m['scroll']} px wide for {m['vw']}: {m['wide']}")
        if m["spread"] > 12 or m["headerHeight"] > 60:  # one row: the items share a centre line
            failures.append(f"{path}: header wraps: {m['headerHeight']} px high, centres {m['spread']} px apart")
        if m["tables"]:
            failures.append(f"{path}: tables wider than the screen: {m['tables']}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", sorted(MAP_PAGES))
def test_map_panels_fold_away_on_a_phone(page, live_url, path):
    page.set_viewport_size(PHONE)
    page.goto(live_url + path, wait_until="load")
    wait_for_map(page)
    panel = page.locator(".map-page .panel").first
    toggle = panel.locator(".panel-toggle")
    assert toggle.is_visible()
    open_h, map_h = panel.bounding_box()["height"], page.locator("#map").bounding_box()["height"]
    assert 100 < open_h <= 0.5 * PHONE["height"] and map_h >= 300
    toggle.click()
    page.wait_for_timeout(300)
    assert panel.bounding_box()["height"] <= 50
    assert page.locator("#map").bounding_box()["height"] >= 650
    assert page.evaluate("window.bluemap.map.getCanvas().clientHeight") >= 650  # the map was resized
    toggle.click()
    assert panel.bounding_box()["height"] == pytest.approx(open_h, abs=2)


def test_desktop_has_no_panel_toggle(page, live_url):
    page.goto(live_url + "/", wait_until="load")
    assert not page.locator(".panel-toggle").is_visible()


def test_near_me_in_shanghai_says_no_air_station_is_near(page, live_url):
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/near?lon=121.4737&lat=31.2304&radius_m=3000&lang=en", wait_until="load")
    page.wait_for_selector("#near-air li.none-within")
    air = page.locator("#near-air").inner_text()
    assert "Air quality stations within 50 km" in air and "No station within 50 km" in air
    assert "The closest is" in air
    closest = page.locator("#near-air li[data-station-id]")
    assert closest.count() == 1
    distance = closest.locator(".distance").inner_text()
    assert float(distance.split()[0].replace(",", "")) > 1000  # Beijing, over 1,000 km away
    text = closest.inner_text()
    assert "years ago" in text and "out of date" in text and "2017-02-28" in text
    assert page.locator("#near-bureau").inner_text().count("Shanghai") >= 1
    assert page.locator("#near-panel").bounding_box()["height"] > 200  # results are not squeezed into a strip


def test_station_page_shows_the_age_of_its_latest_reading(page, live_url, db_url):
    with psycopg.connect(db_url) as c:
        sid = c.execute("SELECT id FROM stations WHERE kind = 'air' ORDER BY id LIMIT 1").fetchone()[0]
    page.goto(f"{live_url}/stations/{sid}?lang=zh", wait_until="load")
    latest = page.locator("#st-latest")
    assert "年前" in latest.inner_text() and latest.locator(".stale-tag").is_visible()


def test_map_filters_reach_the_tiles_and_export_this_view(page, live_url):
    page.goto(live_url + "/?lang=en", wait_until="load")
    wait_for_map(page)
    page.locator("#map-filters input[name=status][value=open]").check()
    page.select_option("#filter-key", "true")
    page.fill("#filter-since", "2015-01-01")
    page.click("#map-filters button[type=submit]")
    tiles = page.evaluate("window.bluemap.map.getSource('factories').tiles[0]")
    assert "status=open" in tiles and "key_monitored=true" in tiles and "since=2015-01-01" in tiles
    assert "{z}/{x}/{y}" in tiles and "v=" in tiles
    assert "status=open" in page.url
    wait_for_map(page)
    statuses = page.evaluate("window.bluemap.map.queryRenderedFeatures({layers: ['factories-clusters', "
                             "'factories-points']}).map(f => f.properties.open_count ?? "
                             "(f.properties.status === 'open' ? 1 : 0))")
    assert statuses and all(s > 0 for s in statuses)  # every drawn cluster or point has an open record
    page.click("#export-view")
    page.wait_for_selector("#export-dialog[open]")
    page.select_option("#export-format", "geojson")
    href = page.get_attribute("#export-link", "href")
    assert href.startswith("/exports/factories.geojson?") and "status=open" in href and "bbox=" in href
    body = page.request.get(live_url + href).json()
    assert body["type"] == "FeatureCollection"
    assert body["metadata"]["filters"]["status"] == ["open"]
    page.select_option("#export-layer", "air_stations")
    assert "status=" not in page.get_attribute("#export-link", "href")
    page.click("#export-dialog button[value=close]")
    page.fill("#filter-until", "2010-01-01")
    page.click("#map-filters button[type=submit]")
    assert "error" in page.get_attribute("#filter-message", "class")
