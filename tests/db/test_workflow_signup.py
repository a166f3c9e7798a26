"""Members of the public sign up: role member, the password rules and the rate limits of sign-in."""

from __future__ import annotations

from tests.supply_helpers import PASSWORD, csrf_token, unique


def _signup(client, email, password=PASSWORD, ip="10.9.0.1", **extra):
    token = csrf_token(client, "/signup")
    return client.post("/signup", data={"_csrf": token, "email": email, "password": password,
                                        "password2": extra.pop("password2", password), "name": "Ms Li", **extra},
                       environ_base={"REMOTE_ADDR": ip})


def test_sign_up_makes_a_signed_in_member(app):
    client = app.test_client()
    page = client.get("/signup?lang=zh").get_data(as_text=True)
    assert 'id="signup-form"' in page and "注册账户" in page
    email = f"{unique('member')}@example.org"
    r = _signup(client, email, ip="10.9.1.1")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/company")
    me = client.get("/api/me").json
    assert me["email"] == email and me["role"] == "member" and me["brand"] is None
    assert client.get("/account/company").status_code == 200


def test_bad_sign_ups_are_refused_with_the_reason(app):
    client = app.test_client()
    assert "at least 10" in _signup(client, f"{unique('m')}@example.org", "short", ip="10.9.2.1").get_data(
        as_text=True)
    assert _signup(client, "not-an-address", ip="10.9.2.1").status_code == 400
    r = _signup(client, f"{unique('m')}@example.org", password2="something else entirely", ip="10.9.2.1")
    assert r.status_code == 400 and "differ" in r.get_data(as_text=True)
    taken = f"{unique('m')}@example.org"
    assert _signup(app.test_client(), taken, ip="10.9.2.2").status_code == 302
    r = _signup(client, taken.upper(), ip="10.9.2.1")
    assert r.status_code == 400 and "already a user" in r.get_data(as_text=True)
    assert client.post("/signup", data={"email": "x@example.org", "password": PASSWORD}).status_code == 403  # CSRF


def test_json_sign_up(app):
    client = app.test_client()
    token = csrf_token(client, "/signup")
    r = client.post("/signup", json={"email": f"{unique('j')}@example.org", "password": PASSWORD},
                    headers={"X-CSRF-Token": token}, environ_base={"REMOTE_ADDR": "10.9.3.1"})
    assert r.status_code == 201 and r.json["role"] == "member"


def test_failures_and_sign_ups_per_address_are_rate_limited(app):
    client = app.test_client()
    email = f"{unique('rl')}@example.org"
    for _ in range(5):
        assert _signup(client, email, "short", ip="10.9.4.1").status_code == 400
    r = _signup(client, email, ip="10.9.4.1")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    for _ in range(5):
        assert _signup(app.test_client(), f"{unique('ok')}@example.org", ip="10.9.4.2").status_code == 302
    r = _signup(app.test_client(), f"{unique('ok')}@example.org", ip="10.9.4.2")
    assert r.status_code == 429
