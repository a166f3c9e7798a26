"""The application factory: settings, database pool, errors, blueprints."""

from __future__ import annotations

from flask import Flask

from app.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for `settings` (read from the environment when omitted)."""
    app = Flask(__name__)
    app.config["SETTINGS"] = settings or get_settings()
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    from app import db, errors

    db.init_app(app)
    errors.register(app)

    from app.blueprints import api, facilities, health, search, tiles

    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(tiles.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(facilities.bp)
    return app
