"""The Dovecot fixture with TLS on, checked with poplib: POP3S on ``tls_port``, STLS on
``port``, the certificate from the test CA (verified), plain logins still allowed."""
from __future__ import annotations

import poplib
import socket
import ssl
import stat

import pytest

from nxpop3.testing.certificates import WRONG_HOST
from nxpop3.testing.dovecot import DovecotError, DovecotMailbox, DovecotServer, as_retrieved

MESSAGE = b"Subject: over TLS\n\n.dot line\nbody\n"


def _fetch(client: poplib.POP3, box: DovecotMailbox) -> bytes:
    client.user(box.user)
    client.pass_(box.password)
    _, lines, _ = client.retr(1)
    client.quit()
    return b"\r\n".join(lines) + b"\r\n"


def _login_line(box: DovecotMailbox) -> str:
    return box.server.wait_log(f"Login: user=<{box.user}>, method=PLAIN, rip=127.0.0.1, "
                               f"lip=127.0.0.1")


def test_pop3s(dovecot_tls: DovecotMailbox, tls_client_context: ssl.SSLContext) -> None:
    dovecot_tls.add_message(MESSAGE)
    assert dovecot_tls.tls_port not in (0, dovecot_tls.port)
    client = poplib.POP3_SSL(dovecot_tls.host, dovecot_tls.tls_port,
                             context=tls_client_context, timeout=10)
    assert client.getwelcome().startswith(b"+OK")
    assert "STLS" not in client.capa()
    assert _fetch(client, dovecot_tls) == as_retrieved(MESSAGE)
    assert ", TLS," in _login_line(dovecot_tls)


def test_pop3s_by_name(dovecot_tls: DovecotMailbox) -> None:
    client = poplib.POP3_SSL("localhost", dovecot_tls.tls_port,
                             context=dovecot_tls.client_context(), timeout=10)
    client.quit()


def test_stls(dovecot_tls: DovecotMailbox, tls_client_context: ssl.SSLContext) -> None:
    dovecot_tls.add_message(MESSAGE)
    client = poplib.POP3(dovecot_tls.host, dovecot_tls.port, timeout=10)
    assert "STLS" in client.capa()
    assert client.stls(tls_client_context).startswith(b"+OK")
    assert "STLS" not in client.capa()
    assert _fetch(client, dovecot_tls) == as_retrieved(MESSAGE)
    assert ", TLS," in _login_line(dovecot_tls)


def test_plain_login_still_allowed_on_the_plain_port(dovecot_tls: DovecotMailbox) -> None:
    dovecot_tls.add_message(MESSAGE)
    client = poplib.POP3(dovecot_tls.host, dovecot_tls.port, timeout=10)
    assert _fetch(client, dovecot_tls) == as_retrieved(MESSAGE)
    assert ", TLS," not in _login_line(dovecot_tls)


def test_stls_after_tls_and_after_login_refused(dovecot_tls: DovecotMailbox,
                                                tls_client_context: ssl.SSLContext) -> None:
    client = poplib.POP3(dovecot_tls.host, dovecot_tls.port, timeout=10)
    client.stls(tls_client_context)
    with pytest.raises(poplib.error_proto):
        client._shortcmd("STLS")  # poplib itself would refuse before asking
    client.user(dovecot_tls.user)
    client.pass_(dovecot_tls.password)
    with pytest.raises(poplib.error_proto):
        client._shortcmd("STLS")
    client.quit()


def test_certificate_for_another_name_is_refused(dovecot_tls: DovecotMailbox,
                                                 tls_client_context: ssl.SSLContext) -> None:
    with socket.create_connection((dovecot_tls.host, dovecot_tls.tls_port), timeout=10) as sock:
        with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
            tls_client_context.wrap_socket(sock, server_hostname=WRONG_HOST)


def test_certificate_untrusted_without_the_test_ca(dovecot_tls: DovecotMailbox) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        poplib.POP3_SSL(dovecot_tls.host, dovecot_tls.tls_port,
                        context=ssl.create_default_context(), timeout=10)


def test_ipv6_pop3s(dovecot_tls: DovecotMailbox, tls_client_context: ssl.SSLContext) -> None:
    if dovecot_tls.server.ipv6_host is None:
        pytest.skip("no IPv6 loopback on this host")
    client = poplib.POP3_SSL("::1", dovecot_tls.tls_port, context=tls_client_context,
                             timeout=10)
    client.quit()


def test_tls_files_are_private_and_in_the_instance_folder(dovecot_tls: DovecotMailbox) -> None:
    server = dovecot_tls.server
    layout = server.layout
    assert layout.ssl_cert.parent == layout.tls_dir and layout.tls_dir.parent == server.root
    assert stat.S_IMODE(layout.ssl_key.stat().st_mode) == 0o600
    config = server.config_path.read_text()
    assert "ssl = yes" in config and f"ssl_key = <{layout.ssl_key}" in config
    assert "inet_listener pop3s" in config and f"port = {server.tls_port}" in config


def test_a_server_without_certificates_has_no_tls(dovecot_binary: str) -> None:
    server = DovecotServer(binary=dovecot_binary)
    assert not server.tls
    with pytest.raises(DovecotError, match="TLS is off"):
        server.tls_port  # noqa: B018
    with server:
        assert "ssl = no" in server.config_path.read_text()
        assert not server.layout.tls_dir.exists()
        client = poplib.POP3(server.host, server.port, timeout=10)
        assert "STLS" not in client.capa()
        client.quit()
