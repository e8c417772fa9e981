"""TLS from Python: POP3S and STLS through the ssl module (a test CA from
trustme), against the scriptable test server over real sockets. Every way TLS
can fail raises TLSError before any credential is sent (checked in the
server's transcript), with no fallback to plain text."""
from __future__ import annotations

import ssl

import pytest
import trustme

from nxpop3 import Client, InvalidState, PacketPool, TLSError, codes
from nxpop3.testing.server import Pop3Server

MESSAGES = [b"Subject: over TLS\r\n\r\nhello\r\n",
            b"Subject: big\r\n\r\n" + b"0123456789abcdef.\r\n" * 60_000]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(names or ("localhost", "127.0.0.1"))).configure_cert(context)
    return context


@pytest.fixture
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def connect(server: Pop3Server, **kwargs) -> Client:
    kwargs.setdefault("timeout", 5)
    kwargs.setdefault("pool", PacketPool(payload_size=16384, count=8))
    return Client("127.0.0.1", server.port, **kwargs)


def test_pop3s_fetches_byte_exact(ca, client_context) -> None:
    with Pop3Server(MESSAGES, tls=server_context(ca)) as server:
        with connect(server, user="alice", password="secret", tls=True,
                     context=client_context) as client:
            assert client.tls
            assert client.peer_certificate()["subjectAltName"] == \
                (("DNS", "localhost"), ("IP Address", "127.0.0.1"))
            assert isinstance(client.peer_certificate(binary_form=True), bytes)
            assert client.stat() == (2, sum(map(len, MESSAGES)))
            assert client.retr(2) == MESSAGES[1]
            assert b"".join(client.retrieve(2, 4096)) == MESSAGES[1]
            assert list(client.retr_many([1, 2])) == MESSAGES
        assert server.commands[:3] == ["CAPA", "USER alice", "PASS secret"]


def test_pop3s_default_port_is_995() -> None:
    # Nothing listens there: the connect fails, but to port 995.
    with pytest.raises(Exception) as caught:
        Client("127.0.0.1", user="", tls=True, timeout=0.5)
    assert "995" in str(caught.value) or caught.value.__class__.__name__ in (
        "ConnectionClosed", "TLSError", "Pop3Error", "Pop3Timeout")


@pytest.mark.parametrize("case", ["untrusted", "wrong-host"])
def test_pop3s_failures_send_no_credential(ca, client_context, case: str) -> None:
    names = ("other.example",) if case == "wrong-host" else ()
    context = client_context if case == "wrong-host" else ssl.create_default_context()
    with Pop3Server(MESSAGES, tls=server_context(ca, *names)) as server:
        with pytest.raises(TLSError) as caught:
            connect(server, user="alice", password="secret", tls=True, context=context)
        assert caught.value.status == codes.NX_POP3_TLS_FAILED
        assert isinstance(caught.value.__cause__, ssl.SSLError)
        assert server.commands == []


def test_starttls_logs_in_only_after_tls(ca, client_context) -> None:
    with Pop3Server(MESSAGES, starttls=server_context(ca)) as server:
        with connect(server, user="alice", password="secret", starttls=True,
                     context=client_context) as client:
            assert client.tls
            assert "STLS" not in client.capa()  # the capabilities after TLS
            assert client.retr(1) == MESSAGES[0]
        assert server.commands[:5] == ["CAPA", "STLS", "CAPA", "USER alice", "PASS secret"]


def test_stls_by_hand_from_authorization(ca, client_context) -> None:
    with Pop3Server(MESSAGES, starttls=server_context(ca)) as server:
        with connect(server, context=client_context) as client:
            assert client.state == "AUTHORIZATION" and not client.tls
            client.stls()
            assert client.tls
            client.login("alice", "secret")
            assert client.stat()[0] == 2
            with pytest.raises(InvalidState):
                client.stls()  # only before login


def test_stls_on_a_client_without_tls_support(ca) -> None:
    with Pop3Server(MESSAGES, starttls=server_context(ca)) as server:
        with connect(server) as client:
            with pytest.raises(TLSError) as caught:
                client.stls()
            assert caught.value.status == codes.NX_NOT_SUPPORTED
        assert server.commands == ["QUIT"]


def test_no_stls_offered_sends_no_credential(client_context) -> None:
    with Pop3Server(MESSAGES) as server:
        with pytest.raises(TLSError) as caught:
            connect(server, user="alice", password="secret", starttls=True,
                    context=client_context)
        assert caught.value.status == codes.NX_NOT_SUPPORTED
        assert server.commands == ["CAPA"]


def test_stls_refused_sends_no_credential(ca, client_context) -> None:
    with Pop3Server(MESSAGES, starttls=server_context(ca)) as server:
        server.fault("STLS", err="[SYS/TEMP] not now")
        with pytest.raises(TLSError) as caught:
            connect(server, user="alice", password="secret", starttls=True,
                    context=client_context)
        assert caught.value.status == codes.NX_POP3_SERVER_ERROR_STATUS
        assert caught.value.code == "SYS/TEMP"
        assert server.commands == ["CAPA", "STLS"]


def test_plaintext_injected_after_the_ok_is_refused(ca, client_context) -> None:
    with Pop3Server(MESSAGES, starttls=server_context(ca)) as server:
        # The classic STARTTLS injection: a reply planted before the handshake.
        server.fault("STLS", raw=b"+OK Begin TLS\r\n+OK logged in (injected)\r\n")
        with pytest.raises(TLSError) as caught:
            connect(server, user="alice", password="secret", starttls=True,
                    context=client_context)
        assert caught.value.status == codes.NX_POP3_UNEXPECTED_DATA
        assert server.commands == ["CAPA", "STLS"]


@pytest.mark.parametrize("case", ["untrusted", "wrong-host", "cut"])
def test_stls_handshake_failures_send_no_credential(ca, client_context, case: str) -> None:
    names = ("other.example",) if case == "wrong-host" else ()
    context = ssl.create_default_context() if case == "untrusted" else client_context
    with Pop3Server(MESSAGES, starttls=server_context(ca, *names)) as server:
        if case == "cut":
            server.fault("STLS", close_after=len(b"+OK Begin TLS\r\n") - 2)
        with pytest.raises(TLSError) as caught:
            connect(server, user="alice", password="secret", starttls=True, context=context)
        if case != "cut":
            assert caught.value.status == codes.NX_POP3_TLS_FAILED
            assert isinstance(caught.value.__cause__, ssl.SSLError)
        assert server.commands == ["CAPA", "STLS"]


def test_an_insecure_context_is_the_callers_choice(ca) -> None:
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    with Pop3Server(MESSAGES, tls=server_context(ca, "other.example")) as server:
        with connect(server, user="alice", password="secret", tls=True,
                     context=insecure) as client:
            assert client.tls and client.stat()[0] == 2


def test_tls_arguments_are_checked_before_connecting() -> None:
    with pytest.raises(ValueError):
        Client("127.0.0.1", 110, tls=True, starttls=True)
    with pytest.raises(ValueError):
        Client("127.0.0.1", 110, tls=True, context=ssl.create_default_context)  # not called
