"""One loader per bundled data set; `load(conn)` is idempotent (natural keys, upserts)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial

import psycopg

log = logging.getLogger(__name__)


@dataclass
class LoadResult:
    """What a loader did: rows written and rows it could not use, with reasons."""

    dataset: str
    written: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, reason)

    def summary(self) -> str:
        """One line: rows written per table and rows skipped."""
        parts = ", ".join(f"{n} {t}" for t, n in self.written.items())
        note = f"; {len(self.skipped)} rows skipped (see report)" if self.skipped else ""
        return f"{self.dataset}: {parts or 'nothing new'}{note}"


Loader = Callable[[psycopg.Connection], LoadResult]


def registry(cutover: date | None = None) -> dict[str, Loader]:
    """Loaders by data set name, in dependency order for `load all`; AQI by `cutover` (default aqi.CUTOVER)."""
    from data.loaders import (
        admin_osm,
        beijing_aq,
        carbon,
        carbon_monitor,
        natural_earth,
        osh_lists,
        power_plants,
        sfi,
        taiwan_ghg,
        taiwan_penalties,
    )
    from data.synth import demo, water

    return {
        "natural-earth": natural_earth.load,
        "basemap-context": natural_earth.load_context,
        "admin-areas": admin_osm.load,
        "population": carbon.load_population,
        "carbon": carbon.load_carbon,
        "city-carbon": carbon_monitor.load,
        "power-plants": power_plants.load,
        "cement-steel": sfi.load,
        "taiwan-ghg": taiwan_ghg.load,
        "taiwan-penalties": taiwan_penalties.load,
        "beijing-aq": partial(beijing_aq.load, cutover=cutover) if cutover else beijing_aq.load,
        "supplier-lists": osh_lists.load,
        "synthetic-demo": demo.load,
        "synthetic-water": water.load,
    }


def run(conn: psycopg.Connection, name: str, cutover: date | None = None) -> LoadResult:
    """Run one registered loader and log what it did and how long it took."""
    started = time.monotonic()
    result = registry(cutover)[name](conn)
    log.info("loaded %s in %.1f s: %s", name, time.monotonic() - started, result.summary())
    for file, line, reason in result.skipped[:20]:
        log.warning("%s: %s:%s skipped: %s", name, file, line, reason)
    return result
