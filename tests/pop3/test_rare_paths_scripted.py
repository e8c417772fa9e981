"""Paths of the C client that the coverage run (tests/run_coverage.sh) found no
test taking, over the scripted transport: a port beyond 16 bits, an IP without
TCP, an advisory size beyond 32 bits, a reply wait of NX_WAIT_FOREVER, a stuffed
dot followed by CR CR, a dot after a bare LF, entries with several spaces,
response codes and CAPA names with characters above 'z', a batch whose kept
bytes find the pool empty or whose refill cannot get a packet, and unsolicited
bytes before a batch."""
from __future__ import annotations

import nxpop3.client  # noqa: F401  (registers the listing callbacks the C client calls)
from nxpop3 import ffi, lib
from nxpop3.transport import ScriptedTransport, split_at

NULL = ffi.NULL


# ---- connect ----------------------------------------------------------------------------------

def test_a_port_beyond_16_bits_is_refused_by_connect(netx_stack) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    for port, connect in ((0x10000, lib.nxd_pop3_client_connect),
                          (0, lib._nxd_pop3_client_connect)):  # the core checks it too
        assert connect(s.client, s.ip, s.pool.pool, s.address, port, 100, 100, NULL) == \
            lib.NX_POP3_PARAM_ERROR
    assert t.commands == [] and not t.connected
    assert lib.nx_ip_delete(s.ip) == 0


def test_connect_over_an_ip_without_tcp_fails_and_leaves_nothing(netx_stack) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    ip = ffi.new("NX_IP *")
    assert lib.nx_ip_create(ip, NULL, 0, 0, s.pool.pool, t.nx_transport, NULL, 0, 0) == 0
    assert lib.nxd_pop3_client_connect(s.client, ip, s.pool.pool, s.address, 110, 100, 100,
                                       NULL) == lib.NX_NOT_ENABLED
    assert lib.nx_ip_delete(ip) == 0  # no socket was left on it
    assert not t.connected
    assert lib.nx_ip_delete(s.ip) == 0


# ---- sizes and waits --------------------------------------------------------------------------

def test_retr_size_beyond_32_bits_reads_as_the_largest_ulong(netx_stack) -> None:
    s, t = netx_stack.logged_in(("RETR 1", b"+OK 4294967296 octets\r\nbody\r\n.\r\n"))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    assert size[0] == 0xFFFFFFFF
    assert s.message() == (0, b"body\r\n", [6])
    s.finish()


def test_a_reply_wait_of_forever(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", split_at(b"+OK fine\r\n", 3)))
    assert lib.nx_pop3_client_reply_timeout_set(s.client, lib.NX_WAIT_FOREVER) == 0
    assert lib.nx_pop3_client_noop(s.client) == 0
    s.finish()


# ---- replies ----------------------------------------------------------------------------------

def test_a_line_start_dot_then_cr_cr_is_data(netx_stack) -> None:
    # ".\r" that is not the terminator, followed by another CR: both CRs are data.
    body = b"a\r\n.\r\rb\r\n.\r\n"
    for segments in ([body], split_at(body, 5), split_at(body, 6)):
        s, t = netx_stack.logged_in(("RETR 1", [b"+OK\r\n", *segments]))
        assert lib.nx_pop3_client_mail_item_get(s.client, 1, ffi.new("ULONG *")) == 0
        status, data, _ = s.message()
        assert (status, data) == (0, b"a\r\n\r\rb\r\n")
        s.finish()


def test_a_dot_after_a_bare_lf_is_data(netx_stack) -> None:
    # Only CRLF starts a line: after a bare LF a dot is not stuffing, wherever the cut.
    body = b"ab\n.c\r\n.\r\n"
    for segments in ([body], split_at(body, 2), split_at(body, 3)):
        s, t = netx_stack.logged_in(("RETR 1", [b"+OK\r\n", *segments]))
        assert lib.nx_pop3_client_mail_item_get(s.client, 1, ffi.new("ULONG *")) == 0
        status, data, _ = s.message()
        assert (status, data) == (0, b"ab\n.c\r\n")
        s.finish()


def test_listing_entries_with_several_spaces(netx_stack) -> None:
    s, t = netx_stack.logged_in(("LIST", b"+OK\r\n  1   120\r\n.\r\n"),
                     ("UIDL", b"+OK\r\n1    abc\r\n.\r\n"))
    entries: list = []
    assert lib.nx_pop3_client_mail_items_list(s.client, lib.nxpop3_list_entry,
                                              ffi.new_handle(entries)) == 0
    assert lib.nx_pop3_client_mail_items_uidl(s.client, lib.nxpop3_uidl_entry,
                                              ffi.new_handle(entries)) == 0
    assert entries == [(1, 120), (1, "abc")]
    s.finish()


def test_core_listings_without_a_callback_and_a_small_uid_buffer(netx_stack) -> None:
    """The core services as an unchecked build calls them."""
    s, t = netx_stack.logged_in(("UIDL", b"+OK\r\n1 abc\r\n.\r\n"))
    assert lib._nx_pop3_client_mail_items_uidl(s.client, NULL, NULL) == 0
    uid = ffi.new("CHAR[8]")
    assert lib._nx_pop3_client_mail_item_uid_get(s.client, 1, uid, 8) == lib.NX_SIZE_ERROR
    s.finish()


def test_response_codes_and_capa_names_above_z_are_kept(netx_stack) -> None:
    s, t = netx_stack.logged_in(("DELE 1", b"-ERR [sys/te~mp] later\r\n"),
                     ("CAPA", b"+OK\r\nx-{odd}\r\n.\r\n"))
    assert lib.nx_pop3_client_mail_item_delete(s.client, 1) == lib.NX_POP3_SERVER_ERROR_STATUS
    lines: dict = {}
    assert lib.nx_pop3_client_capabilities_get(s.client, lib.nxpop3_capa_line,
                                               ffi.new_handle(lines)) == 0
    assert list(lines) == ["X-{ODD}"]
    s.finish()


# ---- pipelined batches ------------------------------------------------------------------------

PIPELINING = b"+OK\r\nPIPELINING\r\n.\r\n"


def retr(n: int) -> bytes:
    return b"+OK\r\nmessage %d\r\n.\r\n" % n


def next_item(s) -> int:
    return lib.nx_pop3_client_pipeline_next(s.client, ffi.new("UINT *"), ffi.new("ULONG64 *"))


def drain(pool) -> list:
    taken = []
    packet = ffi.new("NX_PACKET **")
    while lib.nx_packet_allocate(pool, packet, 0, 0) == 0:
        taken.append(packet[0])
    return taken


def test_kept_bytes_of_the_next_reply_find_the_pool_empty(netx_stack) -> None:
    s, t = netx_stack.logged_in(("CAPA", PIPELINING), ("RETR 1", retr(1) + retr(2)),
                     ("RETR 2", b""))
    assert lib.nx_pop3_client_capabilities_get(s.client, NULL, NULL) == 0
    items = ffi.new("UINT[]", [1, 2])
    pipeline = ffi.new("NX_POP3_PIPELINE *")
    assert lib.nx_pop3_client_pipeline_start(s.client, pipeline, items, 2) == 0
    assert next_item(s) == 0
    taken = drain(s.pool.pool)  # the body's packet is in hand: keeping RETR 2's reply fails
    status, data, _, final = s.message_get()
    assert (status, data, final) == (0, b"message 1\r\n", True)  # this piece is whole
    for packet in taken:
        assert lib.nx_packet_release(packet) == 0
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
    assert next_item(s) == lib.NX_NOT_CONNECTED
    s.finish()


def test_a_refill_that_gets_no_packet_ends_the_session(netx_stack) -> None:
    count = lib.NX_POP3_PIPELINE_WINDOW + 4
    exchanges = [("CAPA", PIPELINING)] + [(f"RETR {n}", retr(n)) for n in range(1, count + 1)]
    s, t = netx_stack.logged_in(*exchanges)
    assert lib.nx_pop3_client_capabilities_get(s.client, NULL, NULL) == 0
    items = ffi.new("UINT[]", list(range(1, count + 1)))
    pipeline = ffi.new("NX_POP3_PIPELINE *")
    assert lib.nx_pop3_client_pipeline_start(s.client, pipeline, items, count) == 0
    half = lib.NX_POP3_PIPELINE_WINDOW // 2
    for _ in range(half):
        assert next_item(s) == 0
        assert s.message()[0] == 0
    s.pool.pool.nx_packet_pool_fail_countdown = 1  # the refill's packet
    assert next_item(s) == lib.NX_NO_PACKET
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED  # replies were in flight
    s.finish()


def test_unsolicited_bytes_before_a_batch_fail_its_first_step(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", b"+OK\r\n+OK stray\r\n"))
    assert lib.nx_pop3_client_noop(s.client) == 0
    items = ffi.new("UINT[]", [1])
    pipeline = ffi.new("NX_POP3_PIPELINE *")
    assert lib.nx_pop3_client_pipeline_start(s.client, pipeline, items, 1) == 0
    assert next_item(s) == lib.NX_POP3_UNEXPECTED_DATA
    s.finish()


def test_an_empty_batch_may_have_no_list(netx_stack) -> None:
    s, t = netx_stack.logged_in()
    pipeline = ffi.new("NX_POP3_PIPELINE *")
    assert lib.nx_pop3_client_pipeline_start(s.client, pipeline, NULL, 0) == 0
    assert next_item(s) == lib.NX_NO_MORE_ENTRIES
    s.finish()


def test_a_refill_larger_than_one_packet_goes_in_several(netx_stack) -> None:
    # 64 RETR lines do not fit one 300-octet packet: each send takes what fits.
    count = 40
    exchanges = [("CAPA", PIPELINING)] + [(f"RETR {n}", retr(n)) for n in range(1, count + 1)]
    s, t = netx_stack.logged_in(*exchanges, payload_size=300)
    assert lib.nx_pop3_client_capabilities_get(s.client, NULL, NULL) == 0
    items = ffi.new("UINT[]", list(range(1, count + 1)))
    pipeline = ffi.new("NX_POP3_PIPELINE *")
    assert lib.nx_pop3_client_pipeline_start(s.client, pipeline, items, count) == 0
    for n in range(1, count + 1):
        assert next_item(s) == 0
        assert s.message()[:2] == (0, b"message %d\r\n" % n)
    assert next_item(s) == lib.NX_NO_MORE_ENTRIES
    s.finish()
