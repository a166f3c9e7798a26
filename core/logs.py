"""Logging set up once per process: one format, a level from settings, a logger per module."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str = "INFO") -> None:
    """Send every logger's records to stderr at `level` (idempotent; gunicorn's own loggers are kept)."""
    root = logging.getLogger()
    if not any(getattr(h, "_bluemap", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._bluemap = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper())
    # Alembic announces each of its plugins at INFO on every run: keep that for DEBUG.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
