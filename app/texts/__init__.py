"""Chinese and English text of the newer pages, one module per room (each defines TEXT: key -> (zh, en))."""

from __future__ import annotations

from importlib import import_module

MODULES = ("workflow", "alerts", "reports", "indices", "basemap", "realdata", "operating", "finding")


def merged() -> dict[str, tuple[str, str]]:
    """Every module's texts in one dictionary; a key defined twice is an error."""
    out: dict[str, tuple[str, str]] = {}
    for name in MODULES:
        text = import_module(f"app.texts.{name}").TEXT
        twice = out.keys() & text.keys()
        if twice:
            raise RuntimeError(f"app/texts/{name}.py defines {sorted(twice)} again")
        out |= text
    return out
