"""Helpers of the alert tests: a real SMTP server (aiosmtpd) and a real HTTP receiver in threads, a facility,
violations inserted with SQL, the dispatcher run in this process."""

from __future__ import annotations

import email
import json
import threading
import uuid
from contextlib import contextmanager
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
from aiosmtpd.controller import Controller

from accounts import users as accounts

SECRET = "test-secret-key"


class Mailbox:
    """aiosmtpd handler keeping every message received (parsed)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        import asyncio

        if self.delay:
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(msg)
        return "250 OK"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


@contextmanager
def smtp_server():
    """A local SMTP server; yields (mailbox, smtp_url)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Mailbox()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield box, f"smtp://127.0.0.1:{port}?starttls=no"
    finally:
        ctl.stop()


class Receiver:
    """Requests received by the local webhook receiver; `statuses` is a queue of answers (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.event = threading.Event()


@contextmanager
def webhook_receiver():
    """A local HTTP server in a thread; yields (receiver, base URL)."""
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with rec.lock:
                status = rec.statuses.pop(0) if rec.statuses else 200
                rec.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                     "json": json.loads(body), "status": status})
            rec.event.set()
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield rec, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def user(db_url: str, role: str = "member", brand_id: int | None = None) -> accounts.User:
    address = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    with psycopg.connect(db_url) as c:
        accounts.create_user(c, address, "correct horse battery staple", role, brand_id)
        uid = c.execute("SELECT id FROM users WHERE email = %s", (address,)).fetchone()[0]
        return accounts.get_user(c, uid)


def facility(conn: psycopg.Connection, lon: float = 116.40, lat: float = 39.90, area: str = "110105",
             industry: str = "cement", uscc: str | None = None, private_to: int | None = None) -> int:
    """A facility of its own (committed by the caller)."""
    company = None
    if uscc:
        company = conn.execute("INSERT INTO companies (uscc, name_zh, dataset_id) VALUES (%s, '测试公司', "
                               "'synthetic-demo') ON CONFLICT (uscc) DO UPDATE SET name_zh = EXCLUDED.name_zh "
                               "RETURNING id", (uscc,)).fetchone()[0]
    return conn.execute("""
        INSERT INTO facilities (dataset_id, ext_id, company_id, name_zh, name_en, industry, area_code, geom,
                                private_to_brand, synthetic)
        VALUES ('synthetic-demo', %s, %s, '测试化工厂', 'Test Chemical Works', %s, %s,
                ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, true) RETURNING id""",
                        (f"alerts-{uuid.uuid4().hex}", company, industry, area, lon, lat, private_to)).fetchone()[0]


def violation(conn: psycopg.Connection, facility_id: int, ext: str | None = None, status: str = "open") -> int:
    return conn.execute("""
        INSERT INTO violations (dataset_id, ext_id, facility_id, violation_date, authority, category, source,
                                status, synthetic)
        VALUES ('synthetic-demo', %s, %s, current_date, '北京市生态环境局', 'air', 'test', %s, true)
        RETURNING id""", (ext or f"v-{uuid.uuid4().hex}", facility_id, status)).fetchone()[0]


@contextmanager
def keep_alive_receiver(protocol: str = "HTTP/1.1", status: int = 200, location: str | None = None):
    """A local webhook receiver answering `status` (HTTP/1.1: connections kept alive); yields (list of (client
    port, event id) per request, URL)."""
    seen: list[tuple[int, str]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = protocol

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((self.client_address[1], body["event_id"]))
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield seen, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
