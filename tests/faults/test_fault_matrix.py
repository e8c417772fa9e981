"""The fault matrix: one scripted session (greeting, login by USER/PASS and by
APOP, STAT, LIST 1, RETR 1 of a 3-packet message, DELE, NOOP, RSET, QUIT) with
every fault a server or the pool can throw, each cell its own test:

(a) the server closes the connection after each byte offset of its output;
(b) each reply is replaced by -ERR;
(c) each reply (and each body packet) never comes;
(d) the packet pool is empty at each allocation.

Every cell must end with the documented status at the step the fault hits, a
client that deletes cleanly, and the pool back to full."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest

from nxpop3 import PacketPool, ffi, lib
from nxpop3.transport import CLOSE, SILENCE, ScriptedTransport

STAMP = b"<4242.1700000000@matrix.example>"
USER, SECRET = b"alice", b"secret"
EXPECTED = (b"From: matrix@example.com\r\nSubject: fault matrix\r\n\r\n"
            b".a line that starts with a dot\r\n" + b"x" * 70 + b"\r\nlast\r\n")
WIRE_BODY = EXPECTED.replace(b"\r\n.", b"\r\n..") + b".\r\n"  # dot-stuffed, terminated
SEGMENTS = [WIRE_BODY[:40], WIRE_BODY[40:90], WIRE_BODY[90:]]


@dataclass
class Exchange:
    step: str        # the API step whose reply this is
    command: str     # the command prefix the client sends ("" for the greeting)
    reply: list      # segments


def script(apop: bool) -> list[Exchange]:
    login = ([Exchange("create", "APOP", [b"+OK maildrop ready\r\n"])] if apop else
             [Exchange("create", "USER", [b"+OK send PASS\r\n"]),
              Exchange("create", "PASS", [b"+OK logged in\r\n"])])
    return [
        Exchange("create", "", [b"+OK matrix POP3 " + STAMP + b"\r\n"]),
        *login,
        Exchange("stat", "STAT", [b"+OK 1 %d\r\n" % len(EXPECTED)]),
        Exchange("list", "LIST 1", [b"+OK 1 %d\r\n" % len(EXPECTED)]),
        Exchange("retr", "RETR 1", [b"+OK %d octets\r\n" % len(EXPECTED)]),
        Exchange("message", "", list(SEGMENTS)),  # the body follows the RETR reply
        Exchange("dele", "DELE 1", [b"+OK deleted\r\n"]),
        Exchange("noop", "NOOP", [b"+OK\r\n"]),
        Exchange("rset", "RSET", [b"+OK\r\n"]),
        Exchange("quit", "QUIT", [b"+OK bye\r\n"]),
    ]


def transport_for(exchanges: list[Exchange]) -> ScriptedTransport:
    greeting = exchanges[0].reply
    t = ScriptedTransport(greeting)
    pending = None
    for exchange in exchanges[1:]:
        if exchange.step == "message":
            pending.reply = pending.reply + exchange.reply
            continue
        if pending is not None:
            t.expect(pending.command, pending.reply)
        pending = Exchange(exchange.step, exchange.command, list(exchange.reply))
    if pending is not None:
        t.expect(pending.command, pending.reply)
    return t


def run(t: ScriptedTransport, apop: bool, pool: PacketPool) -> tuple[str, int, bytes]:
    """Runs the session; returns (step, status) of the first failure, or ("done", 0)."""
    ip = ffi.new("NX_IP *")
    assert lib.nx_ip_create(ip, ffi.NULL, 0, 0, pool.pool, t.nx_transport, ffi.NULL, 0, 0) == 0
    assert lib.nx_tcp_enable(ip) == 0
    client = ffi.new("NX_POP3_CLIENT *")
    address = ffi.new("NXD_ADDRESS *", {"nxd_ip_version": 4, "nxd_ip_address": {"v4": 1}})
    name, secret = ffi.new("char[]", USER), ffi.new("char[]", SECRET)
    u, u64 = ffi.new("UINT *"), ffi.new("ULONG64 *")
    size = ffi.new("ULONG *")
    packet, count, final = ffi.new("NX_PACKET **"), ffi.new("ULONG *"), ffi.new("UINT *")
    message = bytearray()
    failed = ("done", 0)

    def message_loop() -> int:
        for _ in range(100):
            status = lib.nx_pop3_client_mail_item_message_get(client, packet, count, final)
            if status != 0:
                return status
            message.extend(ffi.buffer(packet[0].nx_packet_prepend_ptr, count[0]))
            assert lib.nx_packet_release(packet[0]) == 0
            if final[0]:
                return 0
        raise AssertionError("the body never ended")

    steps = [
        ("create", lambda: lib.nxd_pop3_client_create_ext(client, int(apop), ip, pool.pool,
                                                          address, 110, name, secret, 500, 500)),
        ("stat", lambda: lib.nx_pop3_client_mail_items_get64(client, u, u64)),
        ("list", lambda: lib.nx_pop3_client_mail_item_size_get64(client, 1, u64)),
        ("retr", lambda: lib.nx_pop3_client_mail_item_get(client, 1, size)),
        ("message", message_loop),
        ("dele", lambda: lib.nx_pop3_client_mail_item_delete(client, 1)),
        ("noop", lambda: lib.nx_pop3_client_noop(client)),
        ("rset", lambda: lib.nx_pop3_client_reset(client)),
        ("quit", lambda: lib.nx_pop3_client_quit(client)),
    ]
    created = False
    for step, call in steps:
        status = call()
        if step == "create":
            created = status == 0
        if status != 0:
            failed = (step, status)
            break
    if created:
        assert lib.nx_pop3_client_delete(client) in (0, lib.NX_NOT_CONNECTED)
    assert lib.nx_ip_delete(ip) == 0, "a socket was left on the IP instance"
    assert not t.connected, "the connection was left open"
    assert pool.available == pool.total, "a packet leaked"
    return failed[0], failed[1], bytes(message)


def test_the_session_without_faults() -> None:
    for apop in (False, True):
        t = transport_for(script(apop))
        assert run(t, apop, PacketPool(payload_size=256, count=6)) == ("done", 0, EXPECTED)
        assert t.errors == [] and t.pending == 0
        if apop:
            digest = hashlib.md5(STAMP + SECRET).hexdigest()
            assert t.commands[0] == f"APOP alice {digest}"


# (a) the server closes after each byte offset --------------------------------------------

def close_cells() -> list[tuple[bool, int]]:
    cells = []
    for apop in (False, True):
        total = sum(len(b) for e in script(apop) for b in e.reply)
        cells += [(apop, offset) for offset in range(total)]
    return cells


@pytest.mark.parametrize("apop,offset", close_cells(),
                         ids=lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool)
                         else ("apop" if v else "user"))
def test_close_after_each_byte(apop: bool, offset: int) -> None:
    exchanges = script(apop)
    seen = 0
    owner = None
    cut: list[Exchange] = []
    for exchange in exchanges:
        if owner is not None:
            cut.append(Exchange(exchange.step, exchange.command, [CLOSE]))
            continue
        segments = []
        for segment in exchange.reply:
            if seen + len(segment) > offset:
                segments += [segment[: offset - seen], CLOSE]
                owner = exchange.step
                break
            segments.append(segment)
            seen += len(segment)
        cut.append(Exchange(exchange.step, exchange.command, segments))
    step, status, _ = run(transport_for(cut), apop, PacketPool(payload_size=256, count=6))
    assert (step, status) == (owner, lib.NX_NOT_CONNECTED)


# (b) each reply replaced by -ERR ---------------------------------------------------------

def err_cells() -> list[tuple[bool, int]]:
    return [(apop, i) for apop in (False, True) for i, e in enumerate(script(apop))
            if e.step != "message"]


@pytest.mark.parametrize("apop,index", err_cells())
def test_each_reply_replaced_by_err(apop: bool, index: int) -> None:
    exchanges = script(apop)
    target = exchanges[index]
    target.reply = [b"-ERR [SYS/TEMP] refused\r\n"]
    if target.step == "retr":
        exchanges = [e for e in exchanges if e.step != "message"]
    if target.command == "APOP":
        # A refused APOP falls back to USER/PASS on the same connection.
        exchanges[index + 1:index + 1] = [Exchange("create", "USER", [b"+OK\r\n"]),
                                          Exchange("create", "PASS", [b"+OK\r\n"])]
        assert run(transport_for(exchanges), apop, PacketPool(256, 6))[:2] == ("done", 0)
        return
    step, status, _ = run(transport_for(exchanges[: index + 1]), apop, PacketPool(256, 6))
    assert (step, status) == (target.step, lib.NX_POP3_SERVER_ERROR_STATUS)


# (c) each reply, and each body packet, never comes ---------------------------------------

def silence_cells() -> list[tuple[bool, int, int]]:
    return [(apop, i, j) for apop in (False, True) for i, e in enumerate(script(apop))
            for j in range(len(e.reply))]


@pytest.mark.parametrize("apop,index,segment", silence_cells())
def test_each_reply_never_comes(apop: bool, index: int, segment: int) -> None:
    exchanges = script(apop)
    target = exchanges[index]
    target.reply = target.reply[:segment] + [SILENCE]
    t = transport_for(exchanges[: index + 1])
    start = t.now
    step, status, _ = run(t, apop, PacketPool(256, 6))
    assert (step, status) == (target.step, lib.NX_NO_PACKET)
    assert t.now - start >= 500  # the whole reply wait passed, on the virtual clock


# (d) the pool is empty at each allocation ------------------------------------------------

def allocations(apop: bool) -> int:
    """How many allocations a clean session makes (counted with the countdown)."""
    for n in range(1, 500):
        pool = PacketPool(256, 6)
        pool.pool.nx_packet_pool_fail_countdown = n
        if run(transport_for(script(apop)), apop, pool)[:2] == ("done", 0):
            return n - 1
    raise AssertionError("no end to the allocations")


POOL_CELLS = [(apop, n) for apop in (False, True) for n in range(1, allocations(apop) + 1)]


@pytest.mark.parametrize("apop,n", POOL_CELLS)
def test_pool_empty_at_each_allocation(apop: bool, n: int) -> None:
    pool = PacketPool(256, 6)
    pool.pool.nx_packet_pool_fail_countdown = n
    step, status, _ = run(transport_for(script(apop)), apop, pool)
    assert step != "done"
    assert status == lib.NX_NO_PACKET
    assert pool.empty_requests == 1


def test_the_matrix_is_not_empty() -> None:
    assert len(close_cells()) > 600
    assert len(POOL_CELLS) >= 2 * 12
