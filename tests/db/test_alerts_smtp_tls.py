"""E-mail over TLS with a login, against a real local SMTP server (aiosmtpd): STARTTLS and TLS from the start, the
server's certificate verified (against the URL's `cafile`), a wrong password or an unknown CA refused."""

from __future__ import annotations

import smtplib
import socket
import ssl
import subprocess
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from alerts.mail import compose, parse_url, send
from tests.alerts_helpers import Mailbox

USER, PASSWORD = "alerts@bluemap.test", "s3cret pass"
ITEM = {"event_id": 7, "title_zh": "新的违规记录", "title_en": "New violation record", "lines_zh": ["甲厂"],
        "lines_en": ["Factory A"], "url": "http://127.0.0.1:8000/facilities/1"}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (its own CA): (cert.pem, key.pem)."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _login(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
        USER, PASSWORD)
    return AuthResult(success=ok, handled=False)


@contextmanager
def tls_server(certificate, implicit: bool):
    """An SMTP server demanding TLS (STARTTLS, or TLS from the start) before a login; yields (mailbox, port)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*map(str, certificate))
    box, port = Mailbox(), _port()
    tls = {"ssl_context": ctx, "server_hostname": "127.0.0.1"} if implicit else {
        "tls_context": ctx, "require_starttls": True}
    # With TLS from the start aiosmtpd does not know the channel is encrypted: it would hide AUTH if told to wait
    ctl = Controller(box, hostname="127.0.0.1", port=port, authenticator=_login, auth_require_tls=not implicit, **tls)
    ctl.start()
    try:
        yield box, port
    finally:
        ctl.stop()


def _send(url: str) -> None:
    cfg = parse_url(url, "Blue Map <alerts@bluemap.test>")
    send(cfg, compose(cfg, "brand@example.test", [ITEM], "http://127.0.0.1:8000/unsubscribe/x", "<m1@bluemap.test>"))


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "smtps"])
def test_a_message_goes_over_verified_tls_after_a_login(certificate, implicit):
    with tls_server(certificate, implicit) as (box, port):
        scheme, query = ("smtps", "") if implicit else ("smtp", "starttls=required&")
        _send(f"{scheme}://alerts%40bluemap.test:s3cret%20pass@127.0.0.1:{port}?{query}cafile={certificate[0]}")
        got = box.to("brand@example.test")
    assert len(got) == 1 and got[0]["Message-ID"] == "<m1@bluemap.test>"
    assert "Factory A" in got[0].get_body(("plain",)).get_content()


def test_a_wrong_password_is_refused(certificate):
    with tls_server(certificate, implicit=False) as (box, port):
        with pytest.raises(smtplib.SMTPAuthenticationError):
            _send(f"smtp://alerts%40bluemap.test:wrong@127.0.0.1:{port}?starttls=required&cafile={certificate[0]}")
        assert box.to("brand@example.test") == []


def test_a_certificate_from_an_unknown_ca_is_refused(certificate):
    """Without the `cafile` the self-signed certificate is not trusted: nothing is sent, the password never leaves."""
    with tls_server(certificate, implicit=False) as (box, port):
        with pytest.raises(ssl.SSLCertVerificationError):
            _send(f"smtp://alerts%40bluemap.test:s3cret%20pass@127.0.0.1:{port}?starttls=required")
        assert box.to("brand@example.test") == []
