"""The application factory: settings, database pool, errors, blueprints."""

from __future__ import annotations

from flask import Flask

from app.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for `settings` (read from the environment when omitted)."""
    app = Flask(__name__)
    app.config["SETTINGS"] = settings or get_settings()
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    from app import auth, db, errors

    db.init_app(app)
    errors.register(app)
    auth.init_app(app)

    from app.blueprints import (
        api,
        carbon,
        facilities,
        health,
        pages,
        places,
        raster,
        readings,
        search,
        styles,
        tiles,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(tiles.bp)
    app.register_blueprint(styles.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(facilities.bp)
    app.register_blueprint(carbon.bp)
    app.register_blueprint(places.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(raster.bp)
    app.register_blueprint(readings.bp)

    from app.blueprints import accounts, brands, supplier_lists

    app.register_blueprint(accounts.bp)
    app.register_blueprint(brands.bp)
    app.register_blueprint(supplier_lists.bp)

    from app.blueprints import exports, ogc

    app.register_blueprint(exports.bp)
    app.register_blueprint(ogc.bp)
    return app
