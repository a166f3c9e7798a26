"""The constant-bytes floor of the tile benchmark: a minimal Flask app under gunicorn, same workers as ours.

Every GET answers the same gzip-encoded body of FLOOR_BYTES bytes (a typical tile's size on the wire),
with the headers a tile carries. Whatever our hot (cached) tile path costs above this is our overhead.
Run: FLOOR_BYTES=5000 gunicorn --workers 2 --bind 127.0.0.1:PORT benchmarks.flask_floor:app
"""

from __future__ import annotations

import gzip
import os
import random

from flask import Flask, Response

app = Flask(__name__)
# Random bytes do not compress: gzip of n - 23 of them is n bytes long (a valid body for any client).
_BODY = gzip.compress(random.Random(42).randbytes(max(0, int(os.environ.get("FLOOR_BYTES", "5000")) - 23)),
                      mtime=0)
_ETAG = '"0123456789abcdef0123456789abcdef-gz"'
_HEADERS = {"Content-Encoding": "gzip", "ETag": _ETAG, "Cache-Control": "public, no-cache",
            "Vary": "Accept-Encoding", "Access-Control-Allow-Origin": "*"}


@app.get("/<path:anything>")
def constant(anything: str) -> Response:
    """The same bytes for any path."""
    return Response(_BODY, mimetype="application/vnd.mapbox-vector-tile", headers=_HEADERS)
