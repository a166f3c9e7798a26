"""The Blue Map web service: `create_app()` builds the Flask application."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """`app.create_app`, imported when first asked for: the command line reads app.settings without Flask."""
    if name == "create_app":
        from app.factory import create_app

        return create_app
    raise AttributeError(f"module 'app' has no attribute {name!r}")
