"""Published PMTiles archives (`bluemap tiles publish`) served with HTTP Range requests, as a CDN would."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, current_app, request, send_file

from app.extensions import REVALIDATE
from core.errors import NotFound

bp = Blueprint("published", __name__)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
MIMETYPE = "application/vnd.pmtiles"


def archive_dir() -> Path:
    """The directory whose .pmtiles files are served (BLUEMAP_PMTILES_DIR, default var/pmtiles)."""
    settings = current_app.config["SETTINGS"]
    return Path(settings.pmtiles_dir or settings.var_dir / "pmtiles")


@bp.get("/pmtiles/<name>.pmtiles")
def archive(name: str):
    """One archive: whole (200) or the byte range asked for (206 with Content-Range; 416 past its end)."""
    path = archive_dir() / f"{name}.pmtiles"
    if not _NAME.match(name) or not path.is_file():
        raise NotFound(f"no published archive {name}.pmtiles (bluemap tiles publish -o {archive_dir()}/NAME.pmtiles)")
    # werkzeug answers Range and If-Range (one byte range; 416 for one it cannot satisfy or parse), and ETag /
    # If-None-Match from the file's size and time: a republished archive gets a new ETag. A range unit other than
    # bytes is ignored (RFC 9110 14.2): the whole archive.
    if not request.headers.get("Range", "bytes=").lstrip().lower().startswith("bytes="):
        request.environ.pop("HTTP_RANGE", None)
    resp = send_file(path, mimetype=MIMETYPE, conditional=True, etag=True, max_age=None)
    resp.headers["Cache-Control"] = REVALIDATE
    return resp
