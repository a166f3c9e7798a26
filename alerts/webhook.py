"""Webhook calls: a JSON body with the stable event id, signed with HMAC-SHA256 over `timestamp.body`, posted
to the checked address with a short timeout on kept-alive connections; the retry schedule (exponential, for 24
hours)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import select
import socket
import ssl
import threading
import time
from typing import Any

from alerts import ssrf

SIGNATURE_HEADER = "X-BlueMap-Signature"
TIMESTAMP_HEADER = "X-BlueMap-Timestamp"
EVENT_HEADER = "X-BlueMap-Event-Id"
TIMEOUT_S = 10.0
RETRY_FOR_S = 24 * 3600
IDLE_S = 15.0  # an idle connection older than this is closed rather than reused
MAX_IDLE_PER_HOST = 64
MAX_DRAIN = 65536  # a longer answer is not read to its end: its connection is closed instead


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 with the subscription's secret over `<timestamp>.<body>`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff(attempts: int, base_s: float) -> float:
    """Seconds before the next try after `attempts` failed ones: base, 2 base, 4 base ... at most an hour."""
    return float(min(base_s * (2 ** max(attempts - 1, 0)), 3600.0))


class _Pinned(http.client.HTTPConnection):
    """HTTP to an address checked beforehand, with the URL's Host header; never reconnects by itself."""

    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout)
        self.checked, self.host_name, self.auto_open = address, host, 0


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to a checked address, verifying the certificate of the URL's host name."""

    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.checked, self.host_name, self.auto_open = address, host, 0

    def connect(self) -> None:
        """Connect to the checked address, then TLS with the host name for SNI and verification."""
        sock = socket.create_connection((self.checked, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


_Conn = _Pinned | _PinnedTLS
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class Pool:
    """Keep-alive connections for webhook calls, kept per scheme, host and port and shared by the sending threads.

    A new connection resolves the host, refuses internal addresses (unless an administrator allowed the host) and
    connects to the checked address; before every request, on a new or a reused connection, the socket's peer
    address is checked again against the allowed hosts of the moment. A connection idle longer than `idle_s`, or
    closed by the receiver, is not reused; a call that finds a reused connection closed is made once more on a new
    one (at-least-once: receivers de-duplicate on the event id)."""

    def __init__(self, timeout: float = TIMEOUT_S, idle_s: float = IDLE_S, per_host: int = MAX_IDLE_PER_HOST) -> None:
        self.timeout, self.idle_s, self.per_host = timeout, idle_s, per_host
        self._idle: dict[tuple[str, str, int], list[tuple[float, _Conn]]] = {}
        self._lock = threading.Lock()
        self.opened = 0  # connections opened so far

    def post(self, url: str, secret: str, payload: dict[str, Any], allowed: set[str]) -> tuple[int, str]:
        """POST the signed payload; (status, first bytes of the answer). Raises OSError, HTTPException or Invalid."""
        scheme, host, port, path = ssrf.parts(url)
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "bluemap-alerts/1",
                   TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(secret, ts, body),
                   EVENT_HEADER: str(payload["event_id"]), "Host": host if port in (80, 443) else f"{host}:{port}"}
        key = (scheme, host, port)
        conn = self._take(key)
        if conn is not None:
            try:
                return self._call(key, conn, path, body, headers, allowed)
            except _STALE:
                pass  # the receiver closed the idle connection meanwhile: once more on a new one
        return self._call(key, self._open(key, allowed), path, body, headers, allowed)

    def _open(self, key: tuple[str, str, int], allowed: set[str]) -> _Conn:
        scheme, host, port = key
        address = ssrf.resolve(host, port, allowed)
        conn = (_PinnedTLS if scheme == "https" else _Pinned)(address, host, port, self.timeout)
        conn.connect()
        with self._lock:
            self.opened += 1
        return conn

    def _call(self, key: tuple[str, str, int], conn: _Conn, path: str, body: bytes, headers: dict[str, str],
              allowed: set[str]) -> tuple[int, str]:
        try:
            if conn.sock is None:
                raise ConnectionError("webhook connection is closed")
            ssrf.check_peer(conn.host_name, conn.checked, conn.sock.getpeername()[0], allowed)
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read(500).decode("utf-8", "replace")
            if not resp.isclosed():
                resp.read(MAX_DRAIN)  # the rest of a short answer, so that the connection can carry the next call
            keep = resp.isclosed() and not resp.will_close and conn.sock is not None
        except BaseException:
            conn.close()
            raise
        if keep:
            self._give(key, conn)
        else:
            conn.close()
        return resp.status, text

    def _take(self, key: tuple[str, str, int]) -> _Conn | None:
        """The most recently used idle connection still open, if any."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                if not idle:
                    return None
                since, conn = idle.pop()
            if time.monotonic() - since < self.idle_s and conn.sock is not None and not _readable(conn.sock):
                return conn
            conn.close()  # too old, or the receiver closed it (or sent something unasked)

    def _give(self, key: tuple[str, str, int], conn: _Conn) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < self.per_host:
                idle.append((time.monotonic(), conn))
                return
        conn.close()

    def close(self) -> None:
        """Close the idle connections."""
        with self._lock:
            conns = [c for idle in self._idle.values() for _, c in idle]
            self._idle.clear()
        for c in conns:
            c.close()


def _readable(sock: socket.socket) -> bool:
    """An idle keep-alive socket with something to read has been closed by the other side (or is confused)."""
    return bool(select.select([sock], [], [], 0)[0])


def post(url: str, secret: str, payload: dict[str, Any], allowed: set[str],
         timeout: float = TIMEOUT_S) -> tuple[int, str]:
    """One call on a connection of its own (see `Pool`)."""
    pool = Pool(timeout)
    try:
        return pool.post(url, secret, payload, allowed)
    finally:
        pool.close()
