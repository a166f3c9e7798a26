"""Webhook URLs may not reach the service's own network: a URL whose host resolves to a loopback, private,
link-local, multicast, reserved or unspecified address is refused, unless an administrator allowed the host
(`alert_allowed_hosts`). The worker connects to the address it checked (no second DNS answer: no rebinding) and
checks the peer address of the socket it got again before sending anything."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import psycopg

from core.errors import Invalid


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


def allowed_hosts(conn: psycopg.Connection) -> set[str]:
    """Hosts an administrator allowed although they resolve to internal addresses."""
    return {r[0] for r in conn.execute("SELECT host FROM alert_allowed_hosts")}


def parts(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path+query of an http(s) URL, or Invalid."""
    try:
        u = urlsplit(url)
        port = u.port
    except ValueError:
        raise Invalid("webhook_url is not a valid URL") from None
    if u.scheme not in ("http", "https") or not u.hostname:
        raise Invalid("webhook_url must be an http:// or https:// URL with a host")
    if u.username or u.password:
        raise Invalid("webhook_url must not carry a user name or password")
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    return u.scheme, u.hostname.lower(), port or (443 if u.scheme == "https" else 80), path


def resolve(host: str, port: int, allowed: set[str]) -> str:
    """The address to connect to: the first one of the host's, all of which must be public (or allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Invalid(f"webhook host {host!r} does not resolve") from None
    addresses = [info[4][0] for info in infos]
    if host not in allowed:
        for a in addresses:
            if _blocked(ipaddress.ip_address(a.split("%")[0])):
                raise Invalid(f"webhook host {host!r} resolves to an internal address ({a}); an administrator "
                              "must allow the host first")
    return addresses[0]


def blocked(address: str) -> bool:
    """Whether an address (as a socket reports it) is one webhooks may not reach without an allowed host."""
    return _blocked(ipaddress.ip_address(address.split("%")[0]))


def check_peer(host: str, address: str, peer: str, allowed: set[str]) -> None:
    """The socket must be connected to the address that was checked, and that address must still be allowed."""
    if peer.split("%")[0] != address.split("%")[0]:
        raise Invalid(f"webhook host {host!r}: connected to {peer}, not the checked address {address}")
    if host not in allowed and blocked(peer):
        raise Invalid(f"webhook host {host!r} resolves to an internal address ({peer}); an administrator "
                      "must allow the host first")


def check_url(conn: psycopg.Connection, url: str) -> str:
    """The URL when it may be called, else Invalid with the reason."""
    _, host, port, _ = parts(url)
    resolve(host, port, allowed_hosts(conn))
    return url


def allow(conn: psycopg.Connection, host: str, note: str = "") -> None:
    """Allow a host (administrators). Does not commit."""
    host = host.strip().lower()
    if not host or "/" in host or " " in host:
        raise Invalid("host must be a bare host name or address")
    conn.execute("INSERT INTO alert_allowed_hosts (host, note) VALUES (%s, %s) ON CONFLICT (host) DO UPDATE "
                 "SET note = EXCLUDED.note", (host, note))


def disallow(conn: psycopg.Connection, host: str) -> None:
    """Take a host off the allowed list. Does not commit."""
    conn.execute("DELETE FROM alert_allowed_hosts WHERE host = %s", (host.strip().lower(),))
