"""The Green Supply Chain map and a brand's page in headless Chromium, anonymous and signed in."""

from __future__ import annotations

import random

import psycopg
import pytest

from supply import lists as sl
from tests.browser.conftest import wait_for_map
from tests.supply_helpers import PASSWORD, csv_bytes, make_brand, make_user, unique

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_brand(db_url):
    """The demo brand with the most public suppliers in China."""
    with psycopg.connect(db_url) as c:
        row = c.execute("""SELECT b.slug, count(*) FROM brands b
                           JOIN brand_facility_links l ON l.brand_id = b.id AND l.is_public AND l.active
                           JOIN facilities f ON f.id = l.facility_id AND f.attrs->>'country' = 'China'
                           WHERE b.dataset_id = 'osh-fixture-lists'
                           GROUP BY b.slug ORDER BY 2 DESC, 1 LIMIT 1""").fetchone()
    assert row
    return row[0]


@pytest.fixture(scope="module")
def chain_brand(db_url):
    """A brand with a public three-tier chain and one private supplier, and its user."""
    bid, slug = make_brand(db_url, "browser")
    pts = [(random.uniform(112, 114), random.uniform(22.5, 24)) for _ in range(4)]
    rows = [{"ref": "A", "name": unique("Assembly"), "lon": pts[0][0], "lat": pts[0][1],
             "tier": "manufacturing_assembly", "parent": "", "public": "yes"},
            {"ref": "B", "name": unique("Dyehouse"), "lon": pts[1][0], "lat": pts[1][1], "tier": "processing",
             "parent": "A", "public": "yes"},
            {"ref": "C", "name": unique("Cotton"), "lon": pts[2][0], "lat": pts[2][1],
             "tier": "raw_materials", "parent": "B", "public": "yes"},
            {"ref": "D", "name": unique("Hidden"), "lon": pts[3][0], "lat": pts[3][1], "tier": "packaging",
             "parent": "A", "public": "no"}]
    with psycopg.connect(db_url) as c:
        up = sl.upload(c, bid, csv_bytes(rows), "chain.csv")
    assert up.status == "accepted"
    return slug, make_user(db_url, "brand", bid), rows


def test_supply_chain_map_and_brand_filter(page, live_url, demo_brand):
    tiles = []
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/suppliers/" in r.url else None)
    page.goto(live_url + "/supply-chain", wait_until="load")
    wait_for_map(page)
    assert page.locator("#brand-filter option").count() >= 11
    assert page.locator("#supply-legend li").count() == 4
    assert page.locator("#brand-list .logo-slot .swatch.icon").count() >= 10  # logos cut from the sprite
    page.evaluate("window.bluemap.map.jumpTo({center: [116, 30], zoom: 4})")
    wait_for_map(page)
    page.select_option("#brand-filter", demo_brand)
    page.wait_for_function(f"window.bluemap.supplyChain.brand === '{demo_brand}'")
    src = page.evaluate("window.bluemap.map.getSource('suppliers').tiles[0]")
    assert src.endswith(f"?brand={demo_brand}")
    assert f"brand={demo_brand}" in page.url
    page.evaluate("window.bluemap.map.jumpTo({center: [117, 31], zoom: 4.5})")
    wait_for_map(page)
    assert any(f"brand={demo_brand}" in u for u in tiles)
    rendered = page.evaluate("window.bluemap.map.queryRenderedFeatures({layers: ['suppliers-logos']})"
                             ".map(f => f.properties.brands)")
    assert rendered and all(demo_brand in b.split(",") for b in rendered)
    assert not page.problems, page.problems.items


def test_brand_page_of_a_demo_brand(page, live_url, demo_brand):
    page.goto(f"{live_url}/brands/{demo_brand}", wait_until="load")
    wait_for_map(page)
    page.wait_for_function("window.bluemap.brand !== undefined")
    n = page.evaluate("window.bluemap.brand.suppliers")
    assert n > 0 and page.evaluate("window.bluemap.brand.includesPrivate") is False
    assert page.locator("#brand-suppliers li[data-facility-id]").count() == n
    assert page.locator("#report-csv").get_attribute("href").endswith("/report.csv")
    assert not page.problems, page.problems.items


def test_brand_page_chain_tiers_and_private_links(page, live_url, chain_brand):
    slug, email, rows = chain_brand
    page.goto(f"{live_url}/brands/{slug}", wait_until="load")
    wait_for_map(page)
    page.wait_for_function("window.bluemap.brand !== undefined")
    expected = {"suppliers": 3, "edges": 2, "includesPrivate": False, "tier": ""}
    assert page.evaluate("window.bluemap.brand") == expected
    assert rows[3]["name"] not in page.content()  # the private supplier is not on the public page
    wait_for_map(page)
    drawn = page.evaluate("window.bluemap.map.queryRenderedFeatures({layers: ['brand-chain-lines']}).length")
    assert drawn >= 2
    page.select_option("#tier-filter", "processing")
    page.wait_for_function("window.bluemap.brand.tier === 'processing'")
    assert page.locator("#brand-suppliers li[data-tier]:visible").count() == 1
    assert page.locator("#brand-summary tbody tr:visible").count() == 1
    wait_for_map(page)
    shown = page.evaluate("window.bluemap.map.queryRenderedFeatures({layers: ['brand-suppliers-status']})"
                          ".map(f => f.properties.tier)")
    assert set(shown) <= {"processing"}
    assert not page.problems, page.problems.items

    # signed in as the brand's user, the private supplier appears too
    page.goto(f"{live_url}/login?next=/brands/{slug}", wait_until="load")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"**/brands/{slug}")
    wait_for_map(page)
    page.wait_for_function("window.bluemap.brand !== undefined")
    expected = {"suppliers": 4, "edges": 3, "includesPrivate": True, "tier": ""}
    assert page.evaluate("window.bluemap.brand") == expected
    assert rows[3]["name"] in page.locator("#brand-suppliers").inner_text()
    assert page.locator("#private-note").count() == 1 and page.locator("#nav-logout").count() == 1
    page.click("#nav-logout")
    page.wait_for_load_state("load")
    assert page.locator("#nav-login").count() == 1
    assert not page.problems, page.problems.items
