"""The indices pages in a real browser, in both languages: the GHG calculator form, the brand and city rankings."""

from __future__ import annotations

import psycopg

from indices import brands, piti


def test_ghg_calculator_in_both_languages(page, live_url):
    page.goto(live_url + "/ghg?lang=en", wait_until="load")
    page.fill("input[name=year]", "2022")
    page.select_option("select[name=region_0]", "north")
    page.fill("input[name=mwh_0]", "1000")  # 1000 x 0.6776 = 677.6 t
    page.click("#ghg-submit")
    page.wait_for_selector("#ghg-result")
    assert float(page.inner_text("#ghg-scope2").replace(",", "")) == 677.6
    assert "North China" in page.inner_text("#ghg-result")
    page.goto(live_url + "/ghg?lang=zh", wait_until="load")
    assert "温室气体排放计算器" in page.inner_text("h1") and "华北" in page.inner_text("#ghg-grid")
    assert not page.problems


def test_rankings_pages_in_both_languages(page, live_url, db_url):
    with psycopg.connect(db_url) as c:
        brands.store(c, brands.compute(c, 2024))
        has_cities = c.execute("SELECT 1 FROM admin_areas WHERE level = 'prefecture' LIMIT 1").fetchone()
        if has_cities:
            piti.demo(c, 2024, cities=10)
    page.goto(live_url + "/rankings/brands?year=2024&lang=en", wait_until="load")
    assert page.locator("#rank-table tbody tr").count() > 0
    page.select_option("#rank-sort", "name")
    page.click("#rank-form button[type=submit]")
    page.wait_for_url("**sort=name**")
    page.click("#rank-table tbody tr a >> nth=0")
    page.wait_for_selector("#idx-breakdown")
    assert "input missing" in page.inner_text("#idx-breakdown")
    page.goto(live_url + "/rankings/brands?year=2024&lang=zh", wait_until="load")
    assert "供应链" in page.inner_text("#rankings-brands")
    page.goto(live_url + "/rankings/cities?year=2024&lang=en", wait_until="load")
    assert page.locator("#piti-map").count() == 1
    if has_cities:
        assert page.locator("#piti-synthetic").is_visible()
    assert not page.problems
