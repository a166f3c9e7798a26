"""The application factory: settings, database pool, errors, blueprints."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.settings import Settings, get_settings
from core import logs

log = logging.getLogger("app.requests")


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for `settings` (read from the environment when omitted)."""
    app = Flask(__name__)
    active = settings or get_settings()
    app.config["SETTINGS"] = active
    logs.configure(active.log_level, json_lines=active.log_json)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if active.proxy_fix:  # behind that many trusted reverse proxies: their X-Forwarded-* headers apply
        n = active.proxy_fix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)  # type: ignore[method-assign]

    from app import auth, db, errors, metrics, security

    db.init_app(app)
    metrics.init_app(app)
    errors.register(app)
    security.register(app)
    auth.init_app(app)

    from app.blueprints import (
        accounts,
        api,
        brands,
        carbon,
        emissions,
        exports,
        facilities,
        health,
        ogc,
        pages,
        places,
        published,
        raster,
        readings,
        search,
        stations,
        styles,
        supplier_lists,
        tiles,
    )

    for blueprint in (health, api, tiles, styles, search, facilities, emissions, carbon, places, pages, raster,
                      readings, stations, accounts, brands, supplier_lists, exports, ogc, published):
        app.register_blueprint(blueprint.bp)
    from app.blueprints import cities, decra, ghg, rankings  # the indices room's pages

    for blueprint in (ghg, rankings, decra, cities):
        app.register_blueprint(blueprint.bp)
    from app.blueprints import reports as citizen_reports  # the reports room's pages and API
    app.register_blueprint(citizen_reports.bp)
    from app.blueprints import alert_links, alerts  # the alerts room's page, API, feeds and unsubscribe links

    for blueprint in (alerts, alert_links):
        app.register_blueprint(blueprint.bp)
    from app.blueprints import audits, review, workflow  # the workflow room: claims, explanations, audits, PRTR

    for blueprint in (workflow, review, audits):
        app.register_blueprint(blueprint.bp)
    _log_requests(app)
    return app


def _log_requests(app: Flask) -> None:
    """One log line per request: method, path, status, milliseconds (DEBUG for 2xx/3xx, INFO otherwise)."""

    @app.before_request
    def _start() -> None:
        g.started = time.monotonic()

    @app.after_request
    def _done(response):
        ms = (time.monotonic() - g.get("started", time.monotonic())) * 1000
        level = logging.DEBUG if response.status_code < 400 else logging.INFO
        log.log(level, "%s %s %s %.1f ms", request.method, request.path, response.status_code, ms,
                extra={"method": request.method, "path": request.path, "status": response.status_code,
                       "ms": round(ms, 1)})
        return response
