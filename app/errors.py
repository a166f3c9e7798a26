"""The one mapping of domain errors to HTTP: each kind of `core.errors.DomainError` gets a status and JSON body."""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, jsonify
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


def register(app: Flask) -> None:
    """Answer domain errors, HTTP errors and unexpected failures as JSON."""

    @app.errorhandler(errors.DomainError)
    def _domain(err: errors.DomainError):
        status = status_of(err)
        headers = {"WWW-Authenticate": 'Bearer realm="bluemap"'} if status == 401 else {}
        if "retry_after" in err.details:
            headers["Retry-After"] = str(err.details["retry_after"])
        return jsonify({"error": err.reason, **err.details}), status, headers

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        response = jsonify({"error": err.description or err.name})
        response.status_code = err.code or 500
        for name, value in err.get_headers():  # e.g. Allow on 405
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, psycopg.OperationalError):
            log.warning("database unavailable: %s", err)
            return jsonify({"error": "database unavailable"}), 503
        log.exception("unhandled error")
        return jsonify({"error": "internal error"}), 500
