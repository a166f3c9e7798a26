"""Helpers of the workflow tests: a company with a facility and records of its own, users, files, clients."""

from __future__ import annotations

import io
import random

import psycopg
from PIL import Image

from standards import uscc
from tests.supply_helpers import CSRF, PASSWORD, login, make_user, unique

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png(gps: bool = False) -> bytes:
    """A small PNG; with `gps`, a JPEG carrying EXIF GPS (Beijing) instead."""
    img = Image.new("RGB", (32, 24), (30, 120, 200))
    out = io.BytesIO()
    if not gps:
        img.save(out, "PNG")
        return out.getvalue()
    exif = Image.Exif()
    gps_ifd = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 50.0)}
    exif[0x8825] = gps_ifd
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def make_world(db_url: str) -> dict:
    """A company (valid USCC) with one facility somewhere quiet in Inner Mongolia, and four open records."""
    lon, lat = round(random.uniform(112.5, 113.5), 5), round(random.uniform(42.3, 42.9), 5)
    name = unique("Loopworks")
    code = uscc.make("150100", random.randrange(10**8))
    with psycopg.connect(db_url) as c:
        c.execute("""INSERT INTO datasets (id, title, licence, attribution) VALUES ('test:workflow', 'workflow tests',
                     'CC0', 'tests') ON CONFLICT DO NOTHING""")
        cid = c.execute("INSERT INTO companies (uscc, name_zh, name_en, dataset_id) VALUES (%s, %s, %s, "
                        "'test:workflow') RETURNING id", (code, name + "有限公司", name + " Co.")).fetchone()[0]
        fid = c.execute("""INSERT INTO facilities (dataset_id, ext_id, company_id, name_zh, name_en, industry, geom,
                           area_code) VALUES ('test:workflow', %s, %s, %s, %s, 'chemicals',
                           ST_SetSRID(ST_MakePoint(%s, %s), 4326), '150100') RETURNING id""",
                        (name, cid, name + "工厂", name, lon, lat)).fetchone()[0]
        vids = [c.execute("""INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority,
                             category, source) VALUES ('test:workflow', %s, %s, %s, '呼和浩特市生态环境局', '超标排放',
                             'test') RETURNING id""", (f"{name}:{i}", fid, f"2024-0{i + 1}-15")).fetchone()[0]
                for i in range(4)]
        c.execute("SELECT refresh_facility_cells()")
        c.execute("UPDATE data_version SET version = version + 1")
    return {"company_id": cid, "uscc": code, "facility_id": fid, "violations": vids, "name": name,
            "lon": lon, "lat": lat}


def client_for(app, db_url: str, role: str, email: str | None = None):
    """A test client signed in as a new user of `role`; (client, email)."""
    email = email or make_user(db_url, role)
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code == 302
    return client, email


def token(client, path: str = "/account") -> str:
    """The session's CSRF token, from a page's form."""
    m = CSRF.search(client.get(path, follow_redirects=True).get_data(as_text=True))
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def post(client, path: str, data: dict | None = None, json: dict | None = None, files: dict | None = None):
    """A POST with the CSRF header; multipart when files are sent."""
    headers = {"X-CSRF-Token": token(client), "Accept": "application/json"}
    if json is not None:
        return client.post(path, json=json, headers=headers)
    body = dict(data or {})
    for name, (content, filename) in (files or {}).items():
        body[name] = (io.BytesIO(content), filename)
    return client.post(path, data=body, headers=headers, content_type="multipart/form-data")
