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
        raster,
        readings,
        search,
        styles,
        supplier_lists,
        tiles,
    )

    for blueprint in (health, api, tiles, styles, search, facilities, emissions, carbon, places, pages, raster,
                      readings, accounts, brands, supplier_lists, exports, ogc):
        app.register_blueprint(blueprint.bp)
    return app
