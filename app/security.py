"""Request guards and response headers every page and API answer shares."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, g, request

from core import parse

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "SAMEORIGIN",
}
# Pages load scripts, styles, fonts and tiles from this origin only; the one inline script carries the
# request's nonce. MapLibre starts its workers from blob: URLs and draws sprites from data:/blob: images.
PAGE_POLICY = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: blob:; worker-src 'self' blob:; child-src 'self' blob:; "
               "connect-src 'self'{connect}; font-src 'self'; object-src 'none'; "
               "base-uri 'self'; form-action 'self'; frame-ancestors 'self'")


def csp_nonce() -> str:
    """This request's nonce for inline scripts (made on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def map_origins(settings) -> str:
    """Other origins the maps read from (a PMTiles archive or basemap on object storage), for connect-src."""
    found = []
    for url in (settings.pmtiles_url, settings.basemap_url):
        parts = urlsplit(url or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            found.append(f" {parts.scheme}://{parts.netloc}")
    return "".join(sorted(set(found)))


def register(app: Flask) -> None:
    """Refuse control characters in paths, query and form values; add the shared security headers."""
    connect = map_origins(app.config["SETTINGS"])

    @app.before_request
    def _refuse_control_characters() -> None:
        parse.clean("path", request.path)
        for name, value in request.args.items(multi=True):
            parse.clean(f"query parameter {parse.clean('name', name)}", value)
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in request.form.items(multi=True):
                parse.clean(f"form field {parse.clean('name', name)}", value)

    @app.after_request
    def _headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = PAGE_POLICY.format(nonce=csp_nonce(), connect=connect)
        return response

    app.jinja_env.globals["csp_nonce"] = csp_nonce
    _cors(app)


# Map resources and open data (tiles, styles, glyphs, sprites, raster, OGC API, exports) are public: any origin
# may read them, errors included (a map client must see a 400's reason), and preflights are answered.
CORS_ROOTS = frozenset({"tiles", "styles", "fonts", "sprites", "raster", "ogc", "exports", "pmtiles"})
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Link, Location, Content-Disposition, Content-Range, Accept-Ranges",
}
PREFLIGHT = {
    "Access-Control-Allow-Headers": "Content-Type, If-None-Match, If-Modified-Since, Range",
    "Access-Control-Max-Age": "86400",
}


def _cors(app: Flask) -> None:
    @app.after_request
    def _cors_headers(response):
        if request.path.split("/", 2)[1] in CORS_ROOTS:
            for name, value in CORS.items():
                response.headers.setdefault(name, value)
            if request.method == "OPTIONS":
                # Flask's automatic OPTIONS answer lists the route's methods in Allow.
                response.headers.setdefault("Access-Control-Allow-Methods",
                                            response.headers.get("Allow") or "GET, HEAD, OPTIONS")
                for name, value in PREFLIGHT.items():
                    response.headers.setdefault(name, value)
        return response

    @app.after_request
    def _no_body_no_type(response):
        if response.status_code in (204, 304):
            response.headers.pop("Content-Type", None)  # not Flask's default text/html on an empty answer
        return response
