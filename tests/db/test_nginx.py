"""The reference front proxy (deploy/nginx.conf) with Debian's nginx in front of two gunicorn app servers.

The test runs the repository's file as it is, with only its addresses, cache folder and edge TTL replaced
(checked to be replaced exactly once each, so a reshaped file fails here rather than being skipped).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import mercantile
import psycopg
import pytest

from db.staging import bump_data_version
from tests.conftest import _unavailable

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TTL_S = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, encoding: str | None = "gzip") -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _wait(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


def _sub(text: str, pattern: str, repl: str) -> str:
    out, n = re.subn(pattern, repl, text)
    assert n >= 1, f"deploy/nginx.conf has no {pattern!r}"
    return out


def _config(tmp: Path, port: int, apps: list[int]) -> Path:
    site = (ROOT / "deploy/nginx.conf").read_text()
    servers = "\n    ".join(f"server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;" for p in apps)
    site = _sub(site, r"(    server 127\.0\.0\.1:\d+ [^;]*;\n)+", "    " + servers + "\n")
    site = _sub(site, r"/var/cache/nginx/bluemap", str(tmp / "cache"))
    site = _sub(site, r"listen 8080;", f"listen 127.0.0.1:{port};")
    site = _sub(site, r"proxy_cache_valid 200 204 30s;", f"proxy_cache_valid 200 204 {TTL_S}s;")
    (tmp / "bluemap.conf").write_text(site)
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = " ".join(f"{k}_temp_path {tmp / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = tmp / "nginx.conf"
    main.write_text(f"{user}daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\n"
                    f"error_log {tmp / 'error.log'} warn;\nevents {{ worker_connections 256; }}\n"
                    f"http {{\n  access_log {tmp / 'access.log'};\n  {temp}\n  include {tmp / 'bluemap.conf'};\n}}\n")
    return main


@pytest.fixture(scope="module")
def front(db_url, tmp_path_factory):
    """nginx on a free port in front of two app servers; yields (base URL, app processes)."""
    if not Path(NGINX).exists():
        _unavailable("nginx is not installed (scripts/system-deps.sh test installs nginx-light)")
    tmp = tmp_path_factory.mktemp("nginx")
    apps = [_free_port(), _free_port()]
    env = {**os.environ, "DATABASE_URL": db_url, "BLUEMAP_VAR_DIR": str(tmp / "var"), "BLUEMAP_PROXY_FIX": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{p}", "--workers", "1",
                               "app.wsgi:app"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for p in apps]
    port = _free_port()
    conf = _config(tmp, port, apps)
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.DEVNULL)
    try:
        for p in apps:
            _wait(f"http://127.0.0.1:{p}/healthz")
        _wait(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}", procs
    finally:
        for p in [nginx, *procs]:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)


def _facility_tile(conn) -> tuple[int, str, str]:
    fid, lon, lat, name = conn.execute("SELECT id, ST_X(geom), ST_Y(geom), name_en FROM facilities "
                                       "WHERE name_en IS NOT NULL ORDER BY id LIMIT 1").fetchone()
    t = mercantile.tile(lon, lat, 14)
    return fid, name, f"/tiles/factories/{t.z}/{t.x}/{t.y}.mvt"


def test_cache_hits_gzip_passthrough_data_changes_and_serving_without_the_app(front, db_url):
    base, apps = front
    with psycopg.connect(db_url) as conn:
        fid, name, path = _facility_tile(conn)
    # Versioned URL from the TileJSON (written for the proxy's host): a miss, then hits for a year.
    tj = _get(base + "/tiles/factories.json")
    template = json.loads(tj[2])["tiles"][0]
    assert template.startswith(base + "/tiles/factories/") and "v=" in template
    versioned = template.replace("{z}/{x}/{y}", path.split("factories/")[1].removesuffix(".mvt"))
    first = _get(versioned)
    assert first[0] == 200 and first[1]["X-Cache-Status"] == "MISS"
    assert first[1]["Cache-Control"] == "public, max-age=31536000, immutable"
    hit = _get(versioned)
    assert hit[1]["X-Cache-Status"] == "HIT" and hit[2] == first[2]
    assert hit[1]["Content-Encoding"] == "gzip" and hit[2][:2] == b"\x1f\x8b"  # passed through, not recompressed
    plain = _get(versioned, encoding=None)  # a client without gzip: the plain tile, cached apart
    assert "Content-Encoding" not in plain[1] and plain[2] == gzip.decompress(first[2])
    assert _get(versioned, encoding="gzip;q=0")[2] == plain[2]

    # Unversioned URL: kept for the edge TTL, then revalidated; a data change shows within that time.
    assert _get(base + path)[1]["X-Cache-Status"] == "MISS"
    assert _get(base + path)[1]["X-Cache-Status"] == "HIT"
    marker = f"Edge Test {time.time_ns()}"
    with psycopg.connect(db_url) as conn:
        conn.execute("UPDATE facilities SET name_en = %s WHERE id = %s", (marker, fid))
        bump_data_version(conn)
        conn.commit()
    try:
        stale = _get(base + path)
        assert stale[1]["X-Cache-Status"] == "HIT" and marker.encode() not in gzip.decompress(stale[2])
        time.sleep(TTL_S + 1)
        fresh = _get(base + path)
        assert fresh[1]["X-Cache-Status"] in ("EXPIRED", "MISS", "REVALIDATED", "UPDATING", "STALE")
        for _ in range(20):  # a stale answer while nginx updates in the background: the next ones have it
            if marker.encode() in gzip.decompress(fresh[2]):
                break
            time.sleep(0.25)
            fresh = _get(base + path)
        assert marker.encode() in gzip.decompress(fresh[2])
    finally:
        with psycopg.connect(db_url) as conn:
            conn.execute("UPDATE facilities SET name_en = %s WHERE id = %s", (name, fid))
            bump_data_version(conn)
            conn.commit()

    # With every app server stopped, cached versioned tiles are still served (by nginx alone).
    for p in apps:
        p.terminate()
        p.wait(timeout=30)
    alone = _get(versioned)
    assert alone[0] == 200 and alone[1]["X-Cache-Status"] == "HIT" and alone[2] == first[2]
    assert _get(base + "/api/stats")[0] == 502  # uncached answers do need the app
