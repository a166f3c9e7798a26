"""A published PMTiles archive in Chromium: the map reads its low zooms by HTTP Range requests and draws them."""

from __future__ import annotations

import pytest

from tests.browser.conftest import wait_for_map
from tests.conftest import served
from tiles.publish import publish

pytestmark = pytest.mark.browser
MAXZOOM = 4


@pytest.fixture(scope="module")
def archive_url(settings, db_url, tmp_path_factory):
    """An app whose styles read zooms 0..4 from an archive it serves itself (/pmtiles/low.pmtiles)."""
    import psycopg

    from app import create_app

    folder = tmp_path_factory.mktemp("pmtiles")
    with psycopg.connect(db_url) as conn:
        publish(conn, folder / "low.pmtiles", MAXZOOM)
    app = create_app(settings.model_copy(update={
        "pmtiles_dir": folder, "pmtiles_url": "/pmtiles/low.pmtiles", "pmtiles_maxzoom": MAXZOOM}))
    with served(app) as url:
        yield url
    app.extensions["pool"].close()


@pytest.fixture(scope="module")
def basemap_url(settings, db_url, tmp_path_factory):
    """An app whose basemap comes from an external archive (BLUEMAP_BASEMAP_URL) of the basemap and streets."""
    import psycopg

    from app import create_app

    folder = tmp_path_factory.mktemp("basemap")
    with psycopg.connect(db_url) as conn:
        publish(conn, folder / "base.pmtiles", MAXZOOM, ["basemap", "streets"])
    app = create_app(settings.model_copy(update={"pmtiles_dir": folder, "basemap_url": "/pmtiles/base.pmtiles"}))
    with served(app) as url:
        yield url
    app.extensions["pool"].close()


def _rendered(page, layer: str) -> int:
    return page.evaluate(f"window.bluemap.map.queryRenderedFeatures({{layers: ['{layer}']}}).length")


def test_low_zooms_come_from_the_archive_by_range_requests(page, archive_url):
    ranged: list[tuple[str, int, str | None]] = []
    page.on("requestfinished", lambda r: ranged.append((r.headers.get("range"), r.response().status,
                                                          r.response().headers.get("content-range")))
            if "/pmtiles/low.pmtiles" in r.url else None)
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
    page.goto(archive_url + "/?lang=en#3.5/35/105", wait_until="load")
    wait_for_map(page)
    assert ranged and all(rng and status == 206 and crange and crange.startswith("bytes ")
                          for rng, status, crange in ranged), ranged
    assert _rendered(page, "basemap-land@published") > 0 and _rendered(page, "basemap-countries@published") > 0
    assert _rendered(page, "factories-clusters@published") > 0
    assert not [u for u in tiles if "/tiles/basemap/" in u or "/tiles/factories/" in u], tiles[:5]
    assert not page.problems, page.problems.items


def test_a_click_on_an_archived_cluster_still_zooms_in(page, archive_url):
    page.goto(archive_url + "/?lang=en#4/31/121", wait_until="load")
    wait_for_map(page)
    point = page.evaluate("""() => { const m = window.bluemap.map;
        const f = m.queryRenderedFeatures({layers: ['factories-clusters@published']})[0];
        if (!f) return null;
        const p = m.project(f.geometry.coordinates), r = m.getCanvas().getBoundingClientRect();
        return {x: r.left + p.x, y: r.top + p.y}; }""")
    assert point, "no archived factory cluster in view"
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("() => window.bluemap.map.getZoom() > 4.5", timeout=10000)
    assert not page.problems, page.problems.items


def test_filtering_falls_back_to_the_live_tiles(page, archive_url):
    page.goto(archive_url + "/?lang=en#4/31/121", wait_until="load")
    wait_for_map(page)
    page.evaluate("() => window.bluemap.map.getSource('factories').setTiles("
                  "[window.bluemap.map.getSource('factories').tiles[0] + '&key_monitored=true'])")
    wait_for_map(page)
    ids = page.evaluate("window.bluemap.map.getStyle().layers.map(l => l.id)")
    assert "factories-clusters@published" not in ids and "basemap-land@published" in ids
    assert page.evaluate("window.bluemap.map.getLayer('factories-clusters').minzoom") == 0
    assert _rendered(page, "factories-clusters") > 0
    assert not page.problems, page.problems.items


def test_external_basemap_is_drawn_from_its_archive(page, basemap_url):
    statuses: list[int] = []
    page.on("requestfinished", lambda r: statuses.append(r.response().status) if "/pmtiles/base" in r.url else None)
    tiles: list[str] = []
    page.on("request", lambda r: tiles.append(r.url) if "/tiles/" in r.url else None)
    page.goto(basemap_url + "/?lang=zh#3.5/35/105", wait_until="load")
    wait_for_map(page)
    assert statuses and set(statuses) == {206}, statuses
    assert _rendered(page, "basemap-land") > 0 and _rendered(page, "basemap-countries") > 0
    assert page.evaluate("window.bluemap.map.getLayer('basemap-land').source") == "basemap"
    assert not [u for u in tiles if "/tiles/basemap/" in u] and [u for u in tiles if "/tiles/factories/" in u]
    assert not page.problems, page.problems.items
