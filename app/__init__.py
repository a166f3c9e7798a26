"""The Blue Map web service: `create_app()` builds the Flask application."""

from app.factory import create_app

__all__ = ["create_app"]
