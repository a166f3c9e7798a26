"""Alert delivery at speed: webhooks go out on kept-alive connections, a batch's failures are recorded together
(a webhook failing several times in one batch pauses once, with one notice), and a matched batch wakes the
sending thread."""

from __future__ import annotations

import psycopg

from alerts import subscriptions
from alerts.dispatch import Config, Dispatcher
from alerts.matching import MATCHED, match_batch
from tests.alerts_helpers import facility, keep_alive_receiver, user, violation

BASE = "http://bluemap.test"


def _followed(db_url: str, hook: str) -> dict:
    with psycopg.connect(db_url) as c:
        c.execute("INSERT INTO alert_allowed_hosts (host) VALUES ('127.0.0.1') ON CONFLICT DO NOTHING")
        fid = facility(c, 113.26, 23.13, "440103")
        c.commit()
        sub = subscriptions.create(c, user(db_url), {"target": "facility", "facility_id": fid, "webhook_url": hook,
                                                     "inbox": False})
        c.commit()
    return {"fid": fid, **sub}


def _drain(db_url: str, cfg: Config) -> None:
    with psycopg.connect(db_url, autocommit=True) as c:
        d = Dispatcher(c, cfg)
        try:
            while d.step():
                pass
        finally:
            d.close()


def test_webhooks_reuse_kept_alive_connections(db_url):
    with keep_alive_receiver() as (seen, hook):
        sub = _followed(db_url, hook)
        with psycopg.connect(db_url) as c:
            events = [violation(c, sub["fid"]) for _ in range(40)]
        _drain(db_url, Config(base_url=BASE, secret_key="k", smtp=None, threads=4))
    assert len(seen) == 40 and len({e for _, e in seen}) == len(events)
    assert len({port for port, _ in seen}) <= 4  # four threads, four connections at most: not one per call


def test_failures_of_one_batch_pause_the_webhook_once(db_url):
    with keep_alive_receiver(status=500) as (seen, hook):
        sub = _followed(db_url, hook)
        with psycopg.connect(db_url) as c:
            for _ in range(6):
                violation(c, sub["fid"])
        _drain(db_url, Config(base_url=BASE, secret_key="k", smtp=None, pause_after=3, backoff_s=3600))
    assert len(seen) == 6  # one batch: all six were tried, then the webhook paused
    with psycopg.connect(db_url) as c:
        failures, paused = c.execute("SELECT webhook_failures, webhook_paused_at IS NOT NULL FROM "
                                     "alert_subscriptions WHERE id = %s", (sub["id"],)).fetchone()
        states = c.execute("SELECT state, attempts, last_error FROM alert_deliveries WHERE subscription_id = %s "
                           "AND channel = 'webhook'", (sub["id"],)).fetchall()
        notices = c.execute("SELECT count(*) FROM alert_deliveries d JOIN alert_events e ON e.id = d.event_id "
                            "WHERE d.subscription_id = %s AND e.kind = 'notice'", (sub["id"],)).fetchone()[0]
    assert failures == 6 and paused and notices == 1
    assert len(states) == 6 and all(s == "pending" and a == 1 and "HTTP 500" in e for s, a, e in states)


def test_a_matched_batch_wakes_the_sending_thread(db_url):
    with psycopg.connect(db_url, autocommit=True) as listener, keep_alive_receiver() as (_, hook):
        listener.execute(f"LISTEN {MATCHED}")
        sub = _followed(db_url, hook)
        with psycopg.connect(db_url) as c:
            violation(c, sub["fid"])
        with psycopg.connect(db_url, autocommit=True) as c:
            while match_batch(c)[0]:
                pass
        woken = list(listener.notifies(timeout=5, stop_after=1))
    assert [n.channel for n in woken] == [MATCHED]
