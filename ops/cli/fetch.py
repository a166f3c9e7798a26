"""`bluemap fetch openaq`: live hourly air quality from the OpenAQ API v3 into the readings tables."""

from __future__ import annotations

import logging
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from app.settings import Settings
from core import parse
from core.errors import Invalid, Unavailable
from db.connection import connect
from ingest import openaq
from ops.cli.common import ensure_db, settings

log = logging.getLogger("bluemap.fetch")


def run_openaq(s: Settings, country: str, since: datetime | None, replay: Path | None = None) -> dict[str, int]:
    """One fetch: from `since` (default: 24 hours ago) to now; the API key from the settings unless replaying."""
    if replay is None and not s.openaq_api_key:
        raise Invalid("no OpenAQ API key: set BLUEMAP_OPENAQ_API_KEY")
    get = openaq.replay(replay) if replay else openaq.http_get(str(s.openaq_api_key))
    until = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with connect(s) as conn:
        return openaq.fetch(conn, get, country, since or until - timedelta(hours=24), until)


class FeedLoop(threading.Thread):
    """The worker's hourly fetch of live feeds (OpenAQ when an API key is set), a few minutes past each hour."""

    def __init__(self, s: Settings, minute: int = 20) -> None:
        super().__init__(name="bluemap-feeds", daemon=True)
        self.s, self.minute, self.halt = s, minute, threading.Event()

    def run(self) -> None:
        """Fetch the last 3 hours (late and revised values included) every hour until stopped."""
        while not self.halt.is_set():
            now = datetime.now(UTC)
            nxt = now.replace(minute=self.minute, second=0, microsecond=0)
            if nxt <= now:
                nxt += timedelta(hours=1)
            if self.halt.wait((nxt - now).total_seconds()):
                return
            try:
                counts = run_openaq(self.s, self.s.openaq_country, nxt - timedelta(hours=3))
                log.info("openaq fetch: %s", counts)
            except Exception:  # a feed outage must not stop the worker; the next hour tries again
                log.exception("openaq fetch failed")

    def stop(self) -> None:
        """Stop at the next wait."""
        self.halt.set()


@click.group()
def fetch() -> None:
    """Fetch live data from open APIs."""


@fetch.command("openaq")
@click.option("--country", default=None, help="ISO 3166-1 country code (default BLUEMAP_OPENAQ_COUNTRY, CN).")
@click.option("--since", default=None, help="First hour to fetch (ISO 8601; default 24 hours ago).")
@click.option("--replay", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Read recorded v3 responses from this folder instead of the API (offline runs, tests).")
def openaq_cmd(country: str | None, since: str | None, replay: Path | None) -> None:
    """Stations and hourly measurements of a country from OpenAQ v3, stored like pushed readings."""
    s = settings()
    ensure_db(s)
    try:
        start = parse.instant("since", since) if since else None
        counts = run_openaq(s, (country or s.openaq_country).upper(), start, replay)
    except (Invalid, Unavailable) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()))
