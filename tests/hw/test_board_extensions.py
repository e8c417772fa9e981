"""The POP3 extensions on the board: after login the firmware asks CAPA, reports each
message's UIDL unique-id beside its CRC-32, and fetches in pipelined batches of RETR
when the server lists PIPELINING, one RETR at a time when it does not. Against the
scriptable test server (whose CAPA is set per server) and against Dovecot."""
from __future__ import annotations

import poplib
import zlib

import pytest

from nxpop3.board import QemuResult
from nxpop3.codes import (
    NX_POP3_INVALID_REPLY,
    NX_POP3_PIPELINE_WINDOW,
    NX_POP3_SERVER_ERROR_STATUS,
)
from nxpop3.testing import Pop3Server
from nxpop3.testing.session import DEFAULT_CAPABILITIES, capability_name

# The firmware's batch (APP_BATCH in hw/app/main.c): one UIDL listing per batch.
BATCH = 32
# The client's default NX_POP3_PIPELINE_WINDOW, and the most RETRs a batch of
# the firmware can have unanswered at once.
WINDOW = NX_POP3_PIPELINE_WINDOW
PEAK = min(WINDOW, BATCH)


def numbered_messages(count: int) -> list[bytes]:
    """Small messages of different sizes, some with lines that are dot-stuffed on the wire."""
    return [f"Subject: message {n}\r\n\r\n".encode() + b".dot\r\n" * (n % 3)
            + b"body line\r\n" * n for n in range(1, count + 1)]


def assert_report(result: QemuResult, messages: list[bytes], uids: list[str]) -> None:
    """Exit 0, and per message: its size and CRC-32 (the host's zlib) and its unique-id."""
    assert result.exit_code == 0, result.describe()
    assert result.messages == [(i + 1, len(m), zlib.crc32(m)) for i, m in enumerate(messages)], \
        result.describe()
    assert result.uids == [(i + 1, uid) for i, uid in enumerate(uids)], result.describe()
    assert result.peak_in_flight is not None, result.describe()
    assert "POOL 16/16 free" in result.uart, result.describe()


def server_view(server: Pop3Server) -> tuple[list[bytes], list[str]]:
    """What the server stores: each message's bytes and its unique-id."""
    entries = server.mailbox().entries
    return [m.data for m in entries], [m.uid for m in entries]


def test_pipelined_batches_when_pipelining_is_listed(run_board):
    count = BATCH + 8  # more than one batch
    with Pop3Server(numbered_messages(count), coalesce=True) as server:
        # RETRs 2..32 reach the server while it holds back the reply to RETR 1; with
        # coalesce their replies then leave in one send.
        server.fault("RETR", delay=0.5, once=True)
        messages, uids = server_view(server)
        result = run_board(server.host, server.port, server.user, server.password)
        assert_report(result, messages, uids)
        assert result.capabilities == [capability_name(line) for line in DEFAULT_CAPABILITIES]
        assert result.fetch_mode == ("pipelined", WINDOW)
        assert result.peak_in_flight == PEAK
        session = server.sessions[0]
        assert session.commands[:5] == ["USER alice", "PASS secret", "CAPA", "STAT", "UIDL"]
        assert [c for c in session.commands if c.startswith("RETR")] == \
            [f"RETR {n}" for n in range(1, count + 1)]
        assert session.commands.count("UIDL") == 2  # one listing per batch
        # Server side: some replies went out together, so their commands came together.
        assert len(session.writes) < 1 + len(session.commands), session.writes


@pytest.mark.parametrize(
    ("options", "listed"),
    [({"capabilities": ["TOP", "UIDL", "USER"]}, ["TOP", "UIDL", "USER"]),
     ({"capa": False}, [])],  # an RFC 1939 server: CAPA is -ERR
    ids=["capa-without-pipelining", "no-capa"])
def test_one_at_a_time_without_pipelining(run_board, options, listed):
    with Pop3Server(numbered_messages(12), coalesce=True, **options) as server:
        server.fault("RETR", delay=0.5, once=True)  # time enough to send ahead, if it did
        messages, uids = server_view(server)
        result = run_board(server.host, server.port, server.user, server.password)
        assert_report(result, messages, uids)
        assert result.capabilities == listed
        assert result.fetch_mode == ("single", 1)
        assert result.peak_in_flight == 1
        session = server.sessions[0]
        # Server side: no command arrived before the previous reply was sent, so every
        # reply (and the greeting) went out alone even though the server coalesces.
        assert len(session.writes) == 1 + len(session.commands), session.writes


def test_pipelined_with_deletes(run_board):
    with Pop3Server(numbered_messages(10)) as server:
        messages, uids = server_view(server)
        result = run_board(server.host, server.port, server.user, server.password, delete=True)
        assert_report(result, messages, uids)
        assert result.fetch_mode == ("pipelined", WINDOW)
        commands = server.commands
        last_retr = commands.index("RETR 10")
        # The DELEs follow the batch (no other command may interleave with it).
        assert commands[last_retr + 1:-1] == [f"DELE {n}" for n in range(1, 11)]
        assert server.wait_idle(5.0)
        assert server.messages == []


def test_server_without_uidl_reports_no_ids(run_board):
    with Pop3Server(numbered_messages(BATCH + 2)) as server:
        server.fault("UIDL", err="unknown command")
        messages, _ = server_view(server)
        result = run_board(server.host, server.port, server.user, server.password)
        assert_report(result, messages, [])
        assert server.commands.count("UIDL") == 1  # not asked again for the next batch


def test_garbled_uidl_line_is_a_protocol_violation(run_board):
    with Pop3Server(numbered_messages(3)) as server:
        server.fault("UIDL", lines={2: b"2 not one word"})
        result = run_board(server.host, server.port, server.user, server.password)
        assert result.exit_code == NX_POP3_INVALID_REPLY, result.describe()
        assert result.error == ("uidl", NX_POP3_INVALID_REPLY)
        assert not any(c.startswith("RETR") for c in server.commands)


def test_refused_retr_in_a_pipelined_batch(run_board):
    with Pop3Server(numbered_messages(6)) as server:
        server.fault("RETR", err="[SYS/TEMP] try later", skip=2, once=True)
        messages, uids = server_view(server)
        result = run_board(server.host, server.port, server.user, server.password)
        assert result.exit_code == NX_POP3_SERVER_ERROR_STATUS, result.describe()
        assert result.error == ("retr", NX_POP3_SERVER_ERROR_STATUS)
        # The two messages before the refusal were fetched and reported whole.
        assert result.messages == [(i + 1, len(m), zlib.crc32(m))
                                   for i, m in enumerate(messages[:2])]
        assert result.uids == [(1, uids[0]), (2, uids[1])]


def test_uids_and_pipelining_with_dovecot(run_board, dovecot):
    from nxpop3.testing.dovecot import as_retrieved

    dovecot.add_messages(numbered_messages(BATCH + 8))
    expected = [as_retrieved(m) for m in dovecot.messages()]
    pop = poplib.POP3(dovecot.host, dovecot.port, timeout=10)
    try:
        pop.user(dovecot.user)
        pop.pass_(dovecot.password)
        listing = [line.decode().split() for line in pop.uidl()[1]]
    finally:
        pop.quit()
    assert [int(n) for n, _ in listing] == list(range(1, len(expected) + 1))
    result = run_board(dovecot.host, dovecot.port, dovecot.user, dovecot.password)
    assert_report(result, expected, [uid for _, uid in listing])
    assert {"UIDL", "PIPELINING"} <= set(result.capabilities or ()), result.describe()
    assert result.fetch_mode == ("pipelined", WINDOW)
    assert result.peak_in_flight == PEAK
