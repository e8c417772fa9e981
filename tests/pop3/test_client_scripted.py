"""The C client's API over the scripted transport: golden transcripts (exact
bytes sent, exact statuses), every segment boundary, timeouts on a virtual clock."""
from __future__ import annotations

import hashlib

import pytest

from nxpop3 import ffi, lib
from nxpop3.transport import (
    CLOSE,
    RESET,
    SILENCE,
    Delay,
    ScriptedTransport,
    one_byte_segments,
    split_at,
)

GREETING = b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"


# ---- login -------------------------------------------------------------------------------

def test_user_pass_login_sends_exactly_these_bytes(netx_stack) -> None:
    s, t = netx_stack.logged_in()
    assert bytes(t.sent) == b"USER alice\r\nPASS secret\r\n"
    assert s.client.nx_pop3_client_enable_APOP_authentication == 0
    s.finish()


def test_apop_digest_is_the_rfc_vector(netx_stack) -> None:
    t = ScriptedTransport(GREETING).expect("APOP", b"+OK maildrop locked\r\n")
    s = netx_stack(t)
    assert s.create(b"mrose", b"tanstaaf", apop=True) == lib.NX_SUCCESS
    assert bytes(t.sent) == b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
    assert s.client.nx_pop3_client_enable_APOP_authentication == 1
    s.finish()


def test_apop_with_the_greeting_split_at_every_byte(netx_stack) -> None:
    for cut in range(1, len(GREETING)):
        t = ScriptedTransport(split_at(GREETING, cut)).expect("APOP", b"+OK\r\n")
        s = netx_stack(t)
        assert s.create(b"mrose", b"tanstaaf", apop=True) == 0, cut
        assert t.commands == ["APOP mrose c4c9334bac560ecc979e58001b3e22fb"]
        s.finish()


def test_apop_refused_falls_back_to_user_pass_on_the_same_connection(netx_stack) -> None:
    t = ScriptedTransport(GREETING)
    t.expect("APOP", b"-ERR no APOP here\r\n").expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    s = netx_stack(t)
    assert s.create(apop=True) == lib.NX_SUCCESS
    assert [c.split()[0] for c in t.commands] == ["APOP", "USER", "PASS"]
    assert t._context.connects == 1
    assert s.client.nx_pop3_client_enable_APOP_authentication == 0
    s.finish()


def test_apop_without_a_timestamp_uses_user_pass(netx_stack) -> None:
    t = ScriptedTransport(b"+OK no stamp <here>\r\n")
    t.expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    s = netx_stack(t)
    assert s.create(apop=True) == 0
    assert t.commands == ["USER alice", "PASS secret"]
    s.finish()


def test_pass_rejected_fails_create_and_tears_down(netx_stack) -> None:
    # Reference defect 1: PASS answered -ERR returned NX_SUCCESS.
    # Reference defect 8: a failed create left a bound, connected socket.
    t = ScriptedTransport().expect("USER", b"+OK\r\n").expect("PASS", b"-ERR [AUTH] wrong\r\n")
    s = netx_stack(t)
    assert s.create() == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.reply_text == b"[AUTH] wrong"
    assert s.client.nx_pop3_client_last_command == lib.NX_POP3_COMMAND_PASS
    assert not t.connected and t.closes == 1
    assert s.client.nx_pop3_client_tcp_socket.nx_tcp_socket_bound == 0
    assert lib.nx_ip_delete(s.ip) == 0  # no socket left on the IP instance


def test_user_rejected_fails_create(netx_stack) -> None:
    t = ScriptedTransport().expect("USER", b"-ERR unknown\r\n")
    s = netx_stack(t)
    assert s.create() == lib.NX_POP3_SERVER_ERROR_STATUS
    assert t.commands == ["USER alice"]
    s.delete()


def test_err_greeting_ends_the_session_before_any_command(netx_stack) -> None:
    t = ScriptedTransport(b"-ERR [SYS/TEMP] busy\r\n")
    s = netx_stack(t)
    assert s.create() == lib.NX_POP3_SERVER_ERROR_STATUS
    assert t.sent == b"" and not t.connected
    assert s.client.nx_pop3_client_last_command == lib.NX_POP3_COMMAND_GREETING
    s.delete()


def test_apop_greeting_does_not_leak(netx_stack) -> None:
    # Reference defect 2: the greeting packet leaked when APOP was used.
    t = ScriptedTransport(GREETING).expect("APOP", b"+OK\r\n").expect("QUIT", b"+OK\r\n")
    s = netx_stack(t)
    assert s.create(b"mrose", b"tanstaaf", apop=True) == 0
    assert lib.nx_pop3_client_quit(s.client) == 0
    s.finish()
    assert s.pool.available == s.pool.total


@pytest.mark.parametrize("name,password", [
    (b"al\rice", b"pw"), (b"al\nice", b"pw"), (b"alice", b"p\r\nw"), (b"alice", b"pw\n"),
    (b"a" * 41, b"pw"), (b"alice", b"p" * 21),
])
def test_bad_credentials_are_refused_before_anything_is_sent(netx_stack, name, password) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    assert s.create(name, password) == lib.NX_POP3_PARAM_ERROR
    assert t._context.connects == 0 and t.sent == b""
    s.delete()


def test_nul_in_a_credential_is_refused_by_the_python_client() -> None:
    from nxpop3 import BadArgument, Client
    t = ScriptedTransport()
    with pytest.raises(BadArgument) as caught:
        Client("127.0.0.1", user="alice", password="pw\0x", transport=t)
    assert caught.value.status == lib.NX_POP3_PARAM_ERROR
    assert "pw" not in str(caught.value)
    assert t._context.connects == 0


def test_longest_credentials_fit(netx_stack) -> None:
    s, t = netx_stack.logged_in()
    s.finish()
    t = ScriptedTransport().expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    s = netx_stack(t)
    assert s.create(b"n" * 40, b"p" * 20) == 0
    s.finish()


# ---- replies -----------------------------------------------------------------------------

def test_stat_split_at_every_byte(netx_stack) -> None:
    # Reference defect 4: one segment was read per reply.
    reply = b"+OK 2 320\r\n"
    for cut in range(1, len(reply)):
        s, t = netx_stack.logged_in(("STAT", split_at(reply, cut)), ("NOOP", b"+OK\r\n"))
        count, total = ffi.new("UINT *"), ffi.new("ULONG *")
        assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == 0
        assert (count[0], total[0]) == (2, 320)
        assert lib.nx_pop3_client_noop(s.client) == 0  # still in step
        s.finish()


def test_greeting_and_login_one_byte_at_a_time(netx_stack) -> None:
    t = ScriptedTransport(one_byte_segments(b"+OK ready\r\n"))
    t.expect("USER", one_byte_segments(b"+OK\r\n")).expect("PASS", one_byte_segments(b"+OK\r\n"))
    s = netx_stack(t)
    assert s.create() == 0
    s.finish()


def test_list_reads_both_numbers_exactly(netx_stack) -> None:
    # Reference defect 3: "+OK 10 5" was read as size 50.
    s, t = netx_stack.logged_in(("LIST 10", b"+OK 10 5\r\n"))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_size_get(s.client, 10, size) == 0
    assert size[0] == 5
    assert t.commands[-1] == "LIST 10"
    s.finish()


def test_list_answered_for_another_index_is_a_protocol_error(netx_stack) -> None:
    s, t = netx_stack.logged_in(("LIST 2", b"+OK 3 100\r\n"))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_size_get(s.client, 2, size) == lib.NX_POP3_INDEX_MISMATCH
    assert not t.connected  # the session is closed after a violation
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_NOT_CONNECTED
    s.finish()


def test_two_spaces_between_fields_parse(netx_stack) -> None:
    # Reference defect 10: two spaces made an empty token.
    s, t = netx_stack.logged_in(("STAT", b"+OK  3   999\r\n"))
    count, total = ffi.new("UINT *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == 0
    assert (count[0], total[0]) == (3, 999)
    s.finish()


@pytest.mark.parametrize("reply,status", [
    (b"+OKAY 1 2\r\n", lib.NX_POP3_INVALID_REPLY),
    (b"+ERR\r\n", lib.NX_POP3_INVALID_REPLY),
    (b"+ok 1 2\r\n", lib.NX_POP3_INVALID_REPLY),
    (b"+OK 1\0 2\r\n", lib.NX_POP3_INVALID_REPLY),
    (b"\n", lib.NX_POP3_INVALID_REPLY),
    (b"+OK 1\r\n", lib.NX_POP3_INVALID_REPLY),
    (b"+OK one two\r\n", lib.NX_POP3_INVALID_REPLY),
    (b"+OK -1 5\r\n", lib.NX_POP3_NEGATIVE_NUMBER),
    (b"+OK 1 -5\r\n", lib.NX_POP3_NEGATIVE_NUMBER),
    (b"+OK 1 18446744073709551616\r\n", lib.NX_POP3_NUMBER_OVERFLOW),
    (b"+OK 4294967296 1\r\n", lib.NX_POP3_NUMBER_OVERFLOW),
    (b"+OK " + b"9" * 509 + b"\r\n", lib.NX_POP3_REPLY_TOO_LONG),
    (b"+OK " + b"x" * 65536 + b"\r\n", lib.NX_POP3_REPLY_TOO_LONG),
])
def test_malformed_stat_replies_get_their_own_codes(netx_stack, reply, status) -> None:
    s, t = netx_stack.logged_in(("STAT", reply))
    count, total = ffi.new("UINT *"), ffi.new("ULONG64 *")
    assert lib.nx_pop3_client_mail_items_get64(s.client, count, total) == status
    assert not t.connected
    s.finish()


def test_an_endless_status_line_stops_at_the_limit(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", [b"+OK "] + [b"y" * 100] * 10_000))
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_POP3_REPLY_TOO_LONG
    s.finish()


def test_sizes_beyond_32_bits(netx_stack) -> None:
    # Reference defect 9: 64-bit builds were excluded; here sizes never wrap.
    big = 2**40 + 7
    s, t = netx_stack.logged_in(("STAT", b"+OK 3 %d\r\n" % big), ("STAT", b"+OK 3 %d\r\n" % big),
                     ("LIST 1", b"+OK 1 %d\r\n" % big), ("LIST 1", b"+OK 1 %d\r\n" % big),
                     ("NOOP", b"+OK\r\n"))
    count, total, total64 = ffi.new("UINT *"), ffi.new("ULONG *"), ffi.new("ULONG64 *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == lib.NX_POP3_NUMBER_OVERFLOW
    assert lib.nx_pop3_client_mail_items_get64(s.client, count, total64) == 0
    assert (count[0], total64[0]) == (3, big)
    size, size64 = ffi.new("ULONG *"), ffi.new("ULONG64 *")
    assert lib.nx_pop3_client_mail_item_size_get(s.client, 1, size) == lib.NX_POP3_NUMBER_OVERFLOW
    assert lib.nx_pop3_client_mail_item_size_get64(s.client, 1, size64) == 0
    assert size64[0] == big
    assert lib.nx_pop3_client_noop(s.client) == 0  # a size too big for ULONG keeps the session
    s.finish()


def test_err_keeps_the_session_usable(netx_stack) -> None:
    s, t = netx_stack.logged_in(("DELE 1", b"-ERR no such message\r\n"), ("NOOP", b"+OK\r\n"))
    assert lib.nx_pop3_client_mail_item_delete(s.client, 1) == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.reply_text == b"no such message"
    assert lib.nx_pop3_client_noop(s.client) == 0
    s.finish()


def test_commands_are_upper_case_with_decimal_indexes(netx_stack) -> None:
    s, t = netx_stack.logged_in(("STAT", b"+OK 12 100\r\n"), ("DELE 12", b"+OK\r\n"),
                     ("RSET", b"+OK\r\n"), ("NOOP", b"+OK\r\n"), ("LIST 7", b"+OK 7 1\r\n"),
                     ("QUIT", b"+OK bye\r\n"))
    count, total, size = ffi.new("UINT *"), ffi.new("ULONG *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == 0
    assert lib.nx_pop3_client_mail_item_delete(s.client, 12) == 0
    assert lib.nx_pop3_client_reset(s.client) == 0
    assert lib.nx_pop3_client_noop(s.client) == 0
    assert lib.nx_pop3_client_mail_item_size_get(s.client, 7, size) == 0
    assert lib.nx_pop3_client_quit(s.client) == 0
    assert bytes(t.sent).split(b"\r\n")[2:] == [b"STAT", b"DELE 12", b"RSET", b"NOOP", b"LIST 7",
                                              b"QUIT", b""]
    assert not t.connected
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_POP3_CLIENT_INVALID_STATE
    s.finish()


def test_quit_refused_is_reported_and_still_ends_the_session(netx_stack) -> None:
    s, t = netx_stack.logged_in(("QUIT", b"-ERR deletions failed\r\n"))
    assert lib.nx_pop3_client_quit(s.client) == lib.NX_POP3_SERVER_ERROR_STATUS
    assert not t.connected
    s.finish()


# ---- indexes and the checking layer ------------------------------------------------------

def test_index_checks(netx_stack) -> None:
    no = b"-ERR no such message\r\n"
    s, t = netx_stack.logged_in(("STAT", b"+OK 2 10\r\n"), ("RETR 3", no), ("LIST 3", no),
                     ("DELE 3", no))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 0, size) == lib.NX_POP3_CLIENT_INVALID_INDEX
    assert lib.nx_pop3_client_mail_item_delete(s.client, 0) == lib.NX_POP3_CLIENT_INVALID_INDEX
    count, total = ffi.new("UINT *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == 0
    assert t.commands[-1] == "STAT"  # nothing was sent for index 0
    # Above the STAT count the server decides: it is asked, and its -ERR is the answer.
    for call in (lib.nx_pop3_client_mail_item_get, lib.nx_pop3_client_mail_item_size_get):
        assert call(s.client, 3, size) == lib.NX_POP3_SERVER_ERROR_STATUS
    assert lib.nx_pop3_client_mail_item_delete(s.client, 3) == lib.NX_POP3_SERVER_ERROR_STATUS
    assert t.commands[-3:] == ["RETR 3", "LIST 3", "DELE 3"]
    s.finish()


def test_message_numbers_never_change_after_dele_and_stat(netx_stack) -> None:
    # RFC 1939: after DELE 1, STAT counts 2 messages, but message 3 is still 3.
    s, t = netx_stack.logged_in(("STAT", b"+OK 3 30\r\n"), ("DELE 1", b"+OK\r\n"),
                     ("STAT", b"+OK 2 20\r\n"), ("LIST 3", b"+OK 3 10\r\n"),
                     ("RETR 3", [b"+OK 10 octets\r\nthird\r\n.\r\n"]))
    count, total, size = ffi.new("UINT *"), ffi.new("ULONG *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == 0
    assert lib.nx_pop3_client_mail_item_delete(s.client, 1) == 0
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == 0 and count[0] == 2
    assert lib.nx_pop3_client_mail_item_size_get(s.client, 3, size) == 0 and size[0] == 10
    assert lib.nx_pop3_client_mail_item_get(s.client, 3, size) == 0
    assert s.message() == (0, b"third\r\n", [7])
    s.finish()


def test_retr_works_without_stat(netx_stack) -> None:
    s, t = netx_stack.logged_in(("RETR 5", [b"+OK\r\nhi\r\n.\r\n"]))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 5, size) == 0
    assert size[0] == 0
    assert s.message() == (0, b"hi\r\n", [4])
    s.finish()


def test_the_core_without_checks_passes_index_0_to_the_server(netx_stack) -> None:
    # What a NX_DISABLE_ERROR_CHECKING build does: the public name is the core.
    s, t = netx_stack.logged_in(("RETR 0", b"-ERR no message 0\r\n"))
    size = ffi.new("ULONG *")
    assert lib._nx_pop3_client_mail_item_get(s.client, 0, size) == lib.NX_POP3_SERVER_ERROR_STATUS
    s.finish()


def test_null_pointers_and_bad_options(netx_stack) -> None:
    s, t = netx_stack.logged_in()
    null = ffi.NULL
    c = s.client
    assert lib.nx_pop3_client_mail_items_get(c, null, ffi.new("ULONG *")) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_mail_items_get(null, ffi.new("UINT *"),
                                             ffi.new("ULONG *")) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_mail_item_size_get(c, 1, null) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_mail_item_get(c, 1, null) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_mail_item_message_get(c, null, ffi.new("ULONG *"),
                                                    ffi.new("UINT *")) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_noop(null) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_reset(null) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_quit(null) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_delete(null) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_reply_timeout_set(c, 0) == lib.NX_OPTION_ERROR
    assert lib.nx_pop3_client_reply_timeout_set(c, 50) == lib.NX_SUCCESS
    s.finish()
    assert lib.nx_pop3_client_noop(c) == lib.NX_PTR_ERROR  # deleted


def test_create_argument_checks(netx_stack) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    name, pw = ffi.new("char[]", b"a"), ffi.new("char[]", b"b")
    c, ip, pool = s.client, s.ip, s.pool.pool
    assert lib.nx_pop3_client_create(c, 0, ip, pool, 0, 110, name, pw) == lib.NX_POP3_PARAM_ERROR
    assert lib.nx_pop3_client_create(c, 0, ip, pool, 0x7F000001, 0, name, pw) == \
        lib.NX_POP3_PARAM_ERROR
    assert lib.nx_pop3_client_create(c, 0, ffi.NULL, pool, 1, 110, name, pw) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_create(c, 0, ip, ffi.NULL, 1, 110, name, pw) == lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_create(c, 0, ip, pool, 1, 110, ffi.NULL, pw) == lib.NX_PTR_ERROR
    zero6 = ffi.new("NXD_ADDRESS *", {"nxd_ip_version": 6})
    assert lib.nxd_pop3_client_create(c, 0, ip, pool, zero6, 110, name, pw) == \
        lib.NX_POP3_PARAM_ERROR
    bad = ffi.new("NXD_ADDRESS *", {"nxd_ip_version": 5})
    assert lib.nxd_pop3_client_create(c, 0, ip, pool, bad, 110, name, pw) == \
        lib.NX_IP_ADDRESS_ERROR
    assert lib.nxd_pop3_client_create_ext(c, 0, ip, pool, s.address, 110, name, pw, 0, 10) == \
        lib.NX_OPTION_ERROR
    assert t._context.connects == 0
    s.delete()


def test_create_twice_is_refused(netx_stack) -> None:
    s, t = netx_stack.logged_in()
    assert s.create() == lib.NX_PTR_ERROR
    s.finish()


# ---- RETR bodies -------------------------------------------------------------------------

MAIL = (b"From: a@example.com\r\nSubject: test\r\n\r\n"
        b"..two dots\r\n.\r\n"  # lines that begin with dots: stuffed on the wire
        b"last line\r\n")


def wire_of(message: bytes) -> bytes:
    lines = message.split(b"\r\n")
    return b"\r\n".join(b"." + x if x.startswith(b".") else x for x in lines) + b".\r\n"


def test_body_is_unstuffed_and_the_terminator_not_counted(netx_stack) -> None:
    # Reference defect 6: bodies came back raw with the terminator counted.
    wire = b"+OK %d octets\r\n" % len(MAIL) + wire_of(MAIL)
    s, t = netx_stack.logged_in(("RETR 1", wire))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    assert size[0] == len(MAIL)
    status, message, pieces = s.message()
    assert (status, message) == (0, MAIL)
    assert sum(pieces) == len(MAIL)
    s.finish()


def test_terminator_and_every_crlf_split_at_every_offset(netx_stack) -> None:
    # Reference defect 5: a split terminator was missed; tiny packets were overread.
    body = wire_of(MAIL)
    for cut in range(1, len(body)):
        s, t = netx_stack.logged_in(("RETR 1", [b"+OK\r\n", *split_at(body, cut)]),
                         ("NOOP", b"+OK\r\n"))
        size = ffi.new("ULONG *")
        assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
        assert s.message()[:2] == (0, MAIL), cut
        assert lib.nx_pop3_client_noop(s.client) == 0
        s.finish()


def test_body_one_byte_per_segment(netx_stack) -> None:
    s, t = netx_stack.logged_in(("RETR 1", [b"+OK\r\n", *one_byte_segments(wire_of(MAIL))]))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    status, message, pieces = s.message()
    assert (status, message) == (0, MAIL)
    assert all(p <= 1 for p in pieces)  # never more than was received
    s.finish()


def test_status_line_and_body_in_one_segment(netx_stack) -> None:
    s, t = netx_stack.logged_in(("RETR 1", b"+OK 4\r\nab\r\n.\r\n"), ("NOOP", b"+OK\r\n"))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    assert size[0] == 4
    assert s.message_get() == (0, b"ab\r\n", 4, True)
    assert lib.nx_pop3_client_noop(s.client) == 0
    s.finish()


def test_retr_refused(netx_stack) -> None:
    s, t = netx_stack.logged_in(("RETR 9", b"-ERR no such message\r\n"), ("NOOP", b"+OK\r\n"))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 9, size) == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.message_get()[0] == lib.NX_POP3_CLIENT_INVALID_STATE
    assert lib.nx_pop3_client_noop(s.client) == 0
    s.finish()


def test_second_retr_before_the_body_is_read_is_refused_without_leaking(netx_stack) -> None:
    # Reference defect 7: a second RETR leaked the kept packet.
    s, t = netx_stack.logged_in(("RETR 1", [b"+OK\r\nfirst part ", b"second\r\n.\r\n"]),
                     ("RETR 2", b"+OK\r\nb\r\n.\r\n"))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    assert lib.nx_pop3_client_mail_item_get(s.client, 2, size) == lib.NX_POP3_CLIENT_INVALID_STATE
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_POP3_CLIENT_INVALID_STATE
    assert s.message() == (0, b"first part second\r\n", [11, 8])
    assert lib.nx_pop3_client_mail_item_get(s.client, 2, size) == 0
    assert s.message()[:2] == (0, b"b\r\n")
    s.finish()


def test_message_get_without_download(netx_stack) -> None:
    s, t = netx_stack.logged_in()
    assert s.message_get()[0] == lib.NX_POP3_CLIENT_INVALID_STATE
    s.finish()


def test_delete_while_downloading_releases_everything(netx_stack) -> None:
    s, t = netx_stack.logged_in(("RETR 1", b"+OK\r\npartial body"))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    assert s.client.nx_pop3_client_rx_packet != ffi.NULL  # body bytes are held
    s.finish()


def test_bytes_after_the_terminator_fail_the_next_command(netx_stack) -> None:
    # Unsolicited bytes after a body's end, in the same segment or the next:
    # the body is whole, and the next command fails before it is sent.
    for reply in ([b"+OK\r\nx\r\n.\r\n+OK unsolicited\r\n"],
                  [b"+OK\r\nx\r\n.\r\n", b"+OK unsolicited\r\n"]):
        s, t = netx_stack.logged_in(("RETR 1", reply), ("NOOP", b"+OK real\r\n"))
        size = ffi.new("ULONG *")
        assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
        assert s.message()[:2] == (0, b"x\r\n")
        assert lib.nx_pop3_client_noop(s.client) == lib.NX_POP3_UNEXPECTED_DATA
        assert t.commands[-1] == "RETR 1"  # NOOP never went out
        assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
        assert lib.nx_pop3_client_noop(s.client) == lib.NX_NOT_CONNECTED
        s.finish()


@pytest.mark.parametrize("split", [False, True])
def test_a_stray_status_line_is_never_taken_for_the_next_reply(netx_stack, split: bool) -> None:
    # The stray line arrives with the STAT reply or as a segment of its own:
    # either way the next command fails, nothing is off by one.
    stat = b"+OK 2 20\r\n"
    stray = b"-ERR stray\r\n"
    reply = [stat, stray] if split else [stat + stray]
    s, t = netx_stack.logged_in(("STAT", reply), ("NOOP", b"+OK\r\n"))
    count, total = ffi.new("UINT *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == 0
    assert (count[0], total[0]) == (2, 20)
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_POP3_UNEXPECTED_DATA
    assert t.commands[-1] == "STAT"
    s.finish()


def test_bytes_after_the_greeting_fail_the_login_before_a_credential_goes_out(netx_stack) -> None:
    for greeting in ([b"+OK hi\r\n+OK\r\n"], [b"+OK hi\r\n", b"+OK\r\n"]):
        t = ScriptedTransport(greeting)
        s = netx_stack(t)
        assert s.create() == lib.NX_POP3_UNEXPECTED_DATA
        assert bytes(t.sent) == b""
        assert lib.nx_ip_delete(s.ip) == 0


def test_a_peer_that_closed_after_a_reply_is_found_before_sending(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", [b"+OK\r\n", CLOSE]))
    assert lib.nx_pop3_client_noop(s.client) == 0
    assert lib.nx_pop3_client_reset(s.client) == lib.NX_NOT_CONNECTED
    assert t.commands[-1] == "NOOP"
    s.finish()


# ---- the reference's own regression scenarios --------------------------------------------

def test_reference_one_mail_in_three_82_byte_segments(netx_stack) -> None:
    head = b"From: x@y\r\nTo: z@w\r\nSubject: three segments\r\n\r\n"
    message = head + b"z" * (243 - len(head) - 2) + b"\r\n"
    wire = wire_of(message)
    assert len(wire) == 246 and wire.endswith(b"\r\n.\r\n")
    segments = [wire[0:82], wire[82:164], wire[164:246]]
    s, t = netx_stack.logged_in(("RETR 1", [b"+OK %d octets\r\n" % len(message), *segments]))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    assert size[0] == 243
    status, got, pieces = s.message()
    assert (status, got) == (0, message)
    assert pieces == [82, 82, 82 - 3]
    s.finish()


@pytest.mark.parametrize("last_segment,last_piece", [
    (b".\r\n", 0),        # the body segment already ended its last line
    (b"\r\n.\r\n", 2),    # the 5-byte terminator: its CRLF ends the last line (RFC 1939, 3)
])
def test_reference_two_mails_ending_with_a_terminator_segment(netx_stack, last_segment,
                                                              last_piece) -> None:
    first = b"Subject: one\r\n\r\nfirst mail" + (b"\r\n" if last_piece == 0 else b"")
    second = b"Subject: two\r\n\r\nsecond mail" + (b"\r\n" if last_piece == 0 else b"")
    s, t = netx_stack.logged_in(("RETR 1", [b"+OK\r\n", first, last_segment]),
                     ("RETR 2", [b"+OK\r\n", second, last_segment]))
    size = ffi.new("ULONG *")
    for n, _mail in ((1, first), (2, second)):
        assert lib.nx_pop3_client_mail_item_get(s.client, n, size) == 0
        assert s.message_get()[0] == 0
        status, data, count, final = s.message_get()
        assert (status, count, final) == (0, last_piece, True)
        assert data == (b"\r\n" if last_piece else b"")
    s.finish()


def test_reference_two_mails(netx_stack) -> None:
    mails = [b"Subject: a\r\n\r\nalpha\r\n", b"Subject: b\r\n\r\nbeta\r\n"]
    s, t = netx_stack.logged_in(("STAT", b"+OK 2 %d\r\n" % sum(map(len, mails))),
                     *[(f"RETR {i + 1}", b"+OK\r\n" + wire_of(m)) for i, m in enumerate(mails)],
                     ("QUIT", b"+OK\r\n"))
    count, total, size = ffi.new("UINT *"), ffi.new("ULONG *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == 0
    got = []
    for n in range(1, count[0] + 1):
        assert lib.nx_pop3_client_mail_item_get(s.client, n, size) == 0
        got.append(s.message()[1])
    assert got == mails
    assert lib.nx_pop3_client_quit(s.client) == 0
    s.finish()


def test_reference_parser_fed_a_single_line_feed(netx_stack) -> None:
    t = ScriptedTransport(b"\n")
    s = netx_stack(t)
    assert s.create() == lib.NX_POP3_INVALID_REPLY
    assert not t.connected
    s.delete()
    s, t = netx_stack.logged_in(("STAT", b"\n"))
    count, total = ffi.new("UINT *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == lib.NX_POP3_INVALID_REPLY
    s.finish()


# ---- time, closes and the pool -----------------------------------------------------------

def test_silent_greeting_times_out_after_the_reply_wait(netx_stack) -> None:
    t = ScriptedTransport(SILENCE)
    s = netx_stack(t)
    assert s.create(reply_wait=250) == lib.NX_NO_PACKET
    assert t.now == 250 and not t.connected
    s.delete()


def test_silent_reply_times_out_and_closes(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", SILENCE))
    start = t.now
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_NO_PACKET
    assert t.now - start == 1000
    assert not t.connected
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_NOT_CONNECTED
    s.finish()


def test_a_trickling_server_cannot_hold_a_reply_past_the_wait(netx_stack) -> None:
    # One byte every 300 ticks: each arrives within a 1000-tick wait, but the
    # whole line has 1000 ticks.
    trickle = []
    for byte in one_byte_segments(b"+OK 1 2\r\n"):
        trickle += [Delay(300), byte]
    s, t = netx_stack.logged_in(("STAT", trickle))
    count, total = ffi.new("UINT *"), ffi.new("ULONG *")
    start = t.now
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == lib.NX_NO_PACKET
    assert t.now - start <= 1000 + 300
    s.finish()


def test_body_timeout_can_be_waited_again(netx_stack) -> None:
    s, t = netx_stack.logged_in(("RETR 1", [b"+OK\r\nabc", SILENCE, b"def\r\n.\r\n"]))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    assert s.message_get() == (0, b"abc", 3, False)
    assert s.message_get()[0] == lib.NX_NO_PACKET
    assert s.message_get() == (0, b"def\r\n", 5, True)
    s.finish()


def test_reply_timeout_set_changes_the_wait(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", SILENCE))
    assert lib.nx_pop3_client_reply_timeout_set(s.client, 42) == 0
    start = t.now
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_NO_PACKET
    assert t.now - start == 42
    s.finish()


@pytest.mark.parametrize("end", [CLOSE, RESET])
def test_connection_closed_mid_reply(netx_stack, end) -> None:
    s, t = netx_stack.logged_in(("STAT", [b"+OK 1", end]))
    count, total = ffi.new("UINT *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == lib.NX_NOT_CONNECTED
    s.finish()


def test_connection_closed_mid_message(netx_stack) -> None:
    s, t = netx_stack.logged_in(("RETR 1", [b"+OK\r\nsome of the body", CLOSE]))
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    status, message, _ = s.message()
    assert status == lib.NX_NOT_CONNECTED and message == b"some of the body"
    assert s.message_get()[0] == lib.NX_POP3_CLIENT_INVALID_STATE
    s.finish()


@pytest.mark.parametrize("result,status", [
    (lib.NX_TRANSPORT_CLOSED, lib.NX_NOT_CONNECTED),
    (lib.NX_TRANSPORT_TIMEOUT, lib.NX_NOT_CONNECTED),
    (lib.NX_TRANSPORT_ERROR, lib.NX_NOT_CONNECTED),
])
def test_connect_failures(netx_stack, result, status) -> None:
    t = ScriptedTransport(connect=result)
    s = netx_stack(t)
    assert s.create(connect_wait=700) == status
    if result == lib.NX_TRANSPORT_TIMEOUT:
        assert t.now == 700
    s.delete()


def test_send_failure_closes_the_session(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", b"+OK\r\n"))
    t._closed = True  # the peer has gone: sends fail
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_NOT_CONNECTED
    s.finish()


def test_send_that_never_completes_is_a_window_overflow(netx_stack) -> None:
    t = ScriptedTransport(send_limit=0)
    s = netx_stack(t)
    assert s.create() == lib.NX_WINDOW_OVERFLOW
    s.delete()


def test_empty_pool_at_a_command_leaves_the_session_usable(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", b"+OK\r\n"))
    taken = []
    packet = ffi.new("NX_PACKET **")
    while lib.nx_packet_allocate(s.pool.pool, packet, 0, 0) == 0:
        taken.append(packet[0])
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_NO_PACKET
    assert t.commands[-1] == "PASS secret"  # nothing was sent
    for p in taken:
        lib.nx_packet_release(p)
    assert lib.nx_pop3_client_noop(s.client) == 0
    s.finish()


def test_empty_receive_pool_fails_the_reply_without_leaking(netx_stack) -> None:
    from nxpop3 import PacketPool
    ip_pool = PacketPool(payload_size=256, count=1)
    t = ScriptedTransport().expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    t.expect("RETR 1", [b"+OK\r\nbody", b" more\r\n.\r\n"])
    s = netx_stack(t, ip_pool=ip_pool)
    assert s.create() == 0
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == 0
    status, data, _, _ = s.message_get()
    assert (status, data) == (0, b"body")
    # Hold the only receive packet: the next receive finds the pool empty.
    held = ffi.new("NX_PACKET **")
    assert lib.nx_packet_allocate(ip_pool.pool, held, 0, 0) == 0
    assert s.message_get()[0] == lib.NX_NO_PACKET
    lib.nx_packet_release(held[0])
    assert s.message_get() == (0, b" more\r\n", 7, True)
    s.finish()


@pytest.mark.parametrize("payload", [64, 80])
def test_command_larger_than_a_packet(netx_stack, payload) -> None:
    from nxpop3 import PacketPool
    ip_pool = PacketPool(payload_size=1536, count=4)
    t = ScriptedTransport()
    s = netx_stack(t, payload_size=payload, count=4, ip_pool=ip_pool)
    assert s.create() == lib.NX_POP3_INSUFFICIENT_PACKET_PAYLOAD
    s.delete()


def test_apop_digest_matches_hashlib_for_other_secrets(netx_stack) -> None:
    stamp = b"<4711.1234@host.example>"
    t = ScriptedTransport(b"+OK hello " + stamp + b"\r\n").expect("APOP", b"+OK\r\n")
    s = netx_stack(t)
    assert s.create(b"bob", b"p@ss w0rd", apop=True) == 0
    assert t.commands == ["APOP bob " + hashlib.md5(stamp + b"p@ss w0rd").hexdigest()]
    s.finish()
