"""Logging set up once per process: one format, a level from settings, a logger per module."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else was passed as `extra=` and goes into the JSON object as is.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the `extra=` fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        out = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
               "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        out |= {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure(level: str = "INFO", json_lines: bool = False) -> None:
    """Send every logger's records to stderr at `level`, as text or JSON lines (idempotent; gunicorn's kept)."""
    root = logging.getLogger()
    mine = [h for h in root.handlers if getattr(h, "_bluemap", False)]
    if not mine:
        handler = logging.StreamHandler(sys.stderr)
        handler._bluemap = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        mine = [handler]
    for h in mine:
        h.setFormatter(JsonFormatter() if json_lines else logging.Formatter(FORMAT))
    root.setLevel(level.upper())
    # Alembic announces each of its plugins at INFO on every run: keep that for DEBUG.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
