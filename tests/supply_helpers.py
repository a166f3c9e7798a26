"""Helpers of the account, supplier-list and privacy tests: users, sign-in with CSRF, list files."""

from __future__ import annotations

import csv
import io
import re
import uuid

import psycopg

from accounts import users as accounts

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_brand(db_url: str, prefix: str = "brand", name_zh: str | None = None) -> tuple[int, str]:
    slug = unique(prefix)
    with psycopg.connect(db_url) as c:
        bid = accounts.create_brand(c, slug, f"Brand {slug}", name_zh)
    return bid, slug


def make_user(db_url: str, role: str = "brand", brand_id: int | None = None, email: str | None = None) -> str:
    email = email or f"{unique(role)}@example.org"
    with psycopg.connect(db_url) as c:
        accounts.create_user(c, email, PASSWORD, role, brand_id)
    return email


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a form page."""
    m = CSRF.search(client.get(path, follow_redirects=True).get_data(as_text=True))
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def login(client, email: str, password: str = PASSWORD, ip: str = "127.0.0.1"):
    token = csrf_token(client)
    return client.post("/login", data={"_csrf": token, "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def csv_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = columns or list(rows[0])
    buf = io.StringIO()
    w = csv.DictWriter(buf, columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode()


def xlsx_bytes(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    cols = list(rows[0])
    ws.append(cols)
    for r in rows:
        ws.append([r.get(c) for c in cols])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, slug: str, data: bytes, filename: str = "list.csv", **form):
    token = csrf_token(client, f"/brands/{slug}/lists")
    body = {"_csrf": token, "file": (io.BytesIO(data), filename), **form}
    return client.post(f"/brands/{slug}/lists", data=body, content_type="multipart/form-data")


def sign_in_page(pg, live_url: str, email: str, lang: str, password: str = PASSWORD) -> None:
    """Sign in through the login page in the browser (Playwright page `pg`), in language `lang`."""
    pg.goto(f"{live_url}/login?lang={lang}", wait_until="load")
    pg.fill("input[name=email]", email)
    pg.fill("input[name=password]", password)
    pg.click("#login-form button[type=submit]")
    pg.wait_for_load_state("load")
