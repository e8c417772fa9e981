"""The C client as Cortex-M3 firmware (QEMU mps2-an385, LAN9118, lwIP) against host
servers: every message's size and CRC-32 as the board computed them must match the
host's ``zlib.crc32`` of what the server stores. The extensions the firmware uses
(CAPA, UIDL, pipelining) have their own tests in ``test_board_extensions.py``."""
from __future__ import annotations

import random
import zlib

import pytest

from nxpop3 import codes
from nxpop3.board import QemuResult
from nxpop3.codes import NX_NO_PACKET, NX_NOT_CONNECTED, NX_POP3_SERVER_ERROR_STATUS
from nxpop3.testing import Pop3Server, apop_digest


def _text_block(size: int, seed: int) -> bytes:
    """CRLF text of about ``size`` bytes, some lines starting with dots (stuffed on the wire)."""
    rng = random.Random(seed)
    words = [b"alpha", b"beta", b"gamma", b".dot", b"..two", b"x" * 60, b"\xc3\xa9t\xc3\xa9"]
    lines = []
    total = 0
    while total < size:
        line = b" ".join(rng.choice(words) for _ in range(rng.randint(0, 14)))
        if rng.random() < 0.05:
            line = b"." + line
        lines.append(line)
        total += len(line) + 2
    return b"\r\n".join(lines) + b"\r\n"


def varied_messages() -> list[bytes]:
    """Small, dotted, header-only, 8-bit, one very long line, and 1 MB; all CRLF-ended."""
    eight_bit = bytes(b for b in range(1, 256) if b not in (10, 13))
    return [
        b"Subject: hello\r\n\r\nHello, board.\r\n",
        b"Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\n...\r\nend .\r\n",
        b"Subject: header only\r\n\r\n",
        b"Subject: 8-bit\r\n\r\n" + eight_bit * 8 + b"\r\n",
        b"Subject: long line\r\n\r\n" + b"L" * 100_000 + b"\r\n",
        b"Subject: large\r\n\r\n" + _text_block(1_000_000, seed=5),
    ]


def assert_fetched(result: QemuResult, expected: list[bytes]) -> None:
    assert result.exit_code == 0, result.describe()
    assert result.stat == (len(expected), sum(len(m) for m in expected)), result.describe()
    got = result.messages
    want = [(i + 1, len(m), zlib.crc32(m)) for i, m in enumerate(expected)]
    assert got == want, result.describe()
    assert "POOL 16/16 free" in result.uart, result.describe()


def test_fetches_varied_mailbox_from_scripted_server(run_board):
    with Pop3Server(varied_messages()) as server:
        stored = [m.data for m in server.mailbox().entries]
        result = run_board(server.host, server.port, server.user, server.password)
        assert_fetched(result, stored)
        assert result.login == "user"
        assert server.commands[:4] == ["USER alice", "PASS secret", "CAPA", "STAT"]
        assert result.uids == [(i + 1, m.uid) for i, m in enumerate(server.mailbox().entries)]
        assert server.commands[-1] == "QUIT"
        # The guest's close travelled through the relay: the session ended at once.
        assert server.wait_idle(5.0)
        assert server.messages == stored  # nothing deleted


def test_fetches_varied_mailbox_from_dovecot(run_board, dovecot):
    from nxpop3.testing.dovecot import as_retrieved

    messages = [m for m in varied_messages() if not m.startswith(b".")]
    dovecot.add_messages(messages)
    expected = [as_retrieved(m) for m in dovecot.messages()]
    result = run_board(dovecot.host, dovecot.port, dovecot.user, dovecot.password)
    assert_fetched(result, expected)


def test_apop_login(run_board):
    with Pop3Server([b"Subject: apop\r\n\r\nsecret mail\r\n"], apop=True) as server:
        result = run_board(server.host, server.port, server.user, server.password, apop=True)
        assert_fetched(result, [m.data for m in server.mailbox().entries])
        assert result.login == "apop"
        timestamp = server.sessions[0].timestamp
        assert timestamp
        assert server.commands[0] == f"APOP alice {apop_digest(timestamp, server.password)}"


def test_apop_login_with_dovecot(run_board, dovecot):
    from nxpop3.testing.dovecot import as_retrieved

    dovecot.add_message(b"Subject: apop\r\n\r\nfrom dovecot\r\n")
    result = run_board(dovecot.host, dovecot.port, dovecot.user,
                       dovecot.password, apop=True)
    assert_fetched(result, [as_retrieved(m) for m in dovecot.messages()])
    assert result.login == "apop"


def test_replies_split_byte_by_byte(run_board):
    messages = [b"Subject: split\r\n\r\n.dotted\r\nline two\r\n",
                b"Subject: second\r\n\r\n" + b"0123456789" * 20 + b"\r\n"]
    with Pop3Server(messages) as server:
        fault = server.fault("*", split=1, pause=0.002)
        result = run_board(server.host, server.port, server.user, server.password)
        assert_fetched(result, [m.data for m in server.mailbox().entries])
        assert fault.hits >= 6  # greeting, USER, PASS, STAT, RETR x2 (and QUIT)


def test_delete_after_fetch(run_board):
    with Pop3Server([b"Subject: a\r\n\r\none\r\n", b"Subject: b\r\n\r\ntwo\r\n"]) as server:
        stored = [m.data for m in server.mailbox().entries]
        result = run_board(server.host, server.port, server.user, server.password, delete=True)
        assert_fetched(result, stored)
        assert "DELE 1" in server.commands and "DELE 2" in server.commands
        assert server.wait_idle(5.0)
        assert server.messages == []


def test_wrong_password_exits_with_server_error(run_board):
    with Pop3Server([b"Subject: x\r\n\r\ny\r\n"]) as server:
        result = run_board(server.host, server.port, server.user, "wrong")
        assert result.exit_code == NX_POP3_SERVER_ERROR_STATUS, result.describe()
        assert result.error == ("login", NX_POP3_SERVER_ERROR_STATUS)
        assert "RETR 1" not in server.commands
        assert server.wait_idle(5.0)  # the failed create closed its connection


def test_wrong_password_with_dovecot(run_board, dovecot):
    result = run_board(dovecot.host, dovecot.port, dovecot.user, "wrong-password")
    assert result.exit_code == NX_POP3_SERVER_ERROR_STATUS, result.describe()


def test_server_closing_mid_message_exits_not_connected(run_board):
    with Pop3Server([b"Subject: cut\r\n\r\n" + _text_block(200_000, seed=9)]) as server:
        server.fault("RETR", close_after=50_000)
        result = run_board(server.host, server.port, server.user, server.password)
        assert result.exit_code == NX_NOT_CONNECTED, result.describe()
        assert result.error == ("body", NX_NOT_CONNECTED)
        assert result.messages == []


@pytest.mark.parametrize("count", [0])
def test_empty_mailbox(run_board, count):
    with Pop3Server([]) as server:
        result = run_board(server.host, server.port, server.user, server.password)
        assert result.exit_code == 0, result.describe()
        assert result.stat == (count, 0)
        assert result.messages == []
        # An empty batch still reports its mode.
        assert result.fetch_mode == ("pipelined", codes.NX_POP3_PIPELINE_WINDOW)
        assert result.peak_in_flight == 0
        assert "UIDL" not in server.commands


def test_no_server_listening_exits_not_connected(run_board):
    # The relay cannot reach the host port and closes the guest's connection at once.
    with Pop3Server() as server:
        host, port = server.address
    result = run_board(host, port, "alice", "secret")
    assert result.exit_code == NX_NOT_CONNECTED, result.describe()
    assert result.error == ("login", NX_NOT_CONNECTED)


def test_silent_server_times_out_on_the_board_clock(run_board):
    # The reply wait runs on SysTick ticks: wait=1 is one second of the board's time.
    with Pop3Server([b"Subject: x\r\n\r\ny\r\n"]) as server:
        server.fault("STAT", silent=True)
        result = run_board(server.host, server.port, server.user, server.password, wait=1)
        assert result.exit_code == NX_NO_PACKET, result.describe()
        assert result.error == ("stat", NX_NO_PACKET)
        assert 0.9 <= result.duration < 20.0
