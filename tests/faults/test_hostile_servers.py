"""Hostile servers over real sockets: the client never crashes, never hangs
past its timeouts, never leaks a packet and never reports success it did not earn."""
from __future__ import annotations

import hashlib

import pytest

from nxpop3 import (
    Client,
    ConnectionClosed,
    InvalidState,
    PacketPool,
    Pop3Timeout,
    ProtocolError,
    ServerError,
    lib,
)
from nxpop3.testing.server import Pop3Server

MESSAGE = b"Subject: hostile\r\n\r\nbody\r\n"


@pytest.fixture
def server():
    with Pop3Server([MESSAGE]) as s:
        yield s


def login(server: Pop3Server, **kwargs) -> Client:
    kwargs.setdefault("pool", PacketPool(payload_size=512, count=8))
    return Client(server.host, server.port, "alice", "secret", timeout=kwargs.pop("timeout", 2),
                  **kwargs)


@pytest.mark.parametrize("line,status", [
    (b"+OK " + b"1" * 507, lib.NX_POP3_REPLY_TOO_LONG),          # 513 octets with CRLF
    (b"+OK " + b"2" * 65536, lib.NX_POP3_REPLY_TOO_LONG),        # 64 KB
    (b"+OKAY 1 2", lib.NX_POP3_INVALID_REPLY),
    (b"+ERR 1 2", lib.NX_POP3_INVALID_REPLY),
    (b"+ok 1 2", lib.NX_POP3_INVALID_REPLY),
    (b"+OK 1\x00 2", lib.NX_POP3_INVALID_REPLY),
    (b"\x00\x00\x00", lib.NX_POP3_INVALID_REPLY),
    (b"+OK 4294967296 10", lib.NX_POP3_NUMBER_OVERFLOW),           # 2^32 messages
    (b"+OK 1 18446744073709551616", lib.NX_POP3_NUMBER_OVERFLOW),  # 2^64 octets
    (b"+OK -1 10", lib.NX_POP3_NEGATIVE_NUMBER),
    (b"+OK 1 -10", lib.NX_POP3_NEGATIVE_NUMBER),
])
def test_garbage_status_lines(server, line: bytes, status: int) -> None:
    server.fault("STAT", status_line=line)
    client = login(server)
    with pytest.raises(ProtocolError) as caught:
        client.stat()
    assert caught.value.status == status
    with pytest.raises(InvalidState):
        client.noop()
    client.close()


def test_sizes_of_2_to_the_32_are_exact_through_python(server) -> None:
    server.fault("STAT", status_line=b"+OK 1 4294967296")
    with login(server) as client:
        assert client.stat() == (1, 2**32)


def test_endless_status_line(server) -> None:
    server.fault("NOOP", raw=b"+OK " + b"z" * 1_000_000)
    client = login(server)
    with pytest.raises(ProtocolError) as caught:
        client.noop()
    assert caught.value.status == lib.NX_POP3_REPLY_TOO_LONG
    client.close()


def test_greeting_of_200000_angle_brackets_fails_at_the_line_limit() -> None:
    with Pop3Server([MESSAGE]) as s:
        s.fault("GREETING", raw=b"+OK " + b"<" * 200_000 + b"\r\n")
        with pytest.raises(ProtocolError) as caught:
            Client(s.host, s.port, "alice", "secret", apop=True, timeout=5)
        assert caught.value.status == lib.NX_POP3_REPLY_TOO_LONG


def test_apop_timestamp_as_long_as_the_line_allows() -> None:
    # 464 octets: far beyond any fixed timestamp buffer; the client hashes it as it arrives.
    stamp = "<" + "7" * 240 + "." + "9" * 180 + "@" + "h" * 40 + ">"
    with Pop3Server([MESSAGE], apop=True, timestamp=stamp) as s:
        with Client(s.host, s.port, "alice", "secret", apop=True) as client:
            assert client.apop_used
            assert client.retr(1) == MESSAGE
        digest = hashlib.md5((stamp + "secret").encode()).hexdigest()
        assert s.commands[0] == f"APOP alice {digest}"


def test_trickling_server_is_given_up_in_bounded_time(server) -> None:
    # One byte per 0.3 s against a 1 s timeout: every byte would beat a
    # per-receive timeout; the whole status line gets 1 s.
    server.fault("NOOP", split=1, pause=0.3)
    client = login(server, timeout=1)
    with pytest.raises(Pop3Timeout):
        client.noop()
    client.close()


def test_silent_server_after_login(server) -> None:
    server.fault("STAT", silent=True)
    client = login(server, timeout=0.5)
    with pytest.raises(Pop3Timeout):
        client.stat()
    client.close()


def test_err_with_response_codes(server) -> None:
    server.fault("RETR", err="[SYS/PERM] gone for good")
    with login(server) as client:
        with pytest.raises(ServerError) as caught:
            client.retr(1)
        assert caught.value.response_code == "SYS/PERM"
        client.noop()


def test_reset_mid_message(server) -> None:
    big = b"Subject: big\r\n\r\n" + b"y" * 100_000 + b"\r\n"
    server.add_message(big)
    server.fault("RETR", close_after=5000, reset=True)
    client = login(server)
    with pytest.raises(ConnectionClosed):
        client.retr(2)
    client.close()


def test_an_advertised_size_is_not_trusted_for_memory(server) -> None:
    import tracemalloc

    server.fault("RETR", status_line=b"+OK 999999999999 octets")
    with login(server) as client:
        tracemalloc.start()
        try:
            assert client.retr(1) == MESSAGE
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 40 << 20  # chunks as bytes arrive, nothing set aside for 1 TB
