"""The fault matrix: one scripted session (greeting, login by USER/PASS, by
APOP, by USER/PASS after STLS and TLS, and by each SASL mechanism (its cells
cover the login: the rest is the USER/PASS session's), STAT, LIST 1, CAPA, LIST, UIDL,
UIDL 1, TOP 1 0, RETR 1 of a 3-packet message, a pipelined batch of two RETRs,
DELE, NOOP, RSET, QUIT) with every fault a server or the pool can throw, each
cell its own test:

(a) the server closes the connection after each byte offset of its output;
(b) each reply is replaced by -ERR;
(c) each reply (and each body packet) never comes;
(d) the packet pool is empty at each allocation.

Every cell must end with the documented status at the step the fault hits, a
client that deletes cleanly, and the pool back to full."""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import pytest

import nxpop3.client  # noqa: F401  (registers the listing callbacks the C client calls)
from nxpop3 import PacketPool, ffi, lib
from nxpop3.transport import CLOSE, SILENCE, ScriptedTransport

STAMP = b"<4242.1700000000@matrix.example>"
USER, SECRET = b"alice", b"secret"
EXPECTED = (b"From: matrix@example.com\r\nSubject: fault matrix\r\n\r\n"
            b".a line that starts with a dot\r\n" + b"x" * 70 + b"\r\nlast\r\n")
WIRE_BODY = EXPECTED.replace(b"\r\n.", b"\r\n..") + b".\r\n"  # dot-stuffed, terminated
SEGMENTS = [WIRE_BODY[:40], WIRE_BODY[40:90], WIRE_BODY[90:]]
TOP = EXPECTED[:EXPECTED.index(b"\r\n\r\n") + 4]  # TOP 1 0: the headers and the blank line


@dataclass
class Exchange:
    step: str        # the API step whose reply this is
    command: str     # the command prefix the client sends ("" for the greeting)
    reply: list      # segments


# How the session logs in: USER/PASS, APOP, USER/PASS after STLS (the scripted
# transport plays the TLS handshake), so that every fault also hits a TLS session,
# and each SASL mechanism (CAPA, then AUTH and its exchange).
SASL_MODES = {"plain": "PLAIN", "login": "LOGIN", "cram": "CRAM_MD5", "scram": "SCRAM_SHA_256",
              "xoauth2": "XOAUTH2", "oauthbearer": "OAUTHBEARER"}
MODES = ["user", "apop", "stls", *SASL_MODES]

# A line the client sends that any prefix matches (an empty SASL response): not
# the "" that marks a body.
ANY_LINE = "<any line>"

# SCRAM runs RFC 7677's example, whose nonce and credentials are fixed.
SCRAM_NONCE = b"rOprNGfwEbeRWgbNEkqO"
SCRAM_USER, SCRAM_SECRET = b"user", b"pencil"
SCRAM_SERVER_FIRST = (b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                      b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
SCRAM_CLIENT_FINAL = (b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                      b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
SCRAM_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
CRAM_STAMP = b"<1896.697170952@postoffice.reston.mci.net>"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def challenge(data: bytes) -> list[bytes]:
    """A "+ base64" continuation, in two segments."""
    line = b"+ " + base64.b64encode(data) + b"\r\n"
    return [line[:5], line[5:]]


def credentials(mode: str) -> tuple[bytes, bytes]:
    return (SCRAM_USER, SCRAM_SECRET) if mode == "scram" else (USER, SECRET)


def sasl_login(mode: str) -> list[Exchange]:
    ok = [b"+OK logged in\r\n"]
    cram = hmac.new(SECRET, CRAM_STAMP, "md5").hexdigest().encode()
    exchanges = {
        "plain": [("AUTH PLAIN " + b64(b"\0alice\0secret"), ok)],
        "login": [("AUTH LOGIN", challenge(b"Username:")), (b64(USER), challenge(b"Password:")),
                  (b64(SECRET), ok)],
        "cram": [("AUTH CRAM-MD5", challenge(CRAM_STAMP)), (b64(USER + b" " + cram), ok)],
        "scram": [("AUTH SCRAM-SHA-256 " + b64(b"n,,n=user,r=" + SCRAM_NONCE),
                   challenge(SCRAM_SERVER_FIRST)),
                  (b64(SCRAM_CLIENT_FINAL), challenge(SCRAM_SERVER_FINAL)), (ANY_LINE, ok)],
        "xoauth2": [("AUTH XOAUTH2 " + b64(b"user=alice\x01auth=Bearer secret\x01\x01"), ok)],
        "oauthbearer": [("AUTH OAUTHBEARER " + b64(b"n,a=alice,\x01auth=Bearer secret\x01\x01"),
                         ok)],
    }[mode]
    capa = [b"+OK\r\nUSER\r\n",
            b"SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER\r\n.\r\n"]
    return [Exchange("create", "CAPA", capa),
            *(Exchange("create", command, reply) for command, reply in exchanges)]


def script(mode: str) -> list[Exchange]:
    user_pass = [Exchange("create", "USER", [b"+OK send PASS\r\n"]),
                 Exchange("create", "PASS", [b"+OK logged in\r\n"])]
    login = {
        "user": user_pass,
        "apop": [Exchange("create", "APOP", [b"+OK maildrop ready\r\n"])],
        "stls": [Exchange("create", "CAPA", [b"+OK\r\nSTLS\r\nUSER\r\n.\r\n"]),
                 Exchange("create", "STLS", [b"+OK Begin TLS\r\n"]),
                 Exchange("create", "CAPA", [b"+OK\r\nUSER\r\n.\r\n"]), *user_pass],
    }[mode] if mode not in SASL_MODES else sasl_login(mode)
    return [
        Exchange("create", "", [b"+OK matrix POP3 " + STAMP + b"\r\n"]),
        *login,
        Exchange("stat", "STAT", [b"+OK 1 %d\r\n" % len(EXPECTED)]),
        Exchange("list", "LIST 1", [b"+OK 1 %d\r\n" % len(EXPECTED)]),
        Exchange("capa", "CAPA", [b"+OK\r\nTOP\r\n", b"UIDL\r\nPIPELINING\r\n.\r\n"]),
        Exchange("listing", "LIST", [b"+OK\r\n1 %d\r\n.\r\n" % len(EXPECTED)]),
        Exchange("uidl", "UIDL", [b"+OK\r\n", b"1 uid-one\r\n.\r\n"]),
        Exchange("uid", "UIDL 1", [b"+OK 1 uid-one\r\n"]),
        Exchange("top", "TOP 1 0", [b"+OK\r\n"]),
        Exchange("top-body", "", [TOP + b".\r\n"]),
        Exchange("retr", "RETR 1", [b"+OK %d octets\r\n" % len(EXPECTED)]),
        Exchange("message", "", list(SEGMENTS)),  # the body follows the RETR reply
        # A pipelined batch of two: both RETRs go out before the first reply is read.
        Exchange("batch", "RETR 1", [b"+OK\r\n"]),
        Exchange("batch-body", "", list(SEGMENTS)),
        Exchange("batch2", "RETR 1", [b"+OK\r\n"]),
        Exchange("batch2-body", "", list(SEGMENTS)),
        Exchange("dele", "DELE 1", [b"+OK deleted\r\n"]),
        Exchange("noop", "NOOP", [b"+OK\r\n"]),
        Exchange("rset", "RSET", [b"+OK\r\n"]),
        Exchange("quit", "QUIT", [b"+OK bye\r\n"]),
    ]


def transport_for(exchanges: list[Exchange]) -> ScriptedTransport:
    greeting = exchanges[0].reply
    t = ScriptedTransport(greeting, tls=lib.NX_TRANSPORT_OK)
    pending = None
    for exchange in exchanges[1:]:
        if exchange.command == "":  # a body, after its command's status line
            pending.reply = pending.reply + exchange.reply
            continue
        if pending is not None:
            t.expect("" if pending.command == ANY_LINE else pending.command, pending.reply)
        pending = Exchange(exchange.step, exchange.command, list(exchange.reply))
    if pending is not None:
        t.expect("" if pending.command == ANY_LINE else pending.command, pending.reply)
    return t


def run(t: ScriptedTransport, mode: str, pool: PacketPool) -> tuple[str, int, bytes]:
    """Runs the session; returns (step, status) of the first failure, or ("done", 0)."""
    ip = ffi.new("NX_IP *")
    assert lib.nx_ip_create(ip, ffi.NULL, 0, 0, pool.pool, t.nx_transport, ffi.NULL, 0, 0) == 0
    assert lib.nx_tcp_enable(ip) == 0
    client = ffi.new("NX_POP3_CLIENT *")
    address = ffi.new("NXD_ADDRESS *", {"nxd_ip_version": 4, "nxd_ip_address": {"v4": 1}})
    name, secret = (ffi.new("char[]", c) for c in credentials(mode))
    u, u64 = ffi.new("UINT *"), ffi.new("ULONG64 *")
    size = ffi.new("ULONG *")
    packet, count, final = ffi.new("NX_PACKET **"), ffi.new("ULONG *"), ffi.new("UINT *")
    message = bytearray()
    failed = ("done", 0)
    entries: list = []
    handle = ffi.new_handle(entries)
    uid = ffi.new("CHAR[71]")
    batch_items = ffi.new("UINT[]", [1, 1])
    pipeline = ffi.new("NX_POP3_PIPELINE *")
    item = ffi.new("UINT *")

    def message_loop(body: bytearray = message, expected: bytes | None = None) -> int:
        for _ in range(100):
            status = lib.nx_pop3_client_mail_item_message_get(client, packet, count, final)
            if status != 0:
                return status
            body.extend(ffi.buffer(packet[0].nx_packet_prepend_ptr, count[0]))
            assert lib.nx_packet_release(packet[0]) == 0
            if final[0]:
                assert expected is None or bytes(body) == expected
                return 0
        raise AssertionError("the body never ended")

    def create() -> int:
        if mode in SASL_MODES:
            # Connect, CAPA (SASL listed: initial responses), AUTH and its exchange.
            status = lib.nxd_pop3_client_connect(client, ip, pool.pool, address, 110, 500, 500,
                                                 ffi.NULL)
            connected = status == 0
            if status == 0:
                status = lib.nx_pop3_client_capabilities_get(client, ffi.NULL, ffi.NULL)
            if status == 0:
                mechanism = getattr(lib, f"NX_POP3_SASL_{SASL_MODES[mode]}")
                status = lib.nx_pop3_client_auth(client, mechanism, name, secret,
                                                 ffi.new("char[]", SCRAM_NONCE))
            if status != 0 and connected:
                assert lib.nx_pop3_client_delete(client) in (0, lib.NX_NOT_CONNECTED)
            return status
        if mode != "stls":
            return lib.nxd_pop3_client_create_ext(client, int(mode == "apop"), ip, pool.pool,
                                                  address, 110, name, secret, 500, 500)
        # Connect, CAPA, STLS, TLS, CAPA again, then the login: what starttls=True does.
        status = lib.nxd_pop3_client_connect(client, ip, pool.pool, address, 110, 500, 500,
                                             ffi.NULL)
        connected = status == 0
        for call in (lambda: lib.nx_pop3_client_capabilities_get(client, ffi.NULL, ffi.NULL),
                     lambda: lib.nx_pop3_client_stls(client),
                     lambda: lib.nx_pop3_client_capabilities_get(client, ffi.NULL, ffi.NULL),
                     lambda: lib.nx_pop3_client_login(client, ffi.NULL, name, secret)):
            if status != 0:
                break
            status = call()
        if status != 0 and connected:
            assert lib.nx_pop3_client_delete(client) in (0, lib.NX_NOT_CONNECTED)
        return status

    def batch_start() -> int:
        status = lib.nx_pop3_client_pipeline_start(client, pipeline, batch_items, 2)
        return status if status != 0 else lib.nx_pop3_client_pipeline_next(client, item, u64)

    def batch_end() -> int:
        status = lib.nx_pop3_client_pipeline_next(client, item, u64)
        return 0 if status == lib.NX_NO_MORE_ENTRIES else status

    steps = [
        ("create", create),
        ("stat", lambda: lib.nx_pop3_client_mail_items_get64(client, u, u64)),
        ("list", lambda: lib.nx_pop3_client_mail_item_size_get64(client, 1, u64)),
        ("capa", lambda: lib.nx_pop3_client_capabilities_get(client, ffi.NULL, ffi.NULL)),
        ("listing", lambda: lib.nx_pop3_client_mail_items_list(client, lib.nxpop3_list_entry,
                                                               handle)),
        ("uidl", lambda: lib.nx_pop3_client_mail_items_uidl(client, lib.nxpop3_uidl_entry,
                                                            handle)),
        ("uid", lambda: lib.nx_pop3_client_mail_item_uid_get(client, 1, uid, 71)),
        ("top", lambda: lib.nx_pop3_client_mail_item_top_get(client, 1, 0)),
        ("top-body", lambda: message_loop(bytearray(), TOP)),
        ("retr", lambda: lib.nx_pop3_client_mail_item_get(client, 1, size)),
        ("message", message_loop),
        ("batch", batch_start),
        ("batch-body", lambda: message_loop(bytearray(), EXPECTED)),
        ("batch2", lambda: lib.nx_pop3_client_pipeline_next(client, item, u64)),
        ("batch2-body", lambda: message_loop(bytearray(), EXPECTED)),
        ("batch-end", batch_end),
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
    for mode in MODES:
        t = transport_for(script(mode))
        assert run(t, mode, PacketPool(payload_size=256, count=6)) == ("done", 0, EXPECTED)
        assert t.errors == [] and t.pending == 0
        assert t.tls_starts == (mode == "stls")
        if mode == "apop":
            digest = hashlib.md5(STAMP + SECRET).hexdigest()
            assert t.commands[0] == f"APOP alice {digest}"


# (a) the server closes after each byte offset --------------------------------------------

def login_only(mode: str, exchange: Exchange) -> bool:
    """False for what a SASL mode's session does after its login: the same exchanges
    as the user mode's, whose cells already cover them."""
    return mode not in SASL_MODES or exchange.step == "create"


def close_cells() -> list[tuple[str, int]]:
    cells = []
    for mode in MODES:
        total = sum(len(b) for e in script(mode) if login_only(mode, e) for b in e.reply)
        cells += [(mode, offset) for offset in range(total)]
    return cells


@pytest.mark.parametrize("mode,offset", close_cells())
def test_close_after_each_byte(mode: str, offset: int) -> None:
    exchanges = script(mode)
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
    step, status, _ = run(transport_for(cut), mode, PacketPool(payload_size=256, count=6))
    assert (step, status) == (owner, lib.NX_NOT_CONNECTED)


# (b) each reply replaced by -ERR ---------------------------------------------------------

def err_cells() -> list[tuple[str, int]]:
    return [(mode, i) for mode in MODES for i, e in enumerate(script(mode))
            if (e.command != "" or i == 0) and login_only(mode, e)]


@pytest.mark.parametrize("mode,index", err_cells())
def test_each_reply_replaced_by_err(mode: str, index: int) -> None:
    exchanges = script(mode)
    target = exchanges[index]
    target.reply = [b"-ERR [SYS/TEMP] refused\r\n"]
    if index + 1 < len(exchanges) and exchanges[index + 1].command == "":
        del exchanges[index + 1]  # a refused multi-line command has no body
    first_capa = target.command == "CAPA" and index == 1
    if target.command == "CAPA" and not ((mode == "stls" or mode in SASL_MODES) and first_capa):
        # -ERR to CAPA is an old server with no capabilities: the batch then goes
        # one RETR at a time, and the session ends well (after TLS too).
        assert run(transport_for(exchanges), mode, PacketPool(256, 6))[:2] == ("done", 0)
        return
    if first_capa and mode in SASL_MODES:
        # No capabilities means no SASL: the mechanism is not offered, nothing sent.
        step, status, _ = run(transport_for(exchanges[: index + 1]), mode, PacketPool(256, 6))
        assert (step, status) == ("create", lib.NX_POP3_MECHANISM_NOT_OFFERED)
        return
    if first_capa:
        # Before TLS, no capabilities means no STLS: nothing more is sent.
        step, status, _ = run(transport_for(exchanges[: index + 1]), mode, PacketPool(256, 6))
        assert (step, status) == ("create", lib.NX_NOT_SUPPORTED)
        return
    if target.command == "APOP":
        # A refused APOP falls back to USER/PASS on the same connection.
        exchanges[index + 1:index + 1] = [Exchange("create", "USER", [b"+OK\r\n"]),
                                          Exchange("create", "PASS", [b"+OK\r\n"])]
        assert run(transport_for(exchanges), mode, PacketPool(256, 6))[:2] == ("done", 0)
        return
    step, status, _ = run(transport_for(exchanges[: index + 1]), mode, PacketPool(256, 6))
    assert (step, status) == (target.step, lib.NX_POP3_SERVER_ERROR_STATUS)


# (c) each reply, and each body packet, never comes ---------------------------------------

def silence_cells() -> list[tuple[bool, int, int]]:
    return [(mode, i, j) for mode in MODES for i, e in enumerate(script(mode))
            if login_only(mode, e) for j in range(len(e.reply))]


@pytest.mark.parametrize("mode,index,segment", silence_cells())
def test_each_reply_never_comes(mode: str, index: int, segment: int) -> None:
    exchanges = script(mode)
    target = exchanges[index]
    target.reply = target.reply[:segment] + [SILENCE]
    t = transport_for(exchanges[: index + 1])
    start = t.now
    step, status, _ = run(t, mode, PacketPool(256, 6))
    assert (step, status) == (target.step, lib.NX_NO_PACKET)
    assert t.now - start >= 500  # the whole reply wait passed, on the virtual clock


# (d) the pool is empty at each allocation ------------------------------------------------

def allocations(mode: str) -> int:
    """How many allocations a clean session makes (counted with the countdown); for
    a SASL mode, how many its login makes (the rest is the user mode's)."""
    for n in range(1, 500):
        pool = PacketPool(256, 6)
        pool.pool.nx_packet_pool_fail_countdown = n
        step, status, _ = run(transport_for(script(mode)), mode, pool)
        if (step, status) == ("done", 0) or (mode in SASL_MODES and step != "create"):
            return n - 1
    raise AssertionError("no end to the allocations")


POOL_CELLS = [(mode, n) for mode in MODES for n in range(1, allocations(mode) + 1)]


@pytest.mark.parametrize("mode,n", POOL_CELLS)
def test_pool_empty_at_each_allocation(mode: str, n: int) -> None:
    pool = PacketPool(256, 6)
    pool.pool.nx_packet_pool_fail_countdown = n
    step, status, _ = run(transport_for(script(mode)), mode, pool)
    assert step != "done"
    assert status == lib.NX_NO_PACKET
    assert pool.empty_requests == 1


def test_the_matrix_is_not_empty() -> None:
    assert len(close_cells()) > 600
    assert len(POOL_CELLS) >= 2 * 12
