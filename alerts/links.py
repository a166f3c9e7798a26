"""Signed links of alert messages: one-click unsubscribe (HMAC of the subscription and channel with the
service's secret key), checked without a session."""

from __future__ import annotations

import base64
import hashlib
import hmac

from core.errors import NotFound


def _mac(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), b"alerts-unsubscribe:" + body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def unsubscribe_token(secret: str, subscription_id: int, channel: str = "email") -> str:
    """`<id>.<channel>.<mac>`: what the unsubscribe link carries."""
    body = f"{subscription_id}.{channel}"
    return f"{body}.{_mac(secret, body)}"


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str]:
    """The subscription id and channel of a valid token, else NotFound (no hint about which part is wrong)."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in ("email",):
        raise NotFound("this unsubscribe link is not valid")
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_mac(secret, body), parts[2]):
        raise NotFound("this unsubscribe link is not valid")
    return int(parts[0]), parts[1]


def unsubscribe_url(base_url: str, secret: str, subscription_id: int) -> str:
    """The link in every e-mail."""
    return f"{base_url.rstrip('/')}/alerts/unsubscribe/{unsubscribe_token(secret, subscription_id)}"
