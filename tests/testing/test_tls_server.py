"""The test server over TLS: POP3S and STLS with poplib and bare sockets, the TLS fault
knobs (HANDSHAKE, inject, STLS refused, a certificate for another host), the POP3 fault
knobs over TLS, and the transcript's record of what came in clear."""
from __future__ import annotations

import poplib
import socket
import ssl
import time

import pytest

from nxpop3.testing import CommandRecord, Pop3Server

pytest.importorskip("trustme")

MESSAGE = b"Subject: tls\r\n\r\n.dot line\r\nbody\r\n"
CLOSED = (poplib.error_proto, EOFError, OSError)  # ssl.SSLError is an OSError


@pytest.fixture
def tls_server(pop3_server_factory, tls_server_context, tls_client_context):
    def start(**kwargs) -> Pop3Server:
        kwargs.setdefault("client_context", tls_client_context)
        return pop3_server_factory([MESSAGE], tls=tls_server_context, **kwargs)

    return start


@pytest.fixture
def stls_server(pop3_server_factory, tls_server_context, tls_client_context):
    def start(**kwargs) -> Pop3Server:
        kwargs.setdefault("client_context", tls_client_context)
        kwargs.setdefault("starttls", tls_server_context)
        return pop3_server_factory([MESSAGE], **kwargs)

    return start


def _pop3s(server: Pop3Server, context: ssl.SSLContext, host: str = "localhost",
           timeout: float = 5) -> poplib.POP3_SSL:
    return poplib.POP3_SSL(host, server.port, context=context, timeout=timeout)


def _login_retr_quit(client: poplib.POP3) -> bytes:
    client.user("alice")
    client.pass_("secret")
    _, lines, _ = client.retr(1)
    client.quit()
    return b"\r\n".join(lines) + b"\r\n"


# -- POP3S -----------------------------------------------------------------------------------
def test_pop3s_with_poplib(tls_server, tls_client_context):
    server = tls_server()
    client = _pop3s(server, tls_client_context)
    assert client.getwelcome() == b"+OK nxpop3 test server ready"
    assert "STLS" not in client.capa()
    assert _login_retr_quit(client) == MESSAGE
    assert server.wait_idle(5)
    session = server.sessions[0]
    assert session.tls and session.tls_version in ("TLSv1.2", "TLSv1.3")
    assert session.tls_cipher and session.server_name == "localhost"
    assert session.command_records == [
        CommandRecord("CAPA", True), CommandRecord("USER alice", True),
        CommandRecord("PASS secret", True), CommandRecord("RETR 1", True),
        CommandRecord("QUIT", True),
    ]
    assert session.received_in_clear == 0 and session.clear_received == b""
    assert server.commands_in_clear == [] and not server.sent_in_clear("secret")
    assert bytes(session.received).startswith(b"CAPA\r\nUSER alice\r\nPASS secret\r\n")
    assert b"PASS" not in session.wire_received
    assert session.tls_error is None


def test_pop3s_by_address_has_no_server_name(tls_server, tls_client_context):
    server = tls_server()
    client = _pop3s(server, tls_client_context, host="127.0.0.1")
    client.quit()
    assert server.wait_idle(5)
    assert server.sessions[0].tls and server.sessions[0].server_name is None


def test_pop3s_sends_close_notify_after_quit(tls_server, tls_client_context, raw_client):
    server = tls_server()
    client = raw_client(server.address)
    client.start_tls(tls_client_context)
    assert client.line().startswith(b"+OK")
    assert client.command("QUIT").startswith(b"+OK")
    assert client.read_all() == b""  # a clean TLS end: no SSLEOFError


def test_a_big_message_over_tls_is_byte_exact(pop3_server_factory, tls_server_context,
                                              tls_client_context):
    big = b"".join(b"line %07d .. some text to fill the line\r\n" % i for i in range(60000))
    server = pop3_server_factory([big], tls=tls_server_context)
    client = _pop3s(server, tls_client_context)
    client.user("alice")
    client.pass_("secret")
    _, lines, octets = client.retr(1)
    client.quit()
    assert b"\r\n".join(lines) + b"\r\n" == big and octets >= len(big)


# -- STLS ------------------------------------------------------------------------------------
def test_stls_with_poplib(stls_server, tls_client_context):
    server = stls_server()
    client = poplib.POP3("localhost", server.port, timeout=5)
    assert "STLS" in client.capa()
    assert client.stls(tls_client_context) == b"+OK Begin TLS negotiation"
    assert "STLS" not in client.capa()
    assert _login_retr_quit(client) == MESSAGE
    assert server.wait_idle(5)
    session = server.sessions[0]
    assert session.tls and session.server_name == "localhost"
    # poplib's stls() asks CAPA itself before STLS
    assert session.commands_in_clear == ["CAPA", "CAPA", "STLS"]
    assert session.clear_received == b"CAPA\r\nCAPA\r\nSTLS\r\n"
    assert [r.tls for r in session.command_records] == [False] * 3 + [True] * 5
    assert server.commands_in_clear == ["CAPA", "CAPA", "STLS"]
    assert not server.sent_in_clear("secret")


def test_stls_refused_by_a_fault(stls_server, tls_client_context):
    server = stls_server()
    refused = server.fault("STLS", err="[SYS/TEMP] no TLS today")
    client = poplib.POP3("localhost", server.port, timeout=5)
    with pytest.raises(poplib.error_proto, match="no TLS today"):
        client.stls(tls_client_context)
    client.user("alice")  # the session goes on in clear, as refused
    client.quit()
    assert server.wait_idle(5)
    assert refused.hits == 1 and not server.sessions[0].tls
    assert server.commands_in_clear == ["CAPA", "STLS", "USER alice", "QUIT"]


def test_stls_on_a_plain_server_is_unknown(pop3_server, tls_client_context):
    client = poplib.POP3(*pop3_server.address, timeout=5)
    assert "STLS" not in client.capa()
    with pytest.raises(poplib.error_proto):
        client.stls(tls_client_context)  # poplib refuses: not in CAPA
    client.quit()


def test_stls_unknown_and_second_stls_and_after_login(stls_server, pop3_server, raw_client,
                                                      tls_client_context):
    plain = raw_client(pop3_server.address)
    plain.line()
    assert plain.command("STLS") == b"-ERR unknown command STLS\r\n"

    server = stls_server()
    client = raw_client(server.address)
    client.line()
    assert client.command("STLS") == b"+OK Begin TLS negotiation\r\n"
    client.start_tls(tls_client_context)
    assert client.command("STLS") == b"-ERR command not permitted when TLS active\r\n"
    assert client.command("USER alice").startswith(b"+OK")
    assert client.command("PASS secret").startswith(b"+OK")
    assert client.command("STLS") == b"-ERR already logged in\r\n"
    assert client.command("QUIT").startswith(b"+OK")
    assert server.wait_idle(5)

    late = raw_client(server.address)
    late.login()
    assert late.command("STLS") == b"-ERR already logged in\r\n"
    assert late.command("CAPA").startswith(b"+OK")
    assert b"STLS" not in late.multi()


def test_a_user_before_stls_is_forgotten(stls_server, raw_client, tls_client_context):
    server = stls_server()
    client = raw_client(server.address)
    client.line()
    client.command("USER alice")
    client.command("STLS")
    client.start_tls(tls_client_context)
    assert client.command("PASS secret") == b"-ERR send USER first\r\n"


def test_plain_text_pipelined_after_stls_closes(stls_server, raw_client):
    server = stls_server()
    client = raw_client(server.address)
    client.line()
    client.send(b"STLS\r\nUSER alice\r\n")
    assert client.read_all() == b"+OK Begin TLS negotiation\r\n"
    assert server.wait_idle(5)
    session = server.sessions[0]
    assert not session.tls and "plain text after STLS" in session.tls_error
    assert session.commands == ["STLS"]  # the pipelined line is never taken


# -- the injection knob -------------------------------------------------------------------------
def test_inject_after_stls_arrives_before_the_handshake(stls_server, raw_client,
                                                        tls_client_context):
    server = stls_server()
    server.fault("STLS", inject=b"+OK injected\r\n")
    client = raw_client(server.address)
    client.line()
    client.send(b"STLS\r\n")
    assert client.line() == b"+OK Begin TLS negotiation\r\n"
    assert client.line() == b"+OK injected\r\n"  # in clear, before any handshake byte
    session = server.sessions[0]
    assert session.writes[-1] == len(b"+OK Begin TLS negotiation\r\n+OK injected\r\n")
    client.start_tls(tls_client_context)  # a client that ignored them: TLS still works
    assert client.command("NOOP") == b"-ERR not logged in\r\n"


def test_a_client_that_refuses_the_injection_leaves_before_the_handshake(
    stls_server, raw_client
):
    server = stls_server()
    server.fault("STLS", inject=b"-ERR fake\r\n")
    client = raw_client(server.address)
    client.line()
    client.send(b"STLS\r\n")
    assert client.line() == b"+OK Begin TLS negotiation\r\n"
    client.close()
    assert server.wait_idle(5)
    session = server.sessions[0]
    assert not session.tls and "closed the connection during the handshake" in session.tls_error


def test_inject_on_any_reply(pop3_server, raw_client):
    pop3_server.fault("NOOP", inject=b"+OK unasked\r\n")
    client = raw_client(pop3_server.address)
    client.login()
    assert client.command("NOOP") == b"+OK\r\n"
    assert client.line() == b"+OK unasked\r\n"


# -- the HANDSHAKE fault ------------------------------------------------------------------------
@pytest.mark.parametrize("octets", [0, 1, 5, 100])
def test_handshake_cut_on_pop3s(tls_server, tls_client_context, octets):
    server = tls_server()
    cut = server.fault("HANDSHAKE", close_after=octets)
    with pytest.raises((ssl.SSLError, OSError)):
        _pop3s(server, tls_client_context)
    assert server.wait_idle(5)
    session = server.sessions[0]
    assert cut.hits == 1 and not session.tls
    assert f"closed after {octets} octets" in session.tls_error
    assert session.commands == [] and session.sent == b""


def test_handshake_cut_after_stls_sends_no_credential(stls_server, tls_client_context):
    server = stls_server()
    server.fault("HANDSHAKE", close_after=0, reset=True)
    client = poplib.POP3("localhost", server.port, timeout=5)
    with pytest.raises((ssl.SSLError, OSError)):
        client.stls(tls_client_context)
    assert server.wait_idle(5)
    assert "PASS secret" not in server.commands and not server.sent_in_clear("secret")
    assert "HANDSHAKE fault closed after 0" in server.sessions[0].tls_error


def test_handshake_split_and_paused_still_completes(tls_server, tls_client_context):
    server = tls_server()
    server.fault("HANDSHAKE", split=7, pause=0.0005)
    client = _pop3s(server, tls_client_context)
    assert _login_retr_quit(client) == MESSAGE
    assert server.sessions[0].tls


def test_handshake_delay(tls_server, tls_client_context):
    server = tls_server()
    server.fault("HANDSHAKE", delay=0.3)
    started = time.monotonic()
    _pop3s(server, tls_client_context).quit()
    assert time.monotonic() - started >= 0.3


def test_handshake_silent_makes_the_client_time_out(tls_server, tls_client_context):
    server = tls_server()
    server.fault("HANDSHAKE", silent=True)
    with pytest.raises((TimeoutError, socket.timeout, ssl.SSLError)):
        _pop3s(server, tls_client_context, timeout=0.5)


@pytest.mark.parametrize("knob", [{"raw": b"+OK not TLS at all\r\n"}, {"err": "no TLS"}])
def test_handshake_answered_in_clear(tls_server, tls_client_context, knob):
    server = tls_server()
    server.fault("HANDSHAKE", **knob)
    with pytest.raises(ssl.SSLError):
        _pop3s(server, tls_client_context)
    assert server.wait_idle(5)
    session = server.sessions[0]
    assert bytes(session.sent) in (b"+OK not TLS at all\r\n", b"-ERR no TLS\r\n")
    assert "answered in clear" in session.tls_error


def test_handshake_fault_once_then_fine(tls_server, tls_client_context):
    server = tls_server()
    server.fault("HANDSHAKE", close_after=0, once=True)
    with pytest.raises((ssl.SSLError, OSError)):
        _pop3s(server, tls_client_context)
    _pop3s(server, tls_client_context).quit()


def test_star_faults_leave_the_handshake_alone(tls_server, tls_client_context):
    server = tls_server()
    server.fault("*", close_after=0)
    with pytest.raises(CLOSED):
        _pop3s(server, tls_client_context)
    assert server.wait_idle(5)
    assert server.sessions[0].tls  # the greeting was cut, inside TLS


# -- certificates the client must refuse --------------------------------------------------------
def test_certificate_for_another_host(pop3_server_factory, tls_wrong_host_context,
                                      tls_client_context):
    server = pop3_server_factory(starttls=tls_wrong_host_context)
    client = poplib.POP3("localhost", server.port, timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        client.stls(tls_client_context)
    assert server.wait_idle(5)
    session = server.sessions[0]
    assert not session.tls and "alert" in session.tls_error
    assert session.commands_in_clear == ["CAPA", "STLS"]


def test_certificate_from_an_unknown_ca(pop3_server_factory, tls_untrusted_context,
                                        tls_client_context):
    server = pop3_server_factory(tls=tls_untrusted_context)
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        _pop3s(server, tls_client_context)


def test_a_credential_in_clear_is_seen(pop3_server):
    client = poplib.POP3(*pop3_server.address, timeout=5)
    client.user("alice")
    client.pass_("secret")
    client.quit()
    assert pop3_server.wait_idle(5)
    assert pop3_server.sent_in_clear("secret") and "PASS secret" in pop3_server.commands_in_clear
    assert pop3_server.sessions[0].received_in_clear == len(pop3_server.sessions[0].received)


# -- the POP3 knobs over TLS --------------------------------------------------------------------
def test_split_over_tls_is_one_record_per_segment(tls_server, tls_client_context):
    server = tls_server()
    server.fault("RETR", split=1)
    client = _pop3s(server, tls_client_context)
    assert _login_retr_quit(client) == MESSAGE
    session = server.sessions[0]
    retr_reply = b"+OK %d octets\r\n" % len(MESSAGE)
    assert session.writes.count(1) >= len(retr_reply) + len(MESSAGE)


@pytest.mark.parametrize(
    "knob",
    [
        {"close_after": 10},
        {"close_after": 0, "reset": True},
        {"lines": {1: b"Subject: changed"}},
        {"status_line": b"+OK rewritten"},
        {"raw": b"-ERR nope\r\n"},
        {"err": "[IN-USE] later"},
        {"split": [3, 1, 2], "pause": 0.001},
    ],
    ids=["close_after", "reset", "lines", "status_line", "raw", "err", "split"],
)
def test_reply_knobs_over_tls(tls_server, tls_client_context, knob):
    server = tls_server()
    server.fault("RETR", **knob)
    client = _pop3s(server, tls_client_context)
    client.user("alice")
    client.pass_("secret")
    if "close_after" in knob:
        with pytest.raises(CLOSED):
            client.retr(1)
        return
    if "raw" in knob or "err" in knob:
        with pytest.raises(poplib.error_proto):
            client.retr(1)
    else:
        response, lines, _ = client.retr(1)
        if "lines" in knob:
            assert lines[0] == b"Subject: changed"
        if "status_line" in knob:
            assert response == b"+OK rewritten"
        if "split" in knob:
            assert b"\r\n".join(lines) + b"\r\n" == MESSAGE
    client.quit()


def test_silent_over_tls(tls_server, tls_client_context):
    server = tls_server()
    server.fault("NOOP", silent=True)
    client = _pop3s(server, tls_client_context, timeout=0.5)
    client.user("alice")
    client.pass_("secret")
    with pytest.raises((TimeoutError, socket.timeout)):
        client.noop()
    assert server.sessions[0].commands[-1] == "NOOP"


def test_close_after_over_tls_ends_without_close_notify(tls_server, tls_client_context,
                                                        raw_client):
    server = tls_server()
    server.fault("NOOP", close_after=2)
    client = raw_client(server.address)
    client.start_tls(tls_client_context)
    client.login()
    client.send(b"NOOP\r\n")
    with pytest.raises(ssl.SSLEOFError):
        client.read_all()


def test_pipelined_commands_coalesced_over_tls(tls_server, tls_client_context, raw_client):
    server = tls_server(coalesce=True)
    client = raw_client(server.address)
    client.start_tls(tls_client_context)
    client.login()
    client.send(b"NOOP\r\nSTAT\r\nNOOP\r\n")
    assert client.line() == b"+OK\r\n"
    assert client.line() == b"+OK 1 %d\r\n" % len(MESSAGE)
    assert client.line() == b"+OK\r\n"
    assert server.sessions[0].writes[-1] == len(b"+OK\r\n+OK 1 %d\r\n+OK\r\n" % len(MESSAGE))


# -- configuration -------------------------------------------------------------------------------
def test_tls_options_are_checked(tls_server_context):
    with pytest.raises(ValueError):
        Pop3Server(tls=tls_server_context, starttls=tls_server_context)
    with pytest.raises(TypeError):
        Pop3Server(tls=object())


def test_client_kwargs_of_tls_servers(tls_server, stls_server, tls_client_context):
    pop3s = tls_server().client_kwargs()
    assert pop3s["tls"] is True and pop3s["context"] is tls_client_context
    assert "starttls" not in pop3s
    stls = stls_server().client_kwargs()
    assert stls["starttls"] is True and "tls" not in stls
    plain = Pop3Server(client_context=tls_client_context).client_kwargs()
    assert {"tls", "starttls", "context"}.isdisjoint(plain)


def test_command_records_across_sessions(stls_server, tls_client_context):
    server = stls_server()
    first = poplib.POP3("localhost", server.port, timeout=5)
    first.stls(tls_client_context)
    first.quit()
    second = poplib.POP3("localhost", server.port, timeout=5)
    second.quit()
    assert server.wait_idle(5)
    assert server.command_records == [
        CommandRecord("CAPA", False), CommandRecord("STLS", False),
        CommandRecord("QUIT", True), CommandRecord("QUIT", False),
    ]
