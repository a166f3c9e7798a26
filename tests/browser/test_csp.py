"""Every page works under its Content-Security-Policy: no violation is reported while it loads and draws."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = [pytest.mark.db, pytest.mark.browser]


def _paths(db_url: str) -> list[str]:
    with psycopg.connect(db_url) as c:
        fid = c.execute("SELECT min(id) FROM facilities").fetchone()[0]
        sid = c.execute("SELECT min(id) FROM stations WHERE kind = 'air'").fetchone()[0]
    return ["/", "/near?lon=116.4&lat=39.9&radius_m=5000", "/carbon", f"/facilities/{fid}", f"/stations/{sid}",
            "/supply-chain", "/search?q=北京", "/sources", "/login", "/?lang=en"]


def test_pages_run_under_their_policy(browser, live_url, db_url):
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # CSP enforced
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: violations.append(str(e)))
    try:
        for path in _paths(db_url):
            resp = page.goto(live_url + path, wait_until="load")
            assert resp is not None and "nonce-" in resp.headers["content-security-policy"]
            page.wait_for_timeout(1500)  # map styles, tiles, workers and charts start
            assert page.evaluate("() => typeof window.BLUEMAP") == "object", path  # the nonce'd script ran
        assert violations == []
    finally:
        context.close()
