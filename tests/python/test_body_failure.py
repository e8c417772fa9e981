"""No silent loss when a body stalls: the rule of docs/python.md, "a failure in
the middle of a body ends the session loudly".

- the connection is closed (no half-read body can be resumed by accident);
- the exception carries the bytes received and not yet handed out (``.partial``);
- every later command, and the stream's next(), raises InvalidState;
- leaving a ``with`` block normally while deletions were made raises
  InvalidState saying they were NOT applied; with an exception on its way, the
  exception gets a note saying so.

Over the scripted transport (virtual clock: a timeout costs no real time) and
over real sockets (the test server stalls in the middle of the body).
"""
from __future__ import annotations

import sys

import pytest

from nxpop3 import Client, ConnectionClosed, InvalidState, Pop3Error, Pop3Timeout
from nxpop3.testing.server import Pop3Server
from nxpop3.transport import CLOSE, SILENCE, ScriptedTransport

HEAD = b"Subject: stalls\r\n\r\nfirst part, "
BODY = HEAD + b"second part\r\n"
OTHER = b"Subject: other\r\n\r\nfine\r\n"


def scripted(*exchanges: tuple[str, object]) -> ScriptedTransport:
    t = ScriptedTransport(b"+OK ready\r\n")
    t.expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    for prefix, reply in exchanges:
        t.expect(prefix, reply)
    return t


def client(t: ScriptedTransport) -> Client:
    return Client("127.0.0.1", user="alice", password="secret", mechanism="USER", transport=t,
                  timeout=1)


STALL = ("RETR", [b"+OK\r\n", HEAD, SILENCE])


def assert_ended(c: Client, t: ScriptedTransport) -> None:
    for call in (c.stat, c.noop, c.reset, lambda: c.retr(1), lambda: c.delete(1), c.quit):
        with pytest.raises(InvalidState, match="earlier error"):
            call()
    assert not t.connected
    assert "QUIT" not in t.commands
    assert c.pool.available == c.pool.total


def test_retr_timeout_mid_body_ends_the_session_and_keeps_the_bytes() -> None:
    t = scripted(STALL)
    c = client(t)
    with pytest.raises(Pop3Timeout) as caught:
        c.retr(1)
    assert caught.value.partial == HEAD
    assert "RETR" in str(caught.value) and "closed" in str(caught.value)
    assert_ended(c, t)
    c.close()


def test_retrieve_timeout_mid_body_hands_out_every_byte_once() -> None:
    t = scripted(STALL)
    c = client(t)
    stream = c.retrieve(1, chunk_size=5)
    got = bytearray()
    with pytest.raises(Pop3Timeout) as caught:
        for chunk in stream:
            got += chunk
    assert bytes(got) + caught.value.partial == HEAD  # nothing lost, nothing twice
    # Never a silent end and never a resumed body: the stream refuses to go on.
    with pytest.raises(InvalidState):
        next(stream)
    stream.close()  # nothing left to drain: quiet
    assert_ended(c, t)


def test_the_server_closing_mid_body_is_the_same_rule() -> None:
    t = scripted(("RETR", [b"+OK\r\n", HEAD, CLOSE]))
    c = client(t)
    with pytest.raises(ConnectionClosed) as caught:
        c.retr(1)
    assert caught.value.partial == HEAD
    assert_ended(c, t)


def test_leaving_with_after_the_failure_says_the_deletions_were_not_applied() -> None:
    t = scripted(("DELE 3", b"+OK\r\n"), ("DELE 2", b"+OK\r\n"), STALL)
    with pytest.raises(InvalidState, match=r"messages 2, 3 were NOT applied") as caught:
        with client(t) as c:
            c.delete(3)
            c.delete(2)
            with pytest.raises(Pop3Timeout):
                c.retr(1)
    assert isinstance(caught.value.__cause__, Pop3Timeout)
    assert "NX_NO_PACKET" in str(caught.value)
    assert "QUIT" not in t.commands


def test_leaving_with_after_the_failure_without_deletions_is_quiet() -> None:
    t = scripted(STALL)
    with client(t) as c:
        with pytest.raises(Pop3Timeout):
            c.retr(1)
    assert "QUIT" not in t.commands and not t.connected


def test_rset_forgets_the_deletions() -> None:
    t = scripted(("DELE 2", b"+OK\r\n"), ("RSET", b"+OK\r\n"), STALL)
    with client(t) as c:
        c.delete(2)
        c.reset()
        with pytest.raises(Pop3Timeout):
            c.retr(1)


def test_close_drops_the_deletions_on_purpose() -> None:
    t = scripted(("DELE 2", b"+OK\r\n"))
    with client(t) as c:
        c.delete(2)
        c.close()  # documented: no QUIT, deletions not applied
    assert "QUIT" not in t.commands


def test_the_failure_on_its_way_out_of_with_is_annotated() -> None:
    t = scripted(("DELE 2", b"+OK\r\n"), STALL)
    if sys.version_info >= (3, 11):
        with pytest.raises(Pop3Timeout) as caught:
            with client(t) as c:
                c.delete(2)
                c.retr(1)
        assert any("deletions of messages 2 were NOT applied" in note
                   for note in caught.value.__notes__)
    else:
        with pytest.warns(RuntimeWarning, match="NOT applied"), pytest.raises(Pop3Timeout):
            with client(t) as c:
                c.delete(2)
                c.retr(1)


def test_an_unrelated_exception_leaving_with_also_says_so() -> None:
    t = scripted(("DELE 1", b"+OK\r\n"))
    with pytest.raises(KeyError) as caught:
        with client(t) as c:
            c.delete(1)
            raise KeyError("application bug")
    if sys.version_info >= (3, 11):
        assert any("NOT applied" in note for note in caught.value.__notes__)
    assert "QUIT" not in t.commands


def test_a_stream_left_open_is_drained_and_the_deletions_applied() -> None:
    t = scripted(("DELE 2", b"+OK\r\n"), ("RETR 1", [b"+OK\r\n", HEAD, b"second part\r\n.\r\n"]),
                 ("QUIT", b"+OK bye\r\n"))
    with client(t) as c:
        c.delete(2)
        stream = c.retrieve(1, chunk_size=4)
        next(stream)  # the caller breaks out of its loop early
    assert t.commands[-1] == "QUIT" and not t.errors


def test_a_finished_stream_is_not_an_error() -> None:
    t = scripted(("RETR 1", [b"+OK\r\n", BODY, b".\r\n"]), ("NOOP", b"+OK\r\n"))
    c = client(t)
    stream = c.retrieve(1)
    assert b"".join(stream) == BODY
    with pytest.raises(StopIteration):
        next(stream)
    c.noop()
    c.close()
    with pytest.raises(InvalidState, match="closed"):
        c.noop()


def test_a_stream_after_close_refuses_instead_of_reading() -> None:
    t = scripted(("RETR 1", [b"+OK\r\n", HEAD, SILENCE]))
    c = client(t)
    stream = c.retrieve(1, chunk_size=4)
    next(stream)
    c.close()
    with pytest.raises(InvalidState, match="closed"):
        next(stream)
    stream.close()  # quiet: there is nothing left to read


# Over real sockets: the test server stops in the middle of the body.
MESSAGES = [b"Subject: stalls\r\n\r\n" + b"0123456789" * 2_000 + b"\r\n", OTHER]


@pytest.fixture
def stalling() -> Pop3Server:
    with Pop3Server(MESSAGES) as server:
        # The reply's first 3000 bytes, then nothing for longer than the timeout.
        server.fault("RETR 1", split=3000, pause=5.0)
        yield server


def connect(server: Pop3Server) -> Client:
    return Client(server.host, server.port, "alice", "secret", timeout=0.5)


def test_retr_stall_over_sockets(stalling: Pop3Server) -> None:
    c = connect(stalling)
    with pytest.raises(Pop3Timeout) as caught:
        c.retr(1)
    partial = caught.value.partial
    assert 0 < len(partial) < 3000 and MESSAGES[0].startswith(partial)
    with pytest.raises(InvalidState):
        c.retr(2)
    c.close()


def test_retrieve_stall_over_sockets_then_leaving_with(stalling: Pop3Server) -> None:
    got = bytearray()
    with pytest.raises(InvalidState, match="messages 2 were NOT applied"):
        with connect(stalling) as c:
            c.delete(2)
            with pytest.raises(Pop3Timeout) as caught:
                for chunk in c.retrieve(1, chunk_size=1000):
                    got += chunk
            got += caught.value.partial
    assert 0 < len(got) < 3000 and MESSAGES[0].startswith(bytes(got))
    assert "QUIT" not in stalling.commands
    assert stalling.messages == MESSAGES  # nothing was deleted


def test_partial_is_empty_on_errors_outside_a_body() -> None:
    assert Pop3Error(1).partial == b""
