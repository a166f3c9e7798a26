"""E-mail: the SMTP server from `SMTP_URL` (smtp:// with STARTTLS when offered, smtps:// with TLS from the
start, user and password from the URL; the server's certificate is always verified, against the system's CAs or
a `cafile`), and bilingual messages (plain text and HTML) for one alert or a digest,
with a stable Message-ID and a signed one-click unsubscribe link (RFC 8058)."""

from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

from core.errors import Invalid


@dataclass(frozen=True)
class Smtp:
    """Where and how to send."""

    host: str
    port: int
    tls: str  # "ssl", "starttls" (required), "auto" (when offered) or "none"
    user: str | None
    password: str | None
    sender: str
    timeout: float = 20.0
    cafile: str | None = None  # a private CA's certificates (PEM) to verify the server with, else the system's


def parse_url(url: str, default_sender: str) -> Smtp:
    """`smtp[s]://[user[:password]@]host[:port][?starttls=auto|required|no&from=address&cafile=/path/ca.pem]`."""
    u = urlsplit(url)
    if u.scheme not in ("smtp", "smtps") or not u.hostname:
        raise Invalid("SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
    q = {k: v[-1] for k, v in parse_qs(u.query).items()}
    if u.scheme == "smtps":
        tls = "ssl"
    else:
        tls = {"auto": "auto", "required": "starttls", "yes": "starttls", "no": "none"}.get(q.get("starttls", "auto"),
                                                                                              "auto")
    return Smtp(u.hostname, u.port or (465 if tls == "ssl" else 587 if tls == "starttls" else 25), tls,
                unquote(u.username) if u.username else None, unquote(u.password) if u.password else None,
                q.get("from", default_sender), cafile=q.get("cafile") or None)


def send(cfg: Smtp, msg: EmailMessage) -> None:
    """Send one message; returns when the server accepted it (raises smtplib/OSError errors otherwise)."""
    ctx = ssl.create_default_context(cafile=cfg.cafile)  # hostname and chain checked, also for a private CA
    client: smtplib.SMTP
    if cfg.tls == "ssl":
        client = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=ctx)
    else:
        client = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
    with client:
        client.ehlo()
        if cfg.tls == "starttls" or (cfg.tls == "auto" and client.has_extn("starttls")):
            client.starttls(context=ctx)
            client.ehlo()
        if cfg.user:
            client.login(cfg.user, cfg.password or "")
        client.send_message(msg)


def _html(items: list[dict], unsubscribe: str) -> str:
    blocks = []
    for d in items:
        rows = "".join(f"<li>{html.escape(line)}</li>" for line in d["lines_zh"] if not line.startswith("http"))
        rows_en = "".join(f"<li>{html.escape(line)}</li>" for line in d["lines_en"] if not line.startswith("http"))
        link = f'<p><a href="{html.escape(d["url"])}">{html.escape(d["url"])}</a></p>' if d["url"] else ""
        blocks.append(f"<h2>{html.escape(d['title_zh'])}</h2><ul>{rows}</ul>"
                      f"<h3 lang=\"en\">{html.escape(d['title_en'])}</h3><ul lang=\"en\">{rows_en}</ul>{link}")
    return (f"<!doctype html><html lang=\"zh\"><body>{''.join(blocks)}<hr><p><a href=\"{html.escape(unsubscribe)}\">"
            "退订此提醒的邮件 / Unsubscribe from these e-mails</a></p></body></html>")


def _text(items: list[dict], unsubscribe: str) -> str:
    parts = []
    for d in items:
        parts.append("\n".join([d["title_zh"], *d["lines_zh"], "", d["title_en"], *d["lines_en"]]))
    return "\n\n----\n\n".join(parts) + f"\n\n退订 / Unsubscribe: {unsubscribe}\n"


def compose(cfg: Smtp, to: str, items: list[dict], unsubscribe: str, message_id: str) -> EmailMessage:
    """One alert (one item) or a digest (several), bilingual, text and HTML."""
    msg = EmailMessage()
    if len(items) == 1:
        msg["Subject"] = f"[蓝色地图 Blue Map] {items[0]['title_zh']} / {items[0]['title_en']}"
    else:
        msg["Subject"] = f"[蓝色地图 Blue Map] {len(items)} 条提醒 / {len(items)} alerts"
    msg["From"] = cfg.sender
    msg["To"] = to
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id
    msg["X-BlueMap-Event-Ids"] = ",".join(f"evt-{d['event_id']}" for d in items)
    msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(_text(items, unsubscribe))
    msg.add_alternative(_html(items, unsubscribe), subtype="html")
    return msg
