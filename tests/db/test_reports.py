"""Citizen reports through HTTP: intake (photos by content, EXIF read then stripped, honeypot, early size refusal),
rate limits held in the database across app instances, and privacy of reports that are not published."""

from __future__ import annotations

import io
import json
import random

import psycopg
import pytest
from PIL import Image
from werkzeug.test import EnvironBuilder, run_wsgi_app

from ingest import uploads
from tests.supply_helpers import csrf_token, login, make_user

PHOTO_LON, PHOTO_LAT = 116.39123, 39.90687  # Tiananmen, Beijing


def jpeg_with_gps(lon=PHOTO_LON, lat=PHOTO_LAT, colour=(120, 90, 60), size=(64, 48), seed=0):
    """A JPEG whose EXIF carries a GPS position, a capture time and a camera model (Pillow's Exif API)."""
    rnd = random.Random(seed)
    img = Image.new("RGB", size, colour)
    for _ in range(40):  # some structure, so perceptual hashes of different seeds differ
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        img.paste((rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)), (x, y, x + 12, y + 12))
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"
    gps = exif.get_ifd(uploads.EXIF_GPS_IFD)
    gps[1], gps[3] = "N", "E"
    gps[2] = (float(int(lat)), float(int(lat * 60 % 60)), (lat * 3600) % 60)
    gps[4] = (float(int(lon)), float(int(lon * 60 % 60)), (lon * 3600) % 60)
    exif.get_ifd(uploads.EXIF_IFD)[uploads.EXIF_DATETIME_ORIGINAL] = "2026:11:28 09:30:00"
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def ip() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def fields(**extra) -> dict:
    return {"kind": "smoke", "description": "black smoke from the stack", "observed_at": "2026-11-28T09:30:00+08:00",
            "rights_confirmed": "true", **extra}


def post(client, data: dict, photos=(), addr: str | None = None, **kw):
    body = dict(data)
    body["photos"] = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
    return client.post("/api/reports", data=body, content_type="multipart/form-data",
                       environ_base={"REMOTE_ADDR": addr or ip()}, **kw)


def test_anonymous_report_with_an_exif_photo(client, db_url, settings):
    photo = jpeg_with_gps(seed=1)
    assert b"SecretCam" in photo
    r = post(client, fields(contact_email="Someone@Example.org"), [photo])
    assert r.status_code == 201, r.json
    body = r.json
    assert body["status"] == "new" and body["location_source"] == "photo"  # no lon/lat sent: the photo's GPS
    assert body["lon"] == pytest.approx(PHOTO_LON, abs=1e-5) and body["lat"] == pytest.approx(PHOTO_LAT, abs=1e-5)
    assert body["photos"][0]["exif_taken_at"] == "2026-11-28T09:30:00"
    name = body["photos"][0]["filename"]
    stored = (settings.var_dir / "uploads" / name[:2] / name).read_bytes()
    assert b"SecretCam" not in stored and b"Exif" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()
    with psycopg.connect(db_url) as c:
        row = c.execute("""SELECT contact_email, status, ST_X(geom), ST_Y(geom), ST_X(public_geom), ST_Y(public_geom),
                                  user_id, licence FROM reports WHERE id = %s""", (body["id"],)).fetchone()
    email, status, x, y, px, py, uid, licence = row
    assert email == "someone@example.org" and status == "new" and uid is None and licence == "CC-BY-4.0"
    assert x == pytest.approx(PHOTO_LON, abs=1e-6)
    # rounded to a 100 m grid: moved, but by less than a grid cell's diagonal
    assert (px, py) != (x, y) and abs(px - x) <= 0.00045 and abs(py - y) <= 0.00045
    assert round(px / (100 / 111_320)) * (100 / 111_320) == pytest.approx(px, abs=1e-9)


def test_photo_check_reads_exif_and_stores_nothing(client, settings):
    before = sum(1 for _ in (settings.var_dir / "uploads").rglob("*")) if (settings.var_dir / "uploads").exists() else 0
    photo = jpeg_with_gps(121.4737, 31.2304, seed=2)
    r = client.post("/api/reports/photo-check", data={"photo": (io.BytesIO(photo), "x.jpg")},
                    content_type="multipart/form-data")
    assert r.status_code == 200
    assert r.json["lon"] == pytest.approx(121.4737, abs=1e-5) and r.json["taken_at"] == "2026-11-28T09:30:00"
    after = sum(1 for _ in (settings.var_dir / "uploads").rglob("*")) if (settings.var_dir / "uploads").exists() else 0
    assert after == before


@pytest.mark.parametrize("data, reason", [
    (b"<html><script>alert(1)</script></html>", "not a JPEG, PNG"),
    (b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "not a JPEG, PNG"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "cannot be read"),
])
def test_a_file_that_is_not_an_image_is_refused(client, db_url, data, reason):
    with psycopg.connect(db_url) as c:
        n = c.execute("SELECT count(*) FROM reports").fetchone()[0]
    r = post(client, fields(lon="116.4", lat="39.9", location_source="map"), [data])
    assert r.status_code == 400 and reason in r.json["error"]
    with psycopg.connect(db_url) as c:
        assert c.execute("SELECT count(*) FROM reports").fetchone()[0] == n


@pytest.mark.parametrize("extra, reason", [
    ({"website": "http://spam.example"}, "hidden field"),
    ({"kind": "fire"}, "kind must be one of"),
    ({"lon": "2.35", "lat": "48.85"}, "outside China"),
    ({"observed_at": "2099-01-01T00:00:00+08:00"}, "future"),
    ({"observed_at": "2026-11-28 09:30"}, "time zone"),
    ({"contact_email": "not-an-address"}, "contact_email"),
    ({"licence": "all-rights-reserved"}, "licence must be one of"),
    ({"lon": "", "lat": ""}, "where"),
])
def test_bad_fields_are_refused_with_a_reason(client, extra, reason):
    r = post(client, fields(lon="116.4", lat="39.9") | extra)
    assert r.status_code == 400 and reason in r.json["error"], r.json


def test_photos_need_the_rights_confirmed_and_at_most_six(client):
    r = post(client, fields(lon="116.4", lat="39.9", rights_confirmed=""), [jpeg_with_gps(seed=3)])
    assert r.status_code == 400 and "rights_confirmed" in r.json["error"]
    r = post(client, fields(), [jpeg_with_gps(seed=10 + i) for i in range(7)])
    assert r.status_code == 400 and "at most 6 photos" in r.json["error"]


class _Untouchable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    read_bytes = 0

    def readable(self):
        return True

    def tell(self):
        return 0

    def readinto(self, b):
        type(self).read_bytes += len(b)
        raise AssertionError("the body was read")


def test_a_30_mb_upload_is_refused_before_its_body_is_read(app, client, db_url):
    boundary = "x" * 16
    env = EnvironBuilder(path="/api/reports", method="POST", content_type=f"multipart/form-data; boundary={boundary}",
                         environ_base={"REMOTE_ADDR": ip()}).get_environ()
    env["wsgi.input"], env["CONTENT_LENGTH"] = _Untouchable(), str(30 * 1024 * 1024)
    body, status, headers = run_wsgi_app(app, env, buffered=True)  # the body stream as a server hands it over
    assert status.startswith("413") and "at most" in json.loads(b"".join(body))["error"]
    assert _Untouchable.read_bytes == 0
    # and one photo over 10 MB in a body under the total limit is refused by its size
    big = b"\xff\xd8\xff\xe0" + bytes(11 * 1024 * 1024)
    r = post(client, fields(lon="116.4", lat="39.9"), [big])
    assert r.status_code == 413 and "10,485,760" in r.json["error"]


def test_rate_limit_per_address_holds_across_app_instances(app, settings, db_url):
    from app import create_app

    other = create_app(settings)  # a second worker process, as gunicorn runs: the count lives in the database
    other.testing = True
    addr = ip()
    try:
        clients = [app.test_client(), other.test_client()]
        codes = [post(clients[i % 2], fields(lon="116.4", lat="39.9"), addr=addr).status_code
                 for i in range(settings.report_limit_per_ip)]
        assert codes == [201] * settings.report_limit_per_ip
        r = post(clients[1], fields(lon="116.4", lat="39.9"), addr=addr)
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0 and "this address" in r.json["error"]
        assert post(clients[0], fields(lon="116.4", lat="39.9")).status_code == 201  # another address is fine
    finally:
        other.extensions["pool"].close()


def test_rate_limit_per_account(app, db_url, settings):
    client = app.test_client()
    email = make_user(db_url, "member")
    assert login(client, email).status_code == 302
    token = csrf_token(client, "/report")
    for _ in range(settings.report_limit_per_user):
        r = post(client, fields(lon="116.4", lat="39.9"), headers={"X-CSRF-Token": token})
        assert r.status_code == 201, r.json
    r = post(client, fields(lon="116.4", lat="39.9"), headers={"X-CSRF-Token": token})  # a fresh address
    assert r.status_code == 429 and "your account" in r.json["error"]


def test_signed_in_reports_need_the_csrf_token_and_are_listed_for_their_reporter(app, db_url):
    client = app.test_client()
    email = make_user(db_url, "member")
    login(client, email)
    assert post(client, fields(lon="116.4", lat="39.9")).status_code == 403  # no CSRF token
    token = csrf_token(client, "/report")
    r = post(client, fields(lon="116.4", lat="39.9", kind="odour"), [jpeg_with_gps(seed=4)],
             headers={"X-CSRF-Token": token})
    assert r.status_code == 201
    rid = r.json["id"]
    mine = client.get("/api/reports/mine").json["reports"]
    assert [m["id"] for m in mine][:1] == [rid] and mine[0]["status"] == "new"
    assert client.get(mine[0]["photos"][0]).status_code == 200  # the reporter sees their own photo
    page = client.get("/report?lang=en").get_data(as_text=True)
    assert f"R{rid}" in page and "Awaiting review" in page and "Odour" in page
    assert app.test_client().get("/api/reports/mine").status_code == 401
