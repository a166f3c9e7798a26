"""Pure parts of alerts: webhook signatures and backoff, SMTP URLs, signed unsubscribe links, SSRF checks."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from alerts import links, mail, ssrf, webhook
from core.errors import Invalid, NotFound


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    body = b'{"event_id":"evt-1"}'
    expected = "sha256=" + hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhook.sign("s3cret", "1700000000", body) == expected
    assert webhook.verify("s3cret", "1700000000", body, expected)
    assert not webhook.verify("s3cret", "1700000001", body, expected)
    assert not webhook.verify("s3cret", "1700000000", body + b" ", expected)


def test_backoff_doubles_up_to_an_hour():
    assert [webhook.backoff(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhook.backoff(20, 30) == 3600


def test_smtp_urls():
    plain = mail.parse_url("smtp://u%40x:p%3Aw@mail.example.org?from=a@b.org", "d@e.org")
    assert (plain.host, plain.port, plain.tls, plain.user, plain.password, plain.sender) == \
        ("mail.example.org", 25, "auto", "u@x", "p:w", "a@b.org")
    required, tls = mail.parse_url("smtp://h?starttls=required", "d@e.org"), mail.parse_url("smtps://h", "d@e.org")
    assert (required.port, required.tls, tls.port, tls.tls) == (587, "starttls", 465, "ssl")
    assert mail.parse_url("smtp://h:2525?starttls=no", "x@y").tls == "none"
    with pytest.raises(Invalid):
        mail.parse_url("http://h", "x@y")


def test_unsubscribe_tokens_are_signed():
    token = links.unsubscribe_token("key", 42)
    assert links.read_unsubscribe_token("key", token) == (42, "email")
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token.replace("42.", "43.", 1), "42.email",
                "x.email.abc", links.unsubscribe_token("other key", 42)):
        with pytest.raises(NotFound):
            links.read_unsubscribe_token("key", bad)


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.8", "172.16.3.4", "192.168.0.1", "169.254.169.254",
                                  "0.0.0.0", "::1", "fe80::1", "fc00::1", "224.0.0.1", "100.64.0.1",
                                  "::ffff:127.0.0.1"])
def test_internal_addresses_are_refused_unless_allowed(host):
    with pytest.raises(Invalid, match="internal address"):
        ssrf.resolve(host, 80, set())
    assert ssrf.resolve(host, 80, {host}) == host


def test_url_shapes():
    assert ssrf.parts("https://example.org/a?b=1") == ("https", "example.org", 443, "/a?b=1")
    assert ssrf.parts("http://Example.org:8080") == ("http", "example.org", 8080, "/")
    for bad in ("ftp://example.org/", "http://u:p@example.org/", "http:///x", "http://example.org:99999/"):
        with pytest.raises(Invalid):
            ssrf.parts(bad)
