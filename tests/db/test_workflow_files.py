"""Upload attacks on the workflow's files: type by content, size, metadata stripped; who may download."""

from __future__ import annotations

import io

import psycopg
import pytest
from PIL import Image

from ingest.uploads import MAX_BYTES
from tests.workflow_helpers import PDF, client_for, make_world, png, post


@pytest.fixture(scope="module")
def member(app, db_url):
    return client_for(app, db_url, "member")[0], make_world(db_url)


def _claim(client, world, licence, name):
    return post(client, "/api/workflow/claims", {"uscc": world["uscc"], "contact_name": "x", "position": "y",
                                                 "contact_phone": "1"}, files={"licence": (licence, name)})


@pytest.mark.parametrize(("content", "name", "status", "why"), [
    (PDF, "scan.png", 201, None),  # a PDF named .png is taken as the PDF it is
    (b"<html><script>alert(1)</script></html>", "licence.pdf", 400, "checked by its content"),
    (b"%PDF-1.4\n<html>", "cut.pdf", 400, "truncated"),
    (b"", "empty.pdf", 400, "empty"),
    (b"%PDF-1.4\n" + b"0" * MAX_BYTES + b"\n%%EOF", "big.pdf", 413, "the limit is"),
])
def test_licence_uploads_are_typed_by_content_and_bounded(member, db_url, content, name, status, why):
    client, world = member
    r = _claim(client, world, content, name)
    assert r.status_code == status, r.json
    if why:
        assert why in r.json["error"] and r.json["error"].startswith("licence")
        return
    with psycopg.connect(db_url) as c:
        kind, stored = c.execute("""SELECT w.kind, w.stored_name FROM company_claims k
                                    JOIN workflow_files w ON w.id = k.licence_file_id WHERE k.id = %s""",
                                 (r.json["id"],)).fetchone()
    assert kind == "pdf" and stored.endswith(".pdf")


def test_gps_is_stripped_from_evidence_and_files_are_served_as_attachments(app, db_url):
    ent, _ = client_for(app, db_url, "member")
    rev, _ = client_for(app, db_url, "admin")
    world = make_world(db_url)
    r = _claim(ent, world, png(), "licence.png")
    assert r.status_code == 201
    assert post(rev, f"/api/review/claims/{r.json['id']}", json={"decision": "approved"}).status_code == 200
    photo = png(gps=True)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the upload does carry GPS
    v = world["violations"][0]
    r = post(ent, f"/api/workflow/records/{v}/explanations", {"cause_en": "c", "measures_en": "m"},
             files={"evidence": (photo, "site.jpg")})
    assert r.status_code == 201, r.json
    with psycopg.connect(db_url) as c:
        fid = c.execute("SELECT file_id FROM explanation_files WHERE explanation_id = %s",
                        (r.json["id"],)).fetchone()[0]
    anon = app.test_client()
    assert anon.get(f"/files/{fid}").status_code == 404  # not published yet
    got = ent.get(f"/files/{fid}")
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    stored = Image.open(io.BytesIO(got.data))
    assert not stored.getexif() and b"Exif" not in got.data
    assert post(rev, f"/api/review/explanations/{r.json['id']}", json={"decision": "accepted"}).status_code == 200
    assert anon.get(f"/files/{fid}").status_code == 200  # published with its explanation
    # the licence is never public
    with psycopg.connect(db_url) as c:
        lic = c.execute("SELECT licence_file_id FROM company_claims WHERE company_id = %s",
                        (world["company_id"],)).fetchone()[0]
    assert anon.get(f"/files/{lic}").status_code == 404 and rev.get(f"/files/{lic}").status_code == 200
    other, _ = client_for(app, db_url, "member")
    assert other.get(f"/files/{lic}").status_code == 404
