"""Webhook calls: a JSON body with the stable event id, signed with HMAC-SHA256 over `timestamp.body`, posted
to the checked address with a short timeout; the retry schedule (exponential, for 24 hours)."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from typing import Any

from alerts import ssrf

SIGNATURE_HEADER = "X-BlueMap-Signature"
TIMESTAMP_HEADER = "X-BlueMap-Timestamp"
EVENT_HEADER = "X-BlueMap-Event-Id"
TIMEOUT_S = 10.0
RETRY_FOR_S = 24 * 3600


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
    """HTTP to an address checked beforehand, with the URL's Host header."""

    def __init__(self, address: str, port: int, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to a checked address, verifying the certificate of the URL's host name."""

    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        """Connect to the checked address, then TLS with the host name for SNI and verification."""
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, secret: str, payload: dict[str, Any], allowed: set[str],
         timeout: float = TIMEOUT_S) -> tuple[int, str]:
    """POST the signed payload; (status, first bytes of the answer). Raises OSError/Invalid when it cannot."""
    scheme, host, port, path = ssrf.parts(url)
    address = ssrf.resolve(host, port, allowed)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "bluemap-alerts/1",
               TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(secret, ts, body),
               EVENT_HEADER: str(payload["event_id"]), "Host": host if port in (80, 443) else f"{host}:{port}"}
    conn: http.client.HTTPConnection = (_PinnedTLS(address, host, port, timeout) if scheme == "https"
                                        else _Pinned(address, port, timeout))
    try:
        conn.request("POST", path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read(500).decode("utf-8", "replace")
        return resp.status, text
    finally:
        conn.close()
