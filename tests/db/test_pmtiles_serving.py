"""Published PMTiles archives served by the app under /pmtiles/NAME.pmtiles with HTTP Range requests."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.db
BLOB = os.urandom(5000)  # the handler serves bytes, whatever they hold: Range is about offsets


@pytest.fixture()
def served(settings, tmp_path):
    """An app serving archives from tmp_path, which holds a.pmtiles."""
    from app import create_app

    (tmp_path / "a.pmtiles").write_bytes(BLOB)
    app = create_app(settings.model_copy(update={"pmtiles_dir": tmp_path}))
    yield app.test_client()
    app.extensions["pool"].close()


def test_whole_archive_announces_ranges(served):
    resp = served.get("/pmtiles/a.pmtiles")
    assert resp.status_code == 200 and resp.data == BLOB
    assert resp.headers["Accept-Ranges"] == "bytes" and resp.headers["Content-Type"] == "application/vnd.pmtiles"
    assert resp.headers["Access-Control-Allow-Origin"] == "*" and resp.headers["ETag"]
    assert resp.headers["Cache-Control"] == "public, no-cache"
    assert served.get("/pmtiles/a.pmtiles", headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304
    head = served.head("/pmtiles/a.pmtiles")
    assert head.status_code == 200 and head.headers["Content-Length"] == str(len(BLOB))


@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=0-126", 0, 126),  # what pmtiles.js asks first: the header and root directory (16 KiB, here clipped)
    ("bytes=100-199", 100, 199),
    ("bytes=4990-", 4990, 4999),
    ("bytes=-10", 4990, 4999),
    ("bytes=4000-999999", 4000, 4999),  # past the end: clipped to the file
])
def test_ranges_answer_206_with_the_bytes(served, header, start, end):
    resp = served.get("/pmtiles/a.pmtiles", headers={"Range": header})
    assert resp.status_code == 206
    assert resp.headers["Content-Range"] == f"bytes {start}-{end}/{len(BLOB)}"
    assert resp.data == BLOB[start:end + 1] and resp.headers["Content-Length"] == str(end - start + 1)


@pytest.mark.parametrize("header", ["bytes=5000-", "bytes=6000-7000", "bytes=abc", "bytes=9-3"])
def test_unsatisfiable_ranges_answer_416(served, header):
    resp = served.get("/pmtiles/a.pmtiles", headers={"Range": header})
    assert resp.status_code == 416 and resp.headers["Content-Range"] == f"bytes */{len(BLOB)}"
    assert "error" in resp.get_json()


def test_if_range_with_an_old_etag_gets_the_whole_new_archive(served):
    resp = served.get("/pmtiles/a.pmtiles", headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert resp.status_code == 200 and resp.data == BLOB


def test_other_range_units_are_ignored(served):
    resp = served.get("/pmtiles/a.pmtiles", headers={"Range": "pages=1-2"})
    assert resp.status_code == 200 and resp.data == BLOB


@pytest.mark.parametrize("path", ["/pmtiles/missing.pmtiles", "/pmtiles/..a.pmtiles", "/pmtiles/.a.pmtiles"])
def test_unknown_archives_are_404_with_a_reason(served, path):
    resp = served.get(path)
    assert resp.status_code == 404 and "published archive" in resp.get_json()["error"]


def test_default_directory_is_var_pmtiles(settings):
    from app import create_app

    (settings.var_dir / "pmtiles").mkdir(exist_ok=True)
    (settings.var_dir / "pmtiles" / "b.pmtiles").write_bytes(BLOB[:100])
    app = create_app(settings)
    try:
        resp = app.test_client().get("/pmtiles/b.pmtiles", headers={"Range": "bytes=10-19"})
    finally:
        app.extensions["pool"].close()
    assert resp.status_code == 206 and resp.data == BLOB[10:20]


def test_basemap_url_reaches_the_styles_and_the_page_policy(settings):
    from app import create_app

    app = create_app(settings.model_copy(update={"basemap_url": "https://maps.example.org/cn.pmtiles",
                                                 "pmtiles_url": "/pmtiles/low.pmtiles"}))
    try:
        client = app.test_client()
        style = client.get("/styles/supply-chain.json").get_json()
        policy = client.get("/").headers["Content-Security-Policy"]
    finally:
        app.extensions["pool"].close()
    assert style["sources"]["basemap"]["url"] == "pmtiles://https://maps.example.org/cn.pmtiles"
    assert style["sources"]["published"]["url"] == "pmtiles://http://localhost/pmtiles/low.pmtiles"
    assert "streets" not in style["sources"]
    assert "connect-src 'self' https://maps.example.org;" in policy


def test_without_external_urls_the_policy_stays_same_origin(client):
    assert "connect-src 'self';" in client.get("/").headers["Content-Security-Policy"]
