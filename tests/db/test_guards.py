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
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/healthz").headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_method_not_allowed_names_the_allowed_methods(client):
    resp = client.delete("/healthz")
    assert resp.status_code == 405
    assert "GET" in resp.headers["Allow"]
    assert resp.get_json()["error"]
