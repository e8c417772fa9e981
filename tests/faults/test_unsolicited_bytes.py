"""Unsolicited bytes over real sockets: a stray status line after a reply, or
bytes after a body's end, fail the next command before it is sent, whether they
came in the reply's segment or in one of their own a moment later. The result
never depends on how the bytes were split."""
from __future__ import annotations

import time

import pytest

from nxpop3 import Client, InvalidState, PacketPool, ProtocolError, codes
from nxpop3.testing.server import Pop3Server

MESSAGE = b"Subject: stray\r\n\r\nbody\r\n"
STAT = b"+OK 1 %d\r\n" % len(MESSAGE)
STRAY = b"+OK I was not asked\r\n"
PAUSE = 0.05


@pytest.fixture
def server():
    with Pop3Server([MESSAGE]) as s:
        yield s


def login(server: Pop3Server) -> Client:
    return Client(server.host, server.port, "alice", "secret", timeout=2,
                  pool=PacketPool(payload_size=512, count=8))


def settle() -> None:
    """Long enough for a segment sent PAUSE later to arrive on loopback."""
    time.sleep(PAUSE * 6)


@pytest.mark.parametrize("split", [None, len(STAT)], ids=["same-segment", "next-segment"])
def test_a_stray_line_after_a_reply_fails_the_next_command(server, split) -> None:
    server.fault("STAT", raw=STAT + STRAY, split=split, pause=PAUSE)
    with login(server) as client:
        assert client.stat() == (1, len(MESSAGE))
        settle()
        with pytest.raises(ProtocolError) as caught:
            client.noop()
        assert caught.value.status == codes.NX_POP3_UNEXPECTED_DATA
        with pytest.raises(InvalidState):
            client.noop()  # the connection is gone; it says so
    assert "NOOP" not in server.commands


@pytest.mark.parametrize("split", [None, 1], ids=["same-segment", "byte-by-byte"])
def test_bytes_after_a_body_fail_the_next_command_and_the_body_is_whole(server, split) -> None:
    body = b"+OK\r\n" + MESSAGE + b".\r\n"
    server.fault("RETR", raw=body + STRAY, split=split, pause=0.0 if split else PAUSE)
    with login(server) as client:
        assert client.retr(1) == MESSAGE
        settle()
        with pytest.raises(ProtocolError) as caught:
            client.delete(1)
        assert caught.value.status == codes.NX_POP3_UNEXPECTED_DATA
    assert "DELE 1" not in server.commands


def test_a_stray_line_before_quit_is_reported_not_taken_for_its_answer(server) -> None:
    # Otherwise a stray "+OK" would read as "deletions applied" when they were not.
    server.fault("DELE", raw=b"+OK marked\r\n" + STRAY)
    client = login(server)
    client.delete(1)
    with pytest.raises(ProtocolError):
        client.quit()
    assert "QUIT" not in server.commands
