"""STLS in the C client over the scripted transport (its TLS is played by the
script): nothing is sent for TLS that cannot be had, plain text after the +OK
is an injection, a failed handshake closes the connection, and after TLS the
capabilities are forgotten."""
from __future__ import annotations

import pytest

import nxpop3.client  # noqa: F401  (registers the listing callbacks the C client calls)
from nxpop3 import ffi, lib
from nxpop3.transport import ScriptedTransport, one_byte_segments

STLS_CAPA = b"+OK\r\nSTLS\r\nUSER\r\n.\r\n"


def authorization(netx_stack, *exchanges, tls=lib.NX_TRANSPORT_OK):
    t = ScriptedTransport(tls=tls)
    for prefix, reply in exchanges:
        t.expect(prefix, reply)
    s = netx_stack(t)
    assert s.connect() == lib.NX_SUCCESS
    return s, t


def verify(s) -> tuple[int, int]:
    result = ffi.new("ULONG *")
    status = lib.nx_pop3_client_tls_verify_result_get(s.client, result)
    return status, int(result[0])


def finish(s, t) -> None:
    assert s.delete() in (lib.NX_SUCCESS, lib.NX_NOT_CONNECTED)
    assert not t.connected


def test_stls_then_login_over_tls(netx_stack) -> None:
    s, t = authorization(netx_stack, ("CAPA", STLS_CAPA), ("STLS", b"+OK Begin TLS\r\n"),
                         ("CAPA", b"+OK\r\nUSER\r\n.\r\n"), ("USER", b"+OK\r\n"),
                         ("PASS", b"+OK\r\n"))
    assert verify(s) == (0, lib.NX_TRANSPORT_TLS_OFF)
    assert lib.nx_pop3_client_capabilities_get(s.client, ffi.NULL, ffi.NULL) == 0
    assert lib.nx_pop3_client_stls(s.client) == lib.NX_SUCCESS
    assert t.tls_starts == 1
    assert verify(s) == (0, 0)
    assert s.client.nx_pop3_client_capabilities == 0  # forgotten: ask again (RFC 2595)
    assert lib.nx_pop3_client_capabilities_get(s.client, ffi.NULL, ffi.NULL) == 0
    assert not s.client.nx_pop3_client_capabilities & lib.NX_POP3_CAPABILITY_STLS
    assert s.login() == 0
    assert t.commands == ["CAPA", "STLS", "CAPA", "USER alice", "PASS secret"]
    finish(s, t)


def test_stls_without_capa_first_is_allowed(netx_stack) -> None:
    s, t = authorization(netx_stack, ("STLS", one_byte_segments(b"+OK go\r\n")))
    assert lib.nx_pop3_client_stls(s.client) == lib.NX_SUCCESS
    finish(s, t)


def test_no_stls_in_capa_sends_nothing(netx_stack) -> None:
    s, t = authorization(netx_stack, ("CAPA", b"+OK\r\nUSER\r\n.\r\n"))
    assert lib.nx_pop3_client_capabilities_get(s.client, ffi.NULL, ffi.NULL) == 0
    assert lib.nx_pop3_client_stls(s.client) == lib.NX_NOT_SUPPORTED
    assert t.commands == ["CAPA"] and t.tls_starts == 0
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_AUTHORIZATION
    finish(s, t)


def test_a_transport_without_tls_sends_nothing(netx_stack) -> None:
    s, t = authorization(netx_stack, tls=None)
    assert lib.nx_pop3_client_stls(s.client) == lib.NX_NOT_SUPPORTED
    assert verify(s)[0] == lib.NX_NOT_SUPPORTED
    assert bytes(t.sent) == b""
    finish(s, t)


def test_err_to_stls_stays_plain_and_usable(netx_stack) -> None:
    s, t = authorization(netx_stack, ("STLS", b"-ERR not now\r\n"), ("QUIT", b"+OK\r\n"))
    assert lib.nx_pop3_client_stls(s.client) == lib.NX_POP3_SERVER_ERROR_STATUS
    assert t.tls_starts == 0 and verify(s) == (0, lib.NX_TRANSPORT_TLS_OFF)
    assert lib.nx_pop3_client_quit(s.client) == 0
    finish(s, t)


@pytest.mark.parametrize("reply", [
    [b"+OK Begin TLS\r\n-ERR injected\r\n"],          # in the +OK's segment
    [b"+OK Begin TLS\r\n", b"USER evil\r\n"],          # a segment of its own, before TLS
])
def test_plaintext_after_the_ok_is_an_injection(netx_stack, reply) -> None:
    s, t = authorization(netx_stack, ("STLS", reply))
    assert lib.nx_pop3_client_stls(s.client) == lib.NX_POP3_UNEXPECTED_DATA
    assert t.tls_starts == 0  # no handshake over the injected bytes
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
    finish(s, t)


@pytest.mark.parametrize("result,status", [
    (lib.NX_TRANSPORT_ERROR, lib.NX_POP3_TLS_FAILED),
    (lib.NX_TRANSPORT_TIMEOUT, lib.NX_POP3_TLS_FAILED),
    (lib.NX_TRANSPORT_CLOSED, lib.NX_POP3_TLS_FAILED),
    (lib.NX_TRANSPORT_TLS_FAILED, lib.NX_POP3_TLS_FAILED),
])
def test_a_failed_handshake_closes_the_connection(netx_stack, result: int, status: int) -> None:
    s, t = authorization(netx_stack, ("STLS", b"+OK\r\n"), tls=result)
    assert lib.nx_pop3_client_stls(s.client) == status
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
    assert s.login() == lib.NX_NOT_CONNECTED  # no credential after a failed TLS
    assert t.commands == ["STLS"]
    finish(s, t)


def test_stls_only_before_login(netx_stack) -> None:
    s, t = authorization(netx_stack, ("USER", b"+OK\r\n"), ("PASS", b"+OK\r\n"))
    assert s.login() == 0
    assert lib.nx_pop3_client_stls(s.client) == lib.NX_POP3_CLIENT_INVALID_STATE
    assert t.commands == ["USER alice", "PASS secret"]
    finish(s, t)
