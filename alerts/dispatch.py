"""The worker side of alerts: match new events, then send due e-mails and webhooks.

Deliveries are claimed with FOR UPDATE SKIP LOCKED and a lease (`state = 'sending'`, `due_at` = the end of
the lease) that is committed before anything is sent: a worker killed mid-send leaves the delivery to be
taken again when the lease ends (at-least-once; receivers de-duplicate on the event id). A send confirmed by
the SMTP server or the webhook's 2xx is recorded at once (autocommit), so it is never sent again. Failures are
retried with exponential backoff for 24 hours; a webhook failing `pause_after` times in a row is paused and
its owner gets a notice in the inbox.
"""

from __future__ import annotations

import collections
import http.client
import logging
import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import psycopg

from alerts import links, mail, matching, render, ssrf, subscriptions, webhook
from core.errors import DomainError

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 3600
KEEP_DAYS = 30


@dataclass(frozen=True)
class Config:
    """How the worker delivers (from the service settings)."""

    base_url: str
    secret_key: str
    smtp: mail.Smtp | None
    backoff_s: float = 30.0
    pause_after: int = 10
    lease_s: float = 120.0
    retry_for_s: float = webhook.RETRY_FOR_S
    batch: int = 5000
    send_batch: int = 200
    threads: int = 8
    webhook_timeout_s: float = webhook.TIMEOUT_S


CLAIM = """
UPDATE alert_deliveries d SET state = 'sending', attempts = d.attempts + 1,
       due_at = now() + make_interval(secs => %(lease)s)
WHERE d.id IN (
    SELECT x.id FROM alert_deliveries x JOIN alert_subscriptions s ON s.id = x.subscription_id
    WHERE x.channel = %(channel)s AND x.state IN ('pending', 'sending') AND x.due_at <= now() AND s.active
      AND (%(channel)s <> 'webhook' OR (s.webhook_paused_at IS NULL AND s.webhook_url IS NOT NULL))
      AND (%(channel)s <> 'email' OR s.email_mode <> 'off')
    ORDER BY x.subscription_id, x.id LIMIT %(n)s FOR UPDATE OF x SKIP LOCKED)
RETURNING d.id, d.attempts"""

# Still ours (no other worker took it after our lease ended: it would have counted another attempt)? Then the
# lease starts again. Only the deliveries this returns are sent.
RENEW = """
UPDATE alert_deliveries d SET due_at = now() + make_interval(secs => %(lease)s)
FROM unnest(%(ids)s::bigint[], %(attempts)s::int[]) AS mine(id, attempts)
WHERE d.id = mine.id AND d.attempts = mine.attempts AND d.state = 'sending'
RETURNING d.id"""


class Dispatcher:
    """Runs the alert steps on one autocommit connection."""

    def __init__(self, conn: psycopg.Connection, cfg: Config) -> None:
        self.conn, self.cfg = conn, cfg
        self.host = urlsplit(cfg.base_url).hostname or "bluemap"
        self.pool = ThreadPoolExecutor(cfg.threads, thread_name_prefix="webhook")
        self.hooks = webhook.Pool(cfg.webhook_timeout_s)  # kept-alive connections, shared by the threads
        self.claimed: dict[int, int] = {}  # delivery id -> attempts when this worker claimed it
        self.pruned = 0.0

    def close(self) -> None:
        """Stop the webhook threads, close their connections."""
        self.pool.shutdown(wait=True)
        self.hooks.close()

    def step(self, match: bool = True, send: bool = True) -> int:
        """One round: brand defaults, all new events matched, due e-mails and webhooks sent; work done. The worker
        runs the matching and the sending in two threads (`match=False` in one, `send=False` in the other), so the
        next batch is matched while the webhooks of the previous one go out."""
        done = 0
        if match:
            if time.monotonic() - self.pruned > PRUNE_EVERY_S:
                self.prune()
            done += subscriptions.ensure_brand_defaults(self.conn)
            while True:
                events, _ = matching.match_batch(self.conn, self.cfg.batch)
                done += events
                if events < self.cfg.batch:
                    break
        if send:
            done += self.send_webhooks()
            done += self.send_emails()
        return done

    def prune(self) -> int:
        """Forget events matched over `KEEP_DAYS` ago that reached no one (delivered ones stay, for the logs)."""
        self.pruned = time.monotonic()
        return self.conn.execute("""
            DELETE FROM alert_events e WHERE e.processed_at < now() - make_interval(days => %s)
              AND NOT EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.event_id = e.id)""", (KEEP_DAYS,)).rowcount

    def _claim(self, channel: str, n: int) -> list[int]:
        rows = self.conn.execute(CLAIM, {"lease": self.cfg.lease_s, "channel": channel, "n": n}).fetchall()
        self.claimed.update(dict(rows))
        return [r[0] for r in rows]

    def _renew(self, ids: list[int]) -> set[int]:
        """The deliveries among `ids` this worker still holds, with a fresh lease."""
        rows = self.conn.execute(RENEW, {"lease": self.cfg.lease_s, "ids": ids,
                                         "attempts": [self.claimed[i] for i in ids]})
        return {r[0] for r in rows}

    def _done(self, delivery_ids: list[int]) -> None:
        self.conn.execute("UPDATE alert_deliveries SET state = 'sent', sent_at = now(), last_error = NULL "
                          "WHERE id = ANY(%s)", (delivery_ids,))

    def _failed(self, delivery_ids: list[int], errors: list[str] | str) -> None:
        """Retry later with backoff, or give up after the retry period (one statement; an error per delivery)."""
        errors = [errors] * len(delivery_ids) if isinstance(errors, str) else errors
        self.conn.execute("""
            UPDATE alert_deliveries d SET last_error = left(f.err, 500),
                state = CASE WHEN d.created_at + make_interval(secs => %(span)s) <= now() THEN 'failed'
                             ELSE 'pending' END,
                due_at = now() + make_interval(secs => least(%(base)s * power(2, greatest(d.attempts - 1, 0)), 3600))
            FROM unnest(%(ids)s::bigint[], %(errs)s::text[]) AS f(id, err)
            WHERE d.id = f.id""", {"errs": errors, "span": self.cfg.retry_for_s, "base": self.cfg.backoff_s,
                                   "ids": delivery_ids})

    def send_webhooks(self) -> int:
        """Send the due webhook deliveries (several at once); how many were tried."""
        total = 0
        while ids := self._claim("webhook", self.cfg.threads * 8):
            owned = self._renew(ids)
            items = [d for d in render.details(self.conn, ids, self.cfg.base_url) if d["delivery_id"] in owned]
            allowed = ssrf.allowed_hosts(self.conn)
            results = list(self.pool.map(self._post, items, [allowed] * len(items)))
            ok = [d for d, error in zip(items, results, strict=True) if error is None]
            self._done([d["delivery_id"] for d in ok])  # one statement for the batch's successes
            self.conn.execute("UPDATE alert_subscriptions SET webhook_failures = 0 WHERE id = ANY(%s) AND "
                              "webhook_failures <> 0", (list({d["subscription_id"] for d in ok}),))
            self._record_failures([(d, error) for d, error in zip(items, results, strict=True) if error is not None])
            total += len(ids)
        self.claimed.clear()
        return total

    def _post(self, d: dict, allowed: set[str]) -> str | None:
        """None when the receiver took it (2xx), else the error."""
        try:
            status, text = self.hooks.post(d["webhook_url"], d["webhook_secret"] or "", render.webhook_body(d),
                                           allowed)
        except (OSError, http.client.HTTPException, DomainError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None if 200 <= status < 300 else f"HTTP {status}: {text[:200]}"

    def _record_failures(self, failed: list[tuple[dict, str]]) -> None:
        """Failed calls: retry later; count them against their webhooks, which pause after too many in a row."""
        if not failed:
            return
        self._failed([d["delivery_id"] for d, _ in failed], [error for _, error in failed])
        per_sub = collections.Counter(d["subscription_id"] for d, _ in failed)
        last = {d["subscription_id"]: error for d, error in failed}
        rows = self.conn.execute("""
            UPDATE alert_subscriptions s SET webhook_failures = s.webhook_failures + f.n,
                webhook_paused_at = CASE WHEN s.webhook_failures + f.n >= %s AND s.webhook_paused_at IS NULL
                                         THEN now() ELSE s.webhook_paused_at END
            FROM unnest(%s::bigint[], %s::int[]) AS f(id, n)
            WHERE s.id = f.id RETURNING s.id, s.webhook_paused_at = now()""",
            (self.cfg.pause_after, list(per_sub), list(per_sub.values()))).fetchall()
        for sub_id, paused in rows:
            if paused:
                self._notice(sub_id, last[sub_id])

    def _notice(self, sub_id: int, error: str) -> None:
        """Tell the owner (inbox) that their webhook is paused."""
        log.info("webhook of subscription %s paused: %s", sub_id, error)
        self.conn.execute("""
            WITH e AS (INSERT INTO alert_events (kind, payload, processed_at)
                       VALUES ('notice', jsonb_build_object('subscription_id', %(s)s::bigint, 'error', %(err)s::text,
                               'zh', 'Webhook 连续失败，已暂停；请检查后在提醒页面恢复',
                               'en', 'webhook paused after repeated failures; check it, then resume it on the '
                                     'alerts page'), now()) RETURNING id)
            INSERT INTO alert_deliveries (event_id, subscription_id, channel, state, sent_at)
            SELECT e.id, %(s)s, 'inbox', 'sent', now() FROM e""", {"s": sub_id, "err": error[:300]})

    def send_emails(self) -> int:
        """Send due e-mails: one per alert, or one digest per subscription; how many deliveries were tried."""
        if self.cfg.smtp is None:
            return 0
        total = 0
        while ids := self._claim("email", self.cfg.send_batch):
            items = render.details(self.conn, ids, self.cfg.base_url)
            modes = dict(self.conn.execute("SELECT id, email_mode FROM alert_subscriptions WHERE id = ANY(%s)",
                                           (list({d["subscription_id"] for d in items}),)).fetchall())
            for group in _groups(items, modes):
                self._mail(group)
            total += len(ids)
        self.claimed.clear()
        return total

    def _mail(self, group: list[dict]) -> None:
        owned = self._renew([d["delivery_id"] for d in group])
        group = [d for d in group if d["delivery_id"] in owned]
        if not group:
            return
        first, ids = group[0], [d["delivery_id"] for d in group]
        mid = (f"<alert-{first['delivery_id']}@{self.host}>" if len(group) == 1
               else f"<digest-{first['subscription_id']}-{ids[0]}-{ids[-1]}@{self.host}>")
        unsub = links.unsubscribe_url(self.cfg.base_url, self.cfg.secret_key, first["subscription_id"])
        assert self.cfg.smtp is not None
        try:
            msg = mail.compose(self.cfg.smtp, first["email"], group, unsub, mid)
            mail.send(self.cfg.smtp, msg)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            self._failed(ids, f"{type(exc).__name__}: {exc}")
            return
        self._done(ids)


def _groups(items: list[dict], modes: dict[int, str]) -> list[list[dict]]:
    """Digest subscriptions: one group each; immediate ones: one group per delivery."""
    digests: dict[int, list[dict]] = {}
    out: list[list[dict]] = []
    for d in items:
        if modes.get(d["subscription_id"]) == "digest":
            digests.setdefault(d["subscription_id"], []).append(d)
        else:
            out.append([d])
    return out + list(digests.values())
