"""The reference proxy (deploy/nginx.conf) for the scale benchmark: templated with N upstreams, run by Debian's nginx.

Only the upstream servers, the listen address and the cache folder of the repository's file are replaced (each
checked to be found, so a reshaped file fails loudly rather than being benchmarked half-templated).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from app.settings import PROJECT_ROOT

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf"
UPSTREAM = re.compile(r"(    server 127\.0\.0\.1:\d+ [^;]*;\n)+")


def _sub(text: str, pattern: str | re.Pattern[str], repl: str) -> str:
    out, n = re.subn(pattern, lambda _m: repl, text)
    if n != 1:
        raise ValueError(f"deploy/nginx.conf: expected one {getattr(pattern, 'pattern', pattern)!r}, found {n}")
    return out


def site(template: str, apps: list[int], listen: int, cache_dir: Path) -> str:
    """The reference site with `apps` (loopback ports) as its upstream, listening on 127.0.0.1:`listen`."""
    if not apps:
        raise ValueError("at least one app server")
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;\n" for p in apps)
    text = _sub(template, UPSTREAM, servers)
    text = _sub(text, r"/var/cache/nginx/bluemap", str(cache_dir))
    return _sub(text, r"listen 8080;", f"listen 127.0.0.1:{listen};")


def main_conf(tmp: Path, site_path: Path, workers: int, root: bool) -> str:
    """A top-level nginx.conf running in the foreground from `tmp`, including the site (no access log)."""
    temp = " ".join(f"{k}_temp_path {tmp / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root root;\n" if root else ""
    return (f"{user}daemon off;\nworker_processes {workers};\npid {tmp / 'nginx.pid'};\n"
            f"error_log {tmp / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\n  access_log off;\n  {temp}\n  include {site_path};\n}}\n")


@contextmanager
def nginx(tmp: Path, apps: list[int], listen: int, workers: int = 2) -> Iterator[str]:
    """nginx in front of `apps` with a fresh cache under `tmp`; yields its base URL; stopped on exit."""
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    site_path = tmp / "bluemap.conf"
    site_path.write_text(site(TEMPLATE.read_text(), apps, listen, tmp / "cache"))
    conf = tmp / "nginx.conf"
    conf.write_text(main_conf(tmp, site_path, workers, os.geteuid() == 0))
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(tmp)], capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(f"nginx -t failed: {check.stderr.strip()}")
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{listen}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(base + "/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"nginx did not answer on {base}; see {tmp / 'error.log'}")
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            proc.terminate()  # SIGTERM: nginx's fast shutdown, workers included
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
