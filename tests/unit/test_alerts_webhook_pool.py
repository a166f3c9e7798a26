"""The webhook connection pool against a real local HTTP server: kept-alive connections are reused, a receiver
that closes them gets new ones, and the SSRF rules hold for new and reused connections alike."""

from __future__ import annotations

import socket

import pytest

from alerts import ssrf, webhook
from core.errors import Invalid
from tests.alerts_helpers import keep_alive_receiver

ALLOWED = {"127.0.0.1"}


def test_keep_alive_connections_are_reused():
    pool = webhook.Pool(timeout=5)
    with keep_alive_receiver() as (seen, url):
        for i in range(5):
            assert pool.post(url, "s", {"event_id": f"evt-{i}"}, ALLOWED) == (200, "ok")
    pool.close()
    assert pool.opened == 1 and len({port for port, _ in seen}) == 1
    assert [e for _, e in seen] == [f"evt-{i}" for i in range(5)]


def test_a_receiver_closing_connections_gets_new_ones():
    pool = webhook.Pool(timeout=5)
    with keep_alive_receiver("HTTP/1.0") as (seen, url):
        for i in range(3):
            assert pool.post(url, "s", {"event_id": f"evt-{i}"}, ALLOWED)[0] == 200
    assert pool.opened == 3 and len({port for port, _ in seen}) == 3


def test_an_idle_connection_closed_by_the_receiver_is_replaced():
    pool = webhook.Pool(timeout=5)
    with keep_alive_receiver() as (seen, url):
        pool.post(url, "s", {"event_id": "evt-1"}, ALLOWED)
        for _, conn in pool._idle[("http", "127.0.0.1", int(url.split(":")[2].split("/")[0]))]:
            conn.sock.shutdown(socket.SHUT_RDWR)  # as if the receiver's keep-alive timeout had passed
        assert pool.post(url, "s", {"event_id": "evt-2"}, ALLOWED)[0] == 200
    assert pool.opened == 2 and [e for _, e in seen] == ["evt-1", "evt-2"]


def test_old_idle_connections_are_not_reused():
    pool = webhook.Pool(timeout=5, idle_s=0)
    with keep_alive_receiver() as (_, url):
        pool.post(url, "s", {"event_id": "evt-1"}, ALLOWED)
        pool.post(url, "s", {"event_id": "evt-2"}, ALLOWED)
    assert pool.opened == 2


def test_a_reused_connection_is_refused_once_its_host_is_no_longer_allowed():
    pool = webhook.Pool(timeout=5)
    with keep_alive_receiver() as (seen, url):
        pool.post(url, "s", {"event_id": "evt-1"}, ALLOWED)
        with pytest.raises(Invalid, match="internal address"):
            pool.post(url, "s", {"event_id": "evt-2"}, set())  # the administrator took 127.0.0.1 off the list
        with pytest.raises(Invalid, match="internal address"):
            pool.post(url, "s", {"event_id": "evt-3"}, set())
    assert [e for _, e in seen] == ["evt-1"]


def test_redirects_are_not_followed():
    with keep_alive_receiver(status=302, location="http://169.254.169.254/latest") as (seen, url):
        status, _ = webhook.post(url, "s", {"event_id": "evt-1"}, ALLOWED)
    assert status == 302 and len(seen) == 1  # a failure to retry, never a call to the other address


def test_the_peer_must_be_the_checked_address():
    with pytest.raises(Invalid, match="not the checked address"):
        ssrf.check_peer("example.org", "93.184.215.14", "127.0.0.1", set())
    with pytest.raises(Invalid, match="internal address"):
        ssrf.check_peer("example.org", "10.0.0.1", "10.0.0.1", set())
    ssrf.check_peer("example.org", "10.0.0.1", "10.0.0.1", {"example.org"})
    ssrf.check_peer("example.org", "93.184.215.14", "93.184.215.14", set())


def test_a_rebinding_host_is_checked_on_each_new_connection(monkeypatch):
    """127.0.0.1 plays a public address here. The name's first answer is checked and connected to; when the name
    later points inside, the kept connection still talks to the checked address only, and a new connection checks
    the new answer and refuses it."""
    answers = ["127.0.0.1", "10.9.9.9"]
    real_getaddrinfo, real_blocked = socket.getaddrinfo, ssrf._blocked

    def getaddrinfo(host, port, *a, **kw):
        if host == "hooks.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[0], port))]
        return real_getaddrinfo(host, port, *a, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(ssrf, "_blocked", lambda ip: str(ip) != "127.0.0.1" and real_blocked(ip))
    pool = webhook.Pool(timeout=5)
    with keep_alive_receiver() as (seen, url):
        hook = url.replace("127.0.0.1", "hooks.example")
        assert pool.post(hook, "s", {"event_id": "evt-1"}, set())[0] == 200
        answers.pop(0)  # the name now points inside
        assert pool.post(hook, "s", {"event_id": "evt-2"}, set())[0] == 200  # the same socket, the checked peer
        pool.close()
        with pytest.raises(Invalid, match="internal address"):
            pool.post(hook, "s", {"event_id": "evt-3"}, set())
    assert pool.opened == 1 and [e for _, e in seen] == ["evt-1", "evt-2"]
