"""Accounts: passwords, sessions, CSRF, login rate limiting, logout, invitations, roles, API tokens, logos."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys

import psycopg
import pytest
from PIL import Image

from accounts import users as accounts
from app import auth
from tests.supply_helpers import PASSWORD, csrf_token, login, make_brand, make_user, unique


@pytest.fixture()
def brand(db_url):
    return make_brand(db_url)


@pytest.fixture()
def brand_user(db_url, brand):
    return make_user(db_url, "brand", brand[0])


@pytest.fixture()
def admin(db_url):
    return make_user(db_url, "admin")


def test_passwords_are_hashed_with_scrypt(db_url, brand_user):
    with psycopg.connect(db_url) as c:
        stored = c.execute("SELECT password_hash FROM users WHERE email = %s", (brand_user,)).fetchone()[0]
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_weak_password_and_taken_address_are_refused(db_url, brand_user):
    with psycopg.connect(db_url) as c, pytest.raises(accounts.AccountError, match="at least 10"):
        accounts.create_user(c, unique("x") + "@example.org", "short", "admin")
    with psycopg.connect(db_url) as c, pytest.raises(accounts.AccountError, match="already a user"):
        accounts.create_user(c, brand_user.upper(), PASSWORD, "admin")


def test_login_sets_a_session_and_logout_ends_it(client, brand_user, brand):
    assert client.get("/api/me").status_code == 401
    r = login(client, brand_user)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/brands/{brand[1]}")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = client.get("/api/me").json
    assert me["email"] == brand_user and me["role"] == "brand" and me["brand"] == brand[1]
    # a link cannot sign anyone out: GET asks, POST with the CSRF token does it
    assert client.get("/logout").status_code == 200 and client.get("/api/me").status_code == 200
    assert client.post("/logout").status_code == 403
    assert client.post("/logout", data={"_csrf": csrf_token(client, "/account")}).status_code == 302
    assert client.get("/api/me").status_code == 401


def test_wrong_password_is_refused(client, brand_user):
    r = login(client, brand_user, "wrong password!", ip="10.1.0.1")
    assert r.status_code == 401
    assert client.get("/api/me").status_code == 401


def test_every_form_needs_the_csrf_token(client, brand_user, brand):
    assert client.post("/login", data={"email": brand_user, "password": PASSWORD}).status_code == 403
    csrf_token(client)
    bad = client.post("/login", data={"_csrf": "forged", "email": brand_user, "password": PASSWORD})
    assert bad.status_code == 403 and "CSRF" in bad.json["error"]
    assert login(client, brand_user).status_code == 302
    for path in (f"/brands/{brand[1]}/lists", f"/brands/{brand[1]}/manage", "/account/tokens",
                 f"/api/brands/{brand[1]}/lists"):
        assert client.post(path, data={}).status_code == 403, path
    # the pages' forms carry the token
    for path in (f"/brands/{brand[1]}/lists", f"/brands/{brand[1]}/manage", "/account"):
        assert 'name="_csrf"' in client.get(path).get_data(as_text=True), path


def test_login_rate_limit_per_email_and_ip(app, client, brand_user):
    ip = "10.2.0.1"
    for _ in range(accounts.MAX_FAILURES):
        assert login(client, brand_user, "not the password", ip=ip).status_code == 401
    limited = login(client, brand_user, PASSWORD, ip=ip)  # even the right password: too many failures
    assert limited.status_code == 429 and 0 < int(limited.headers["Retry-After"]) <= 15 * 60
    assert client.get("/api/me").status_code == 401
    assert login(app.test_client(), brand_user, PASSWORD, ip="10.2.0.2").status_code == 302  # another IP


def test_rate_limit_is_shared_by_worker_processes(settings, brand_user):
    """Two app instances (as two gunicorn workers) count the same failures: the counter is in the database."""
    from app import create_app

    apps = [create_app(settings), create_app(settings)]
    try:
        ip = "10.3.0.1"
        for i in range(accounts.MAX_FAILURES):
            assert login(apps[i % 2].test_client(), brand_user, "nope nope nope", ip=ip).status_code == 401
        assert login(apps[1].test_client(), brand_user, PASSWORD, ip=ip).status_code == 429
    finally:
        for a in apps:
            a.extensions["pool"].close()


def test_success_resets_the_failures(client, brand_user):
    ip = "10.4.0.1"
    for _ in range(accounts.MAX_FAILURES - 1):
        login(client, brand_user, "wrong wrong wrong", ip=ip)
    assert login(client, brand_user, ip=ip).status_code == 302
    for _ in range(accounts.MAX_FAILURES - 1):
        assert login(client, brand_user, "wrong wrong wrong", ip=ip).status_code == 401


def test_unknown_email_counts_too(client):
    ip, email = "10.5.0.1", unique("nobody") + "@example.org"
    for _ in range(accounts.MAX_FAILURES):
        assert login(client, email, "whatever whatever", ip=ip).status_code == 401
    assert login(client, email, "whatever whatever", ip=ip).status_code == 429


def test_admin_creates_a_brand_and_invites_a_user(app, client, admin, db_url):
    assert login(client, admin).status_code == 302
    slug = unique("new")
    r = client.post("/admin/brands", data={"_csrf": csrf_token(client, "/admin"), "slug": slug,
                                           "name_en": "New Brand", "name_zh": "新品牌"})
    assert r.status_code == 302
    assert f'href="/brands/{slug}"' in client.get("/admin").get_data(as_text=True)
    email = unique("invitee") + "@example.org"
    r = client.post("/admin/invitations", data={"_csrf": csrf_token(client, "/admin"), "email": email,
                                                "role": "brand", "brand": slug})
    assert r.status_code == 302
    html = client.get("/admin").get_data(as_text=True)
    import re

    link = re.search(r'id="invite-link" readonly value="([^"]+)"', html).group(1)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert "/invite/" in link and email in html
    with psycopg.connect(db_url) as c:  # only the token's hash is stored
        stored = c.execute("SELECT token_hash FROM invitations WHERE email = %s", (email,)).fetchone()[0]
    assert stored not in link and path.split("/")[-1] not in stored
    invitee = app.test_client()
    assert invitee.get("/" + path).status_code == 200
    token = csrf_token(invitee, "/" + path)
    form = {"_csrf": token, "name": "Li Lei", "password": PASSWORD}
    bad = invitee.post("/" + path, data=form | {"password2": "other"})
    assert bad.status_code == 400
    r = invitee.post("/" + path, data=form | {"password2": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/brands/{slug}")
    assert invitee.get("/api/me").json == {**invitee.get("/api/me").json, "email": email, "brand": slug}
    assert app.test_client().get("/" + path).status_code == 404  # used
    assert login(app.test_client(), email).status_code == 302


def test_expired_and_revoked_invitations_are_refused(client, db_url, brand):
    with psycopg.connect(db_url) as c:
        _, expired = accounts.invite(c, unique("e") + "@example.org", "brand", brand[0], None)
        c.execute("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE token_hash = %s",
                  (accounts.hash_secret(expired),))
        inv_id, revoked = accounts.invite(c, unique("r") + "@example.org", "brand", brand[0], None)
        accounts.revoke_invitation(c, inv_id)
    assert client.get(f"/invite/{expired}").status_code == 404
    assert client.get(f"/invite/{revoked}").status_code == 404
    assert client.get("/invite/made-up").status_code == 404


def test_brand_user_manages_only_their_own_brand(app, client, brand_user, brand, db_url):
    _, other = make_brand(db_url)
    assert login(client, brand_user).status_code == 302
    for path in (f"/brands/{other}/lists", f"/brands/{other}/review", f"/brands/{other}/manage"):
        r = client.get(path)
        assert r.status_code == 403 and r.mimetype == "text/html", path
        assert client.get(path, headers={"Accept": "application/json"}).json["error"]
    for path in (f"/api/brands/{other}/lists", f"/api/brands/{other}/review"):
        r = client.get(path)
        assert r.status_code == 403 and r.json["error"], path
    assert client.get("/admin").status_code == 403
    for path in (f"/brands/{brand[1]}/lists", f"/brands/{brand[1]}/review", f"/brands/{brand[1]}/manage",
                 f"/api/brands/{brand[1]}/lists"):
        assert client.get(path).status_code == 200, path
    # anonymous: pages send to the login page, the API answers 401
    anon = app.test_client()
    r = anon.get(f"/brands/{brand[1]}/lists")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]
    assert anon.get(f"/api/brands/{brand[1]}/lists").status_code == 401
    assert anon.get("/admin").status_code == 302


def test_admin_manages_every_brand(client, admin, brand):
    assert login(client, admin).status_code == 302
    assert client.get(f"/brands/{brand[1]}/lists").status_code == 200
    assert client.get(f"/api/brands/{brand[1]}/review").status_code == 200


def test_disabled_user_loses_the_session(client, brand_user, db_url):
    assert login(client, brand_user).status_code == 302
    with psycopg.connect(db_url) as c:
        c.execute("UPDATE users SET disabled = true WHERE email = %s", (brand_user,))
    assert client.get("/api/me").status_code == 401
    assert login(client, brand_user).status_code == 401


def test_api_tokens_of_brand_users(app, client, brand_user, brand, db_url):
    import re

    assert login(client, brand_user).status_code == 302
    client.post("/account/tokens", data={"_csrf": csrf_token(client, "/account"), "label": "ERP sync"})
    html = client.get("/account").get_data(as_text=True)
    token = re.search(r'id="new-token" readonly value="([^"]+)"', html)
    assert token, "the new token is shown once"
    secret = token.group(1)
    assert secret.startswith(accounts.TOKEN_PREFIX)
    assert secret not in client.get("/account").get_data(as_text=True)  # only once
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/me", headers=bearer).json["email"] == brand_user
    assert api.get(f"/api/brands/{brand[1]}/lists", headers=bearer).status_code == 200
    _, other = make_brand(db_url)
    assert api.get(f"/api/brands/{other}/lists", headers=bearer).status_code == 403
    # token requests need no CSRF token (no cookie is involved)
    r = api.post(f"/api/brands/{brand[1]}/lists", headers=bearer, data={}, content_type="multipart/form-data")
    assert r.status_code == 400 and "file" in r.json["error"]
    assert api.get("/api/me", headers={"Authorization": "Bearer bmu_made_up"}).status_code == 401
    assert api.get("/api/me", headers={"Authorization": f"Basic {secret}"}).status_code == 401
    with psycopg.connect(db_url) as c:
        tid = c.execute("SELECT id FROM user_api_tokens WHERE token_hash = %s",
                        (accounts.hash_secret(secret),)).fetchone()[0]
    client.post(f"/account/tokens/{tid}/revoke", data={"_csrf": csrf_token(client, "/account")})
    assert api.get("/api/me", headers=bearer).status_code == 401


def test_secret_key_is_generated_once_and_shared(tmp_path):
    first = auth.secret_key(tmp_path, None)
    assert len(first) >= 64 and auth.secret_key(tmp_path, None) == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert auth.secret_key(tmp_path, "configured") == "configured"


def test_create_admin_from_the_command_line(settings, db_url):
    email = unique("cli") + "@example.org"
    env = {**os.environ, "DATABASE_URL": settings.database_url, "BLUEMAP_VAR_DIR": str(settings.var_dir),
           "BLUEMAP_ADMIN_PASSWORD": PASSWORD}
    res = subprocess.run([sys.executable, "-m", "ops.cli", "users", "create-admin", "--email", email],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert f"admin {email} created" in res.stdout
    env.pop("BLUEMAP_ADMIN_PASSWORD")
    res = subprocess.run([sys.executable, "-m", "ops.cli", "users", "create-admin", "--email", email],
                         input=f"{PASSWORD}\n{PASSWORD}\n", capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode != 0 and "already a user" in res.stderr
    res = subprocess.run([sys.executable, "-m", "ops.cli", "users", "list"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert email in res.stdout and "admin" in res.stdout


# --- logos ------------------------------------------------------------------------------------------------

def _png(colour=(200, 30, 30, 255), size=(120, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", size, colour).save(buf, "PNG")
    return buf.getvalue()


def _sprite_icon(client, key: str) -> Image.Image:
    index = client.get("/sprites/bluemap@2x.json").json
    sheet = Image.open(io.BytesIO(client.get("/sprites/bluemap@2x.png").data)).convert("RGBA")
    box = index[key]
    return sheet.crop((box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]))


def _upload_logo(client, slug, data, name="logo.png"):
    return client.post(f"/brands/{slug}/manage", data={
        "_csrf": csrf_token(client, f"/brands/{slug}/manage"), "name_en": f"Brand {slug}",
        "name_zh": "测试品牌", "logo": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_logo_upload_reaches_the_sprite(client, brand_user, brand, db_url):
    key = f"brand-{brand[1]}"
    before = _sprite_icon(client, key)
    assert login(client, brand_user).status_code == 302
    with psycopg.connect(db_url) as c:
        v0 = c.execute("SELECT version FROM data_version").fetchone()[0]
    r = _upload_logo(client, brand[1], _png())
    assert r.status_code == 302
    with psycopg.connect(db_url) as c:
        mime, png, name_zh, v1 = c.execute("""SELECT logo_mime, logo_png, name_zh,
                                                     (SELECT version FROM data_version)
                                              FROM brands WHERE slug = %s""", (brand[1],)).fetchone()
    assert mime == "image/png" and name_zh == "测试品牌" and v1 > v0
    img = Image.open(io.BytesIO(bytes(png)))
    assert max(img.size) == 56  # resized to the sprite's @2x logo size
    import time

    deadline = time.time() + 10  # the data version reaches the app through LISTEN/NOTIFY
    while True:
        after = _sprite_icon(client, key)
        if after.tobytes() != before.tobytes() or time.time() > deadline:
            break
        time.sleep(0.2)
    assert after.tobytes() != before.tobytes()
    r, g, b, a = after.getpixel((after.width // 2, after.height // 2))
    assert r > 150 and g < 80 and b < 80 and a == 255  # the red logo in the middle
    served = Image.open(io.BytesIO(client.get(f"/brands/{brand[1]}/logo.png").data))
    assert served.format == "PNG" and max(served.size) == 56


def test_svg_logo_is_sanitised_and_rasterised(client, brand_user, brand, db_url):
    from tiles import logos

    if not logos.svg_available():
        pytest.skip("CairoSVG or the cairo library is not installed")
    assert login(client, brand_user).status_code == 302
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
           b'<rect width="100" height="100" fill="#00f"/></svg>')
    assert _upload_logo(client, brand[1], svg, "logo.svg").status_code == 302
    with psycopg.connect(db_url) as c:
        mime, original, png = c.execute("SELECT logo_mime, logo, logo_png FROM brands WHERE slug = %s",
                                        (brand[1],)).fetchone()
    assert mime == "image/svg+xml" and bytes(original) == svg
    assert Image.open(io.BytesIO(bytes(png))).getpixel((28, 28))[2] > 200
    assert client.get(f"/brands/{brand[1]}/logo.png").mimetype == "image/png"  # the SVG is never served


@pytest.mark.parametrize("data,reason", [
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "script"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "onload"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><image href="http://example.org/x.png"/></svg>',
     "self-contained"),
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>', "DOCTYPE"),
    (b"GIF89a not a png", "PNG or SVG"),
    (b"\x89PNG\r\n\x1a\n truncated", "cannot be decoded"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * (600 * 1024), "at most"),
])
def test_bad_logos_are_refused(client, brand_user, brand, db_url, data, reason):
    assert login(client, brand_user).status_code == 302
    r = _upload_logo(client, brand[1], data, "logo.png")
    assert r.status_code == 302
    assert reason in client.get(r.headers["Location"]).get_data(as_text=True)
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT logo FROM brands WHERE slug = %s", (brand[1],)).fetchone()[0] is None


def test_logout_ends_every_copy_of_the_session_cookie(app, brand_user):
    first, copy = app.test_client(), app.test_client()
    assert login(first, brand_user).status_code == 302
    copy.set_cookie("bluemap_session", first.get_cookie("bluemap_session").value)
    assert copy.get("/api/me").status_code == 200  # a stolen copy works while the session lives
    assert first.post("/logout", data={"_csrf": csrf_token(first, "/account")}).status_code == 302
    assert copy.get("/api/me").status_code == 401
    again = app.test_client()
    assert login(again, brand_user).status_code == 302 and again.get("/api/me").status_code == 200


def test_login_next_with_a_line_break_is_not_followed(client, brand_user):
    assert login(client, brand_user).status_code == 302
    resp = client.get("/login?next=/%0D%0ASet-Cookie:x=1")
    assert resp.status_code == 302 and "Set-Cookie:x" not in resp.headers["Location"]


def test_concurrent_accepts_of_one_invitation_make_one_user(db_url, brand):
    """Two submissions of one invitation link at once: one user, one clear refusal, no server error."""
    import threading

    email = unique("twice") + "@example.org"
    with psycopg.connect(db_url) as c:
        _, token = accounts.invite(c, email, "brand", brand[0], None)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def accept() -> None:
        with psycopg.connect(db_url) as c:
            start.wait()
            try:
                accounts.accept_invitation(c, token, "Twice", PASSWORD)
                outcomes.append("created")
            except accounts.AccountError:
                outcomes.append("refused")

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["created", "refused"]
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM users WHERE email = %s", (email,)).fetchone()[0] == 1


def _svg_use_bomb(levels: int = 8, fan: int = 10) -> bytes:
    """Groups of <use> pointing at the previous group: 10 ** 8 paths drawn from a few KB."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><defs><g id="l0">']
    parts += [f'<path d="M{i} 0h1v1h-1z"/>' for i in range(fan)]
    parts += [f'</g><g id="l{lv}">' + f'<use href="#l{lv - 1}"/>' * fan for lv in range(1, levels + 1)]
    return ("".join(parts) + f'</g></defs><use href="#l{levels}"/></svg>').encode()


_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9">{}</svg>'
_INNER_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize("data,reason", [
    (_svg_use_bomb(), "another <use>"),
    (_SVG.format('<image width="20000" height="20000" href="data:image/png;base64,'
                 + base64.b64encode(_png(size=(1500, 1500))).decode() + '"/>').encode(), "self-contained"),
    (_SVG.format('<style>@\\69mport "http://x/a.css";</style>').encode(), "<style>"),
    (b'<?xml-stylesheet href="http://x/a.css"?>' + _SVG.format("").encode(), "xml-stylesheet"),
    (_SVG.format('<image href="data:image/svg+xml;base64,' + base64.b64encode(_INNER_SVG).decode()
                 + '"/>').encode(), "self-contained"),
])
def test_svg_logo_attacks_are_refused_fast(client, brand_user, brand, db_url, data, reason):
    import html
    import time

    assert login(client, brand_user).status_code == 302
    start = time.monotonic()
    r = _upload_logo(client, brand[1], data, "logo.svg")
    assert r.status_code == 302 and time.monotonic() - start < 20
    assert reason in html.unescape(client.get(r.headers["Location"]).get_data(as_text=True))
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT logo FROM brands WHERE slug = %s", (brand[1],)).fetchone()[0] is None
