"""The one mapping of domain errors to HTTP: each kind of `core.errors.DomainError` gets a status and JSON body."""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from core import errors

log = logging.getLogger(__name__)

STATUS: dict[type[errors.DomainError], int] = {
    errors.Invalid: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.TooLarge: 413,
    errors.TooManyRequests: 429,
    errors.Unavailable: 503,
}


def status_of(err: errors.DomainError) -> int:
    """The HTTP status of a domain error: the first of its classes (in MRO order) that has one."""
    return next((STATUS[k] for k in type(err).__mro__ if k in STATUS), 400)


# Machine-readable resources answer JSON errors whatever the client accepts.
_MACHINE = ("/api/", "/tiles/", "/ogc", "/exports/", "/styles/", "/fonts/", "/sprites/", "/raster/", "/healthz")


def _wants_page() -> bool:
    """A browser asking for a page: Accept names text/html at least as high as JSON, off the machine paths."""
    accept = request.accept_mimetypes
    if request.path.startswith(_MACHINE) or "text/html" not in accept.values():
        return False
    return accept["text/html"] >= accept["application/json"]


def _page(status: int, reason: str) -> Response | None:
    """The error as an HTML page in the request's language; None when even that cannot be rendered."""
    try:
        from app.render import page

        key = "not_found" if status == 404 else "error"
        return page("message.html", status, heading_key=key, message=reason)
    except Exception:  # noqa: BLE001 - e.g. the database is down and the page needs the signed-in user
        log.exception("error page could not be rendered")
        return None


def _answer(status: int, body: dict, headers: dict | None = None) -> Response:
    """JSON for machines and scripts, an HTML page for browsers asking for pages."""
    response = _page(status, str(body.get("error", ""))) if _wants_page() else None
    if response is None:
        response = jsonify(body)
        response.status_code = status
    response.headers.update(headers or {})
    return response


def register(app: Flask) -> None:
    """Answer domain errors, HTTP errors and unexpected failures as JSON."""

    @app.errorhandler(errors.DomainError)
    def _domain(err: errors.DomainError):
        status = status_of(err)
        headers = {"WWW-Authenticate": 'Bearer realm="bluemap"'} if status == 401 else {}
        if "retry_after" in err.details:
            headers["Retry-After"] = str(err.details["retry_after"])
        return _answer(status, {"error": err.reason, **err.details}, headers)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        headers = {name: value for name, value in err.get_headers()  # e.g. Allow on 405
                   if name.lower() != "content-type"}
        return _answer(err.code or 500, {"error": err.description or err.name}, headers)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, psycopg.OperationalError):
            log.warning("database unavailable: %s", err)
            return _answer(503, {"error": "database unavailable"})
        log.exception("unhandled error")
        return _answer(500, {"error": "internal error"})
