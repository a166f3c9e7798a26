"""Request guards and response headers every page and API answer shares."""

from __future__ import annotations

from flask import Flask, request

from core import parse

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "SAMEORIGIN",
}


def register(app: Flask) -> None:
    """Refuse control characters in paths, query and form values; add the shared security headers."""

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
            response.headers["Content-Security-Policy"] = "frame-ancestors 'self'"
        return response
