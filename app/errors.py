"""One error module: every API error is a subclass mapped to a status code and a JSON body."""

from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """Base class of errors answered as JSON."""

    status = 400

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class BadRequest(ApiError):
    status = 400


class NotFound(ApiError):
    status = 404


class Unavailable(ApiError):
    status = 503


def register(app: Flask) -> None:
    """Answer ApiErrors, HTTP errors and unexpected failures as JSON."""

    @app.errorhandler(ApiError)
    def _api(err: ApiError):
        return jsonify({"error": err.reason, **err.details}), err.status

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        return jsonify({"error": err.description or err.name}), err.code or 500

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        import psycopg

        if isinstance(err, psycopg.OperationalError):
            return jsonify({"error": "database unavailable"}), 503
        app.logger.exception("unhandled error")
        return jsonify({"error": "internal error"}), 500
