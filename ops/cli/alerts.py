"""Alert delivery in `bluemap worker` (a thread beside the export jobs) and `bluemap alerts` for administrators
(hosts allowed to receive webhooks although they resolve to internal addresses)."""

from __future__ import annotations

import logging
import threading
import time

import click
import psycopg

from app.settings import Settings
from db.connection import connect
from ops.cli.common import ensure_db, settings

log = logging.getLogger("bluemap.alerts")
CHANNEL = "bluemap_alerts"


def config(s: Settings):  # noqa: ANN201 - alerts.dispatch.Config, imported lazily
    """The dispatcher's configuration from the service settings."""
    from alerts.dispatch import Config
    from alerts.mail import parse_url
    from app.auth import secret_key

    base = s.public_url or f"http://{s.host}:{s.port}"
    smtp = parse_url(s.smtp_url, s.alerts_from) if s.smtp_url else None
    return Config(base_url=base, secret_key=secret_key(s.var_dir, s.secret_key), smtp=smtp,
                  backoff_s=s.alerts_backoff_s, pause_after=s.alerts_pause_after, lease_s=s.alerts_lease_s)


def run_until_idle(s: Settings) -> int:
    """Match and send everything that is due now, then return how much was done (`worker --once`)."""
    from alerts.dispatch import Dispatcher

    with connect(s, autocommit=True) as conn:
        d = Dispatcher(conn, config(s))
        try:
            total = 0
            while n := d.step():
                total += n
            return total
        finally:
            d.close()


class AlertLoop:
    """Two threads with a database connection each: one matches new events (woken by NOTIFY bluemap_alerts), the
    other sends what is due (woken when a batch was matched, or every `poll` seconds for retries and digests), so
    the next batch is matched while the webhooks of the previous one go out."""

    def __init__(self, s: Settings, poll: float) -> None:
        self.s, self.poll, self.stopping = s, poll, threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(role,), name=f"alerts-{role}", daemon=True)
                        for role in ("match", "send")]

    def start(self) -> None:
        """Start both threads."""
        for t in self.threads:
            t.start()

    def run(self, role: str) -> None:
        """Keep matching (or sending) until stopped; a lost database is waited for and reconnected."""
        from alerts.dispatch import Dispatcher
        from alerts.matching import MATCHED

        cfg = config(self.s)
        if role == "send":
            log.info("alert delivery started (e-mail %s)", "on" if cfg.smtp else "off: SMTP_URL is not set")
        while not self.stopping.is_set():
            try:
                with connect(self.s, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL if role == 'match' else MATCHED}")
                    d = Dispatcher(conn, cfg)
                    try:
                        self._serve(conn, d, role)
                    finally:
                        d.close()
            except psycopg.OperationalError as exc:
                log.warning("alerts (%s): database lost (%s); trying again", role, exc)
                self.stopping.wait(max(self.poll, 1.0))

    def _serve(self, conn: psycopg.Connection, d: object, role: str) -> None:
        while not self.stopping.is_set():
            if d.step(match=role == "match", send=role == "send"):  # type: ignore[attr-defined]
                continue
            for _ in conn.notifies(timeout=self.poll, stop_after=1):
                pass

    def stop(self, wait: float = 5.0) -> None:
        """Ask both threads to end after their current step."""
        self.stopping.set()
        for t in self.threads:
            t.join(wait)


@click.group()
def alerts() -> None:
    """Alert delivery settings for administrators."""


@alerts.command("allow-host")
@click.argument("host")
@click.option("--note", default="", help="Why the host may receive webhooks.")
def allow_host(host: str, note: str) -> None:
    """Let webhooks go to HOST although it resolves to a loopback, private or link-local address."""
    from alerts import ssrf

    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        ssrf.allow(conn, host, note)
    click.echo(f"webhooks may now call {host.strip().lower()}")


@alerts.command("disallow-host")
@click.argument("host")
def disallow_host(host: str) -> None:
    """Take HOST off the allowed list."""
    from alerts import ssrf

    s = settings()
    ensure_db(s)
    with connect(s) as conn:
        ssrf.disallow(conn, host)
    click.echo(f"{host.strip().lower()} is no longer allowed")


@alerts.command("send")
def send_now() -> None:
    """Match new events and send what is due now, once (the worker does this continuously)."""
    s = settings()
    ensure_db(s)
    started = time.monotonic()
    n = run_until_idle(s)
    click.echo(f"{n} alert events and deliveries handled in {time.monotonic() - started:.1f} s")
