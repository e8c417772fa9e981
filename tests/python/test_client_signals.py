"""A signal never breaks a timeout, through nxpop3.Client.

An interval timer (SIGALRM every 2 ms, a Python handler) runs through whole
sessions and through timeouts. CPython's C-level handler has no SA_RESTART, so
a tick that lands while the C client waits in poll() interrupts it with EINTR
(the Python handler itself runs when C returns). The test server's threads block
SIGALRM, so the ticks reach the thread that runs the client. Time bounds are
generous (3x + 1 s): a correctness check, not a benchmark.

Over the scripted transport the clock is virtual: the handler runs inside the
transport's Python callbacks, and the session and its timeouts must not change.
"""
from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from nxpop3 import Client, ConnectionClosed, InvalidState, Pop3Timeout
from nxpop3.testing.server import Pop3Server
from nxpop3.transport import Delay, ScriptedTransport

MESSAGES = [b"Subject: big\r\n\r\n" + b"0123456789abcdef" * 20_000 + b"\r\n",
            b"Subject: two\r\n\r\nhi\r\n"]




@contextmanager
def server_without_the_timer(*args: object, **kwargs: object) -> Iterator[Pop3Server]:
    """A test server whose threads (made with SIGALRM blocked) never take a tick."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        server = Pop3Server(*args, **kwargs).start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    with server:
        yield server


def test_a_whole_session_under_the_timer(interval_timer) -> None:
    with server_without_the_timer(MESSAGES) as server:
        server.fault("GREETING", delay=0.3)  # 150 ticks while the greeting is awaited
        server.fault("RETR 1", split=[20_000] * 10, pause=0.01)
        with interval_timer() as seen:
            with Client(server.host, server.port, "alice", "secret", timeout=2) as c:
                assert c.stat() == (2, sum(map(len, MESSAGES)))
                assert c.retr(1) == MESSAGES[0]
                assert b"".join(c.retrieve(2)) == MESSAGES[1]
                c.delete(2)
        assert server.commands[-1] == "QUIT"
        assert server.messages == MESSAGES[:1]
    assert seen[0] >= 1  # ticks during one C call reach Python as one call


def test_a_silent_server_times_out_on_time_under_the_timer(interval_timer) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # connects complete in the kernel; no greeting ever comes
    try:
        with interval_timer():
            start = time.monotonic()
            with pytest.raises(Pop3Timeout) as caught:
                Client("127.0.0.1", silent.getsockname()[1], "alice", "secret", timeout=0.5)
            elapsed = time.monotonic() - start
    finally:
        silent.close()
    assert not isinstance(caught.value, ConnectionClosed)
    assert 0.45 <= elapsed < 3 * 0.5 + 1


def test_a_stalled_body_times_out_on_time_under_the_timer(interval_timer) -> None:
    with server_without_the_timer(MESSAGES) as server:
        server.fault("RETR 1", split=5000, pause=5.0)
        c = Client(server.host, server.port, "alice", "secret", timeout=0.5)
        with interval_timer():
            start = time.monotonic()
            with pytest.raises(Pop3Timeout) as caught:
                c.retr(1)
            elapsed = time.monotonic() - start
        assert 0.45 <= elapsed < 3 * 0.5 + 1
        assert MESSAGES[0].startswith(caught.value.partial) and caught.value.partial
        with pytest.raises(InvalidState):
            c.stat()
        c.close()


def scripted() -> ScriptedTransport:
    t = ScriptedTransport([Delay(50), b"+OK ready\r\n"])
    t.expect("USER", b"+OK\r\n").expect("PASS", [Delay(20), b"+OK\r\n"])
    return t


def test_a_scripted_session_under_the_timer_keeps_its_virtual_time(interval_timer) -> None:
    t = scripted()
    t.expect("RETR 1", [b"+OK\r\n", b"Subject: x\r\n\r\n", Delay(30), b"body\r\n.\r\n"])
    t.expect("QUIT", b"+OK\r\n")
    with interval_timer(0.0005):
        with Client("127.0.0.1", user="alice", password="secret", mechanism="USER", transport=t,
                    timeout=1) as c:
            assert c.retr(1) == b"Subject: x\r\n\r\nbody\r\n"
    assert t.now == 50 + 20 + 30  # exactly the delays: no wait longer, none cut short
    assert not t.errors


def test_a_scripted_timeout_under_the_timer_is_exactly_the_wait(interval_timer) -> None:
    t = scripted()
    t.expect("STAT", [Delay(500), b"+OK 0 0\r\n"])
    with interval_timer(0.0005):
        c = Client("127.0.0.1", user="alice", password="secret", mechanism="USER", transport=t,
                   timeout=1)
        before = t.now
        with pytest.raises(Pop3Timeout):
            c.stat()
    assert t.now - before == 100  # the reply wait, 1 s in ticks
    c.close()
