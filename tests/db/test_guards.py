"""Guards every request passes: control characters refused with a reason, shared headers, 405 with Allow."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.db


@pytest.mark.parametrize("url", ["/api/brands/%00", "/brands/%00/lists", "/tiles/suppliers/4/13/6.mvt?brand=%00",
                                 "/api/search?q=a%00b", "/exports/factories.geojson?industry=%00",
                                 "/ogc/collections/factories/items?f=json&bbox=%00"])
def test_nul_bytes_are_refused_with_a_reason(client, url):
    resp = client.get(url)
    assert resp.status_code == 400
    assert "control characters" in resp.get_json()["error"]


def test_nul_in_a_login_form_is_refused(client):
    resp = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert resp.status_code == 400


def test_pages_and_apis_carry_the_shared_headers(client):
    page = client.get("/")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "object-src 'none'" in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page.text  # the one inline script runs, nothing injected would
    assert client.get("/healthz").headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_method_not_allowed_names_the_allowed_methods(client):
    resp = client.delete("/healthz")
    assert resp.status_code == 405
    assert "GET" in resp.headers["Allow"]
    assert resp.get_json()["error"]


def test_database_outage_answers_fast_json_for_apis_and_a_page_for_browsers(tmp_path):
    import time

    from app import create_app
    from app.settings import get_settings

    app = create_app(get_settings(database_url="postgresql://nobody@127.0.0.1:1/none", var_dir=tmp_path,
                                  db_wait_s=1, db_retry_s=30))
    client = app.test_client()
    started = time.monotonic()
    api = client.get("/api/stats")
    assert api.status_code == 503 and api.get_json() == {"error": "database unavailable"}
    page = client.get("/facilities/1", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 503 and page.mimetype == "text/html" and "database unavailable" in page.text
    assert time.monotonic() - started < 10  # not the pool's 30 s default wait
    app.extensions["pool"].close()


def test_unknown_page_is_an_html_page_for_browsers_and_json_for_scripts(client):
    html = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert html.status_code == 404 and html.mimetype == "text/html"
    assert client.get("/no-such-page").get_json()["error"]
    assert client.get("/api/no-such", headers={"Accept": "text/html"}).mimetype == "application/json"
