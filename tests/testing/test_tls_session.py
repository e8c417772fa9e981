"""STLS in the socket-free session, the TLS knobs of the faults, and the test CA."""
from __future__ import annotations

import ssl
import stat

import pytest

from nxpop3.testing import HANDSHAKE, Mailbox, Pop3Session, default_capabilities
from nxpop3.testing.certificates import (
    DEFAULT_HOSTS,
    WRONG_HOST,
    CertificateAuthority,
)
from nxpop3.testing.faults import Effect, Fault


def _session(**options) -> Pop3Session:
    session = Pop3Session({"alice": Mailbox("alice", "secret", [b"hi"])}, **options)
    session.greet()
    return session


def _capa(session: Pop3Session) -> list[bytes]:
    return session.handle("CAPA").split(b"\r\n")[1:-2]


# -- STLS in the session ------------------------------------------------------------------
def test_stls_is_listed_after_user_before_tls_only():
    session = _session(starttls=True)
    assert _capa(session)[:4] == [b"TOP", b"UIDL", b"USER", b"STLS"]
    assert session.handle("STLS") == b"+OK Begin TLS negotiation\r\n"
    assert session.tls_pending and not session.tls
    session.start_tls()
    assert session.tls and not session.tls_pending
    assert b"STLS" not in _capa(session)


def test_default_capabilities_place_stls_after_user():
    caps = default_capabilities(apop=True, stls=True, login_delay=5)
    assert caps.index("STLS") == caps.index("USER") + 1
    assert "STLS" not in default_capabilities()


def test_a_second_stls_is_refused():
    session = _session(starttls=True)
    session.handle("STLS")
    session.start_tls()
    assert session.handle("STLS") == b"-ERR command not permitted when TLS active\r\n"
    assert session.tls and not session.tls_pending


def test_stls_after_login_is_refused_and_not_listed():
    session = _session(starttls=True)
    session.handle("USER alice")
    session.handle("PASS secret")
    assert b"STLS" not in _capa(session)
    assert session.handle("STLS") == b"-ERR already logged in\r\n"
    assert not session.tls_pending


def test_stls_is_unknown_without_starttls():
    session = _session()
    assert session.handle("STLS") == b"-ERR unknown command STLS\r\n"
    assert b"STLS" not in _capa(session)


def test_stls_on_pop3s_is_refused():
    session = _session(tls=True)
    assert b"STLS" not in _capa(session)
    assert session.handle("STLS") == b"-ERR command not permitted when TLS active\r\n"


def test_stls_takes_no_argument():
    session = _session(starttls=True)
    assert session.handle("STLS now") == b"-ERR STLS takes no argument\r\n"
    assert not session.tls_pending


def test_no_command_between_stls_and_the_handshake():
    session = _session(starttls=True)
    session.handle("STLS")
    with pytest.raises(RuntimeError, match="start_tls"):
        session.handle("CAPA")


def test_start_tls_needs_an_accepted_stls():
    with pytest.raises(RuntimeError):
        _session(starttls=True).start_tls()


def test_a_user_sent_before_tls_is_forgotten():
    session = _session(starttls=True)
    session.handle("USER alice")
    session.handle("STLS")
    session.start_tls()
    assert session.handle("PASS secret") == b"-ERR send USER first\r\n"
    session.handle("USER alice")
    assert session.handle("PASS secret").startswith(b"+OK")


def test_explicit_capabilities_stay_verbatim():
    session = _session(starttls=True, capabilities=["USER"])
    assert _capa(session) == [b"USER"]
    assert session.handle("STLS").startswith(b"+OK")  # accepted though not listed


def test_capa_false_server_still_takes_stls():
    session = _session(starttls=True, capa=False)
    assert session.handle("STLS").startswith(b"+OK")


# -- the TLS knobs of the faults --------------------------------------------------------------
def test_inject_appends_after_the_reply():
    effect = Effect(inject=b"+OK injected\r\n")
    assert effect.rewrite(b"+OK go\r\n") == b"+OK go\r\n+OK injected\r\n"
    assert Effect(raw=b"x", inject=b"y").rewrite(b"+OK\r\n") == b"xy"
    assert Effect(inject=b"y").plain  # bytes only: still one send


def test_star_does_not_match_the_handshake():
    assert not Fault(command="*").matches(HANDSHAKE, "")
    assert Fault(command="*").matches("GREETING", "")
    assert Fault(command="handshake").matches(HANDSHAKE, "")
    assert not Fault(command="HANDSHAKE").matches("STLS", "")


# -- the test CA ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def authority() -> CertificateAuthority:
    pytest.importorskip("trustme")
    return CertificateAuthority()


def test_contexts_of_the_ca(authority):
    server = authority.server_context()
    client = authority.client_context()
    assert isinstance(server, ssl.SSLContext) and isinstance(client, ssl.SSLContext)
    assert client.verify_mode == ssl.CERT_REQUIRED and client.check_hostname
    assert authority.cert_pem.startswith(b"-----BEGIN CERTIFICATE-----")


def test_certificates_name_the_hosts(authority):
    leaf = authority.issue()
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(leaf.cert_chain_pems[0].bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    listed = {str(n.value) for n in names}
    assert listed == set(DEFAULT_HOSTS)
    wrong = x509.load_pem_x509_certificate(authority.issue(WRONG_HOST).cert_chain_pems[0].bytes())
    sans = wrong.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(n.value) for n in sans] == [WRONG_HOST]


def test_rsa_keys_and_bad_key_types():
    pytest.importorskip("trustme")
    rsa = CertificateAuthority(key_type="rsa")
    assert rsa.key_type == "rsa" and b"BEGIN RSA PRIVATE KEY" in rsa.issue().private_key_pem.bytes()
    with pytest.raises(ValueError):
        CertificateAuthority(key_type="dsa")


def test_files_for_programs(authority, tmp_path):
    ca = authority.write_ca(tmp_path / "ca.pem")
    assert ca.read_bytes() == authority.cert_pem
    cert, key = authority.write_server_files(tmp_path / "tls")
    assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)  # a pair that belongs together
    trusting = ssl.create_default_context(cafile=str(ca))
    assert trusting.get_ca_certs()
