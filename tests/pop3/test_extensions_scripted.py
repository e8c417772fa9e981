"""The extensions through the C API over the scripted transport: CAPA, LIST and
UIDL listings, UIDL n, TOP, UTF8, response codes and pipelined RETR batches;
exact bytes sent, exact statuses, every segment boundary, every violation a
protocol-violation code with the connection closed."""
from __future__ import annotations

import pytest

import nxpop3.client  # noqa: F401  (registers the listing callbacks the C client calls)
from nxpop3 import ffi, lib
from nxpop3.transport import CLOSE, ScriptedTransport, one_byte_segments, split_at


def every_split(reply: bytes) -> list[list[bytes]]:
    return [[reply]] + [split_at(reply, cut) for cut in range(1, len(reply))] + \
        [one_byte_segments(reply)]


def capa(s) -> tuple[int, dict[str, str]]:
    lines: dict[str, list[str]] = {}
    status = lib.nx_pop3_client_capabilities_get(s.client, lib.nxpop3_capa_line,
                                                 ffi.new_handle(lines))
    return status, lines


def listing(s, uidl: bool = False) -> tuple[int, list]:
    entries: list = []
    handle = ffi.new_handle(entries)
    if uidl:
        status = lib.nx_pop3_client_mail_items_uidl(s.client, lib.nxpop3_uidl_entry, handle)
    else:
        status = lib.nx_pop3_client_mail_items_list(s.client, lib.nxpop3_list_entry, handle)
    return status, entries


# ---- CAPA ------------------------------------------------------------------------------------

CAPA = (b"+OK Capability list follows\r\nTOP\r\nuidl\r\nSASL PLAIN  LOGIN\r\n\r\n"
        b"PIPELINING\r\nIMPLEMENTATION some server\r\nX-UNKNOWN 1 2\r\n.\r\n")


def test_capa_lines_and_summary_at_every_split(netx_stack) -> None:
    for segments in every_split(CAPA):
        s, t = netx_stack.logged_in(("CAPA", segments), ("NOOP", b"+OK\r\n"))
        assert capa(s) == (0, {"TOP": [], "UIDL": [], "SASL": ["PLAIN", "LOGIN"],
                               "PIPELINING": [], "IMPLEMENTATION": ["some", "server"],
                               "X-UNKNOWN": ["1", "2"]})
        caps = s.client.nx_pop3_client_capabilities
        assert caps == (lib.NX_POP3_CAPABILITY_ASKED | lib.NX_POP3_CAPABILITY_TOP |
                        lib.NX_POP3_CAPABILITY_UIDL | lib.NX_POP3_CAPABILITY_SASL |
                        lib.NX_POP3_CAPABILITY_PIPELINING |
                        lib.NX_POP3_CAPABILITY_IMPLEMENTATION)
        assert lib.nx_pop3_client_noop(s.client) == 0  # the session goes on in step
        s.finish()


def test_capa_before_login_and_err_means_none(netx_stack) -> None:
    t = ScriptedTransport().expect("CAPA", b"-ERR what?\r\n").expect("QUIT", b"+OK\r\n")
    s = netx_stack(t)
    assert s.connect() == 0
    assert capa(s) == (0, {})
    assert s.client.nx_pop3_client_capabilities == lib.NX_POP3_CAPABILITY_ASKED
    assert lib.nx_pop3_client_quit(s.client) == 0
    s.finish()


def test_capa_callback_may_be_null(netx_stack) -> None:
    s, t = netx_stack.logged_in(("CAPA", CAPA))
    assert lib.nx_pop3_client_capabilities_get(s.client, ffi.NULL, ffi.NULL) == 0
    assert s.client.nx_pop3_client_capabilities & lib.NX_POP3_CAPABILITY_PIPELINING
    s.finish()


@pytest.mark.parametrize("body,status", [
    (b"X\r\n" * (64 + 1), "NX_POP3_REPLY_TOO_LONG"),                 # too many lines
    (b"X " + b"a" * 300 + b"\r\n", "NX_POP3_REPLY_TOO_LONG"),        # a line too long
])
def test_capa_is_bounded_in_lines_and_bytes(netx_stack, body: bytes, status: str) -> None:
    s, t = netx_stack.logged_in(("CAPA", b"+OK\r\n" + body + b".\r\n"))
    assert capa(s)[0] == getattr(lib, status)
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
    s.finish()


def test_a_capa_cut_short_closes_the_connection(netx_stack) -> None:
    s, t = netx_stack.logged_in(("CAPA", [b"+OK\r\nTOP\r\n", CLOSE]))
    assert capa(s)[0] == lib.NX_NOT_CONNECTED
    s.finish()


# ---- LIST and UIDL listings -------------------------------------------------------------------

LIST = b"+OK 3 messages\r\n3 120\r\n1 20 extra info\r\n7 18446744073709551615\r\n.\r\n"
UIDL = b"+OK\r\n2 whqtswO00WBw418f9t5JxYwZ\r\n1 QhdPYR:00WBw1Ph7x7\r\n" + \
    b"9 " + b"~" * 70 + b"\r\n.\r\n"


def test_list_entries_in_server_order_at_every_split(netx_stack) -> None:
    for segments in every_split(LIST):
        s, t = netx_stack.logged_in(("LIST", segments), ("NOOP", b"+OK\r\n"))
        assert listing(s) == (0, [(3, 120), (1, 20), (7, 2**64 - 1)])
        assert t.commands[-1] == "LIST"  # without an argument
        assert lib.nx_pop3_client_noop(s.client) == 0
        s.finish()


def test_uidl_entries_at_every_split(netx_stack) -> None:
    for segments in every_split(UIDL):
        s, t = netx_stack.logged_in(("UIDL", segments))
        assert listing(s, uidl=True) == (0, [(2, "whqtswO00WBw418f9t5JxYwZ"),
                                             (1, "QhdPYR:00WBw1Ph7x7"), (9, "~" * 70)])
        s.finish()


def test_an_empty_listing(netx_stack) -> None:
    s, t = netx_stack.logged_in(("LIST", b"+OK 0 messages\r\n.\r\n"),
                     ("UIDL", b"+OK\r\n.\r\n"))
    assert listing(s) == (0, [])
    assert listing(s, uidl=True) == (0, [])
    s.finish()


def test_a_long_listing_in_constant_memory(netx_stack) -> None:
    body = b"".join(b"%d %d\r\n" % (n, n * 10) for n in range(1, 5001))
    s, t = netx_stack.logged_in(("LIST", [b"+OK\r\n", body, b".\r\n"]))
    status, entries = listing(s)
    assert status == 0 and len(entries) == 5000 and entries[-1] == (5000, 50000)
    s.finish()


@pytest.mark.parametrize("line,status", [
    (b"1", "NX_POP3_INVALID_REPLY"),                      # no size
    (b"x 10", "NX_POP3_INVALID_REPLY"),                   # not a number
    (b"0 10", "NX_POP3_INVALID_REPLY"),                   # no message 0
    (b"1 1x", "NX_POP3_INVALID_REPLY"),
    (b"-1 10", "NX_POP3_NEGATIVE_NUMBER"),
    (b"1 -10", "NX_POP3_NEGATIVE_NUMBER"),
    (b"4294967296 10", "NX_POP3_NUMBER_OVERFLOW"),        # beyond a UINT message number
    (b"1 18446744073709551616", "NX_POP3_NUMBER_OVERFLOW"),
    (b"1 " + b"9" * 300, "NX_POP3_REPLY_TOO_LONG"),       # beyond the listing line
])
def test_bad_list_lines_are_protocol_violations(netx_stack, line: bytes, status: str) -> None:
    s, t = netx_stack.logged_in(("LIST", b"+OK\r\n1 5\r\n" + line + b"\r\n2 6\r\n.\r\n"))
    result, entries = listing(s)
    assert result == getattr(lib, status)
    assert entries == [(1, 5)]  # what came before the bad line was delivered
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
    s.finish()


@pytest.mark.parametrize("uid", [
    b"", b"~" * 71, b"with space", b"tab\there", b"\x7f", b"caf\xc3\xa9", b"two  spaces",
])
def test_bad_uids_are_protocol_violations(netx_stack, uid: bytes) -> None:
    s, t = netx_stack.logged_in(("UIDL", b"+OK\r\n1 " + uid + b"\r\n.\r\n"))
    assert listing(s, uidl=True) == (lib.NX_POP3_INVALID_REPLY, [])
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
    s.finish()


def test_listings_are_refused_before_login_and_send_nothing(netx_stack) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    assert s.connect() == 0
    assert listing(s)[0] == lib.NX_POP3_CLIENT_INVALID_STATE
    assert listing(s, uidl=True)[0] == lib.NX_POP3_CLIENT_INVALID_STATE
    assert bytes(t.sent) == b""
    s.finish()


# ---- UIDL n -------------------------------------------------------------------------------------

def uid_get(s, n: int, size: int = 71) -> tuple[int, bytes]:
    uid = ffi.new("CHAR[]", size)
    status = lib.nx_pop3_client_mail_item_uid_get(s.client, n, uid, size)
    return status, ffi.string(uid)


def test_uidl_n_at_every_split(netx_stack) -> None:
    reply = b"+OK 2 whqtswO00WBw418f9t5JxYwZ\r\n"
    for segments in every_split(reply):
        s, t = netx_stack.logged_in(("UIDL 2", segments), ("NOOP", b"+OK\r\n"))
        assert uid_get(s, 2) == (0, b"whqtswO00WBw418f9t5JxYwZ")
        assert lib.nx_pop3_client_noop(s.client) == 0
        s.finish()


@pytest.mark.parametrize("reply,status", [
    (b"+OK 3 abc\r\n", "NX_POP3_INDEX_MISMATCH"),
    (b"+OK 2\r\n", "NX_POP3_INVALID_REPLY"),
    (b"+OK 2 abc def\r\n", "NX_POP3_INVALID_REPLY"),
    (b"+OK 2 " + b"u" * 71 + b"\r\n", "NX_POP3_INVALID_REPLY"),
    (b"+OK x abc\r\n", "NX_POP3_INVALID_REPLY"),
])
def test_bad_uidl_n_replies(netx_stack, reply: bytes, status: str) -> None:
    s, t = netx_stack.logged_in(("UIDL 2", reply))
    assert uid_get(s, 2) == (getattr(lib, status), b"")
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
    s.finish()


def test_uidl_n_err_and_arguments(netx_stack) -> None:
    s, t = netx_stack.logged_in(("UIDL 5", b"-ERR no such message\r\n"), ("NOOP", b"+OK\r\n"))
    assert uid_get(s, 5)[0] == lib.NX_POP3_SERVER_ERROR_STATUS
    assert uid_get(s, 0)[0] == lib.NX_POP3_CLIENT_INVALID_INDEX
    assert uid_get(s, 1, size=70)[0] == lib.NX_SIZE_ERROR   # no room for 70 + NUL
    assert lib.nx_pop3_client_noop(s.client) == 0
    s.finish()


# ---- TOP and UTF8 -------------------------------------------------------------------------------

def test_top_reads_like_retr_at_every_split(netx_stack) -> None:
    reply = b"+OK\r\nSubject: x\r\n\r\n..dot\r\nline\r\n.\r\n"
    for segments in every_split(reply):
        s, t = netx_stack.logged_in(("TOP 4 2", segments), ("NOOP", b"+OK\r\n"))
        assert lib.nx_pop3_client_mail_item_top_get(s.client, 4, 2) == 0
        assert s.message()[:2] == (0, b"Subject: x\r\n\r\n.dot\r\nline\r\n")
        assert lib.nx_pop3_client_noop(s.client) == 0
        s.finish()


def test_top_arguments_and_refusal(netx_stack) -> None:
    s, t = netx_stack.logged_in(("TOP 1 0", b"-ERR no\r\n"), ("NOOP", b"+OK\r\n"))
    assert lib.nx_pop3_client_mail_item_top_get(s.client, 0, 1) == \
        lib.NX_POP3_CLIENT_INVALID_INDEX
    assert lib.nx_pop3_client_mail_item_top_get(s.client, 1, 0) == \
        lib.NX_POP3_SERVER_ERROR_STATUS
    assert lib.nx_pop3_client_noop(s.client) == 0
    s.finish()


def test_utf8_only_in_authorization(netx_stack) -> None:
    t = ScriptedTransport().expect("UTF8", b"+OK UTF8 enabled\r\n")
    t.expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    s = netx_stack(t)
    assert s.connect() == 0
    assert lib.nx_pop3_client_utf8(s.client) == 0
    assert s.login() == 0
    assert lib.nx_pop3_client_utf8(s.client) == lib.NX_POP3_CLIENT_INVALID_STATE
    assert t.commands == ["UTF8", "USER alice", "PASS secret"]
    s.finish()


# ---- response codes -----------------------------------------------------------------------------

@pytest.mark.parametrize("text,code", [
    (b"[IN-USE] locked", "NX_POP3_RESPONSE_IN_USE"),
    (b"[in-use] locked", "NX_POP3_RESPONSE_IN_USE"),
    (b"[LOGIN-DELAY] wait", "NX_POP3_RESPONSE_LOGIN_DELAY"),
    (b"[SYS/TEMP] later", "NX_POP3_RESPONSE_SYS_TEMP"),
    (b"[sys/temp/disk] later", "NX_POP3_RESPONSE_SYS_TEMP"),
    (b"[SYS/PERM] never", "NX_POP3_RESPONSE_SYS_PERM"),
    (b"[AUTH] wrong", "NX_POP3_RESPONSE_AUTH"),
    (b"[UTF8] needed", "NX_POP3_RESPONSE_UTF8"),
    (b"[SYS] vague", "NX_POP3_RESPONSE_OTHER"),
    (b"[AUTHX] no", "NX_POP3_RESPONSE_OTHER"),
    (b"[X-VENDOR/THING] x", "NX_POP3_RESPONSE_OTHER"),
    (b"no code", "NX_POP3_RESPONSE_NONE"),
    (b"[IN USE] space", "NX_POP3_RESPONSE_NONE"),
    (b"[IN-USE no bracket", "NX_POP3_RESPONSE_NONE"),
    (b"[] empty", "NX_POP3_RESPONSE_NONE"),
    (b"[" + b"A" * 40 + b"] long", "NX_POP3_RESPONSE_NONE"),
])
def test_response_code_of_every_err(netx_stack, text: bytes, code: str) -> None:
    reply = b"-ERR " + text + b"\r\n"
    for segments in (reply, one_byte_segments(reply)):
        s, t = netx_stack.logged_in(("NOOP", segments), ("NOOP", b"+OK\r\n"))
        assert lib.nx_pop3_client_noop(s.client) == lib.NX_POP3_SERVER_ERROR_STATUS
        assert s.client.nx_pop3_client_response_code == getattr(lib, code)
        assert lib.nx_pop3_client_noop(s.client) == 0
        assert s.client.nx_pop3_client_response_code == lib.NX_POP3_RESPONSE_NONE
        s.finish()


def test_a_refused_login_keeps_its_code(netx_stack) -> None:
    t = ScriptedTransport().expect("USER", b"+OK\r\n").expect("PASS", b"-ERR [IN-USE] busy\r\n")
    s = netx_stack(t)
    assert s.create() == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.client.nx_pop3_client_response_code == lib.NX_POP3_RESPONSE_IN_USE
    assert lib.nx_ip_delete(s.ip) == 0


# ---- pipelined batches --------------------------------------------------------------------------

PIPELINING_CAPA = b"+OK\r\nPIPELINING\r\n.\r\n"


def body(n: int) -> bytes:
    return b"Subject: %d\r\n\r\n.line of %d\r\n" % (n, n)


def retr_reply(n: int) -> bytes:
    return b"+OK %d octets\r\n" % len(body(n)) + body(n).replace(b"\r\n.", b"\r\n..") + b".\r\n"


class Batch:
    def __init__(self, s, numbers: list[int]) -> None:
        self.s = s
        self.items = ffi.new("UINT[]", numbers or [0])
        self.pipeline = ffi.new("NX_POP3_PIPELINE *")
        self.status = lib.nx_pop3_client_pipeline_start(s.client, self.pipeline, self.items,
                                                        len(numbers))

    def next(self) -> tuple[int, int, bytes | None]:
        item, size = ffi.new("UINT *"), ffi.new("ULONG64 *")
        status = lib.nx_pop3_client_pipeline_next(self.s.client, item, size)
        data = None
        if status == 0:
            result, data, _ = self.s.message()
            assert result == 0
        return status, int(item[0]), data


def test_a_batch_sends_ahead_within_the_window(netx_stack) -> None:
    numbers = list(range(1, 13))
    exchanges = [("CAPA", PIPELINING_CAPA)] + [(f"RETR {n}", retr_reply(n)) for n in numbers]
    s, t = netx_stack.logged_in(*exchanges, ("NOOP", b"+OK\r\n"))
    assert capa(s)[0] == 0
    batch = Batch(s, numbers)
    assert batch.status == 0
    window = lib.NX_POP3_PIPELINE_WINDOW
    for k, n in enumerate(numbers):
        assert batch.next() == (0, n, body(n))
        retrs = [c for c in t.commands if c.startswith("RETR")]
        assert len(retrs) == min(len(numbers), k + window)  # never more than the window ahead
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_POP3_CLIENT_INVALID_STATE
    assert batch.next()[0] == lib.NX_NO_MORE_ENTRIES
    assert lib.nx_pop3_client_noop(s.client) == 0  # the batch is over
    s.finish()


def test_a_long_batch_keeps_its_window_and_sends_few_packets(netx_stack) -> None:
    numbers = list(range(1, 301))
    exchanges = [("CAPA", PIPELINING_CAPA)] + [(f"RETR {n}", retr_reply(n)) for n in numbers]
    s, t = netx_stack.logged_in(*exchanges)
    assert capa(s)[0] == 0
    sends_before = t.sends
    batch = Batch(s, numbers)
    window = lib.NX_POP3_PIPELINE_WINDOW
    for k, n in enumerate(numbers):
        assert batch.next() == (0, n, body(n))
        in_flight = len([c for c in t.commands if c.startswith("RETR")]) - k
        assert 1 <= in_flight <= window  # never more than the window unanswered
    assert batch.next()[0] == lib.NX_NO_MORE_ENTRIES
    # One packet per refill of half a window, not one per message.
    assert t.sends - sends_before <= 2 * len(numbers) // window + 2
    s.finish()


def test_a_batch_refuses_message_0_before_anything_goes_out(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", b"+OK\r\n"))
    assert Batch(s, [1, 0, 2]).status == lib.NX_POP3_CLIENT_INVALID_INDEX
    assert lib.nx_pop3_client_noop(s.client) == 0
    assert t.commands[-1] == "NOOP"
    s.finish()


def test_without_pipelining_a_batch_goes_one_at_a_time(netx_stack) -> None:
    numbers = [3, 1, 2]
    s, t = netx_stack.logged_in(*[(f"RETR {n}", retr_reply(n)) for n in numbers])
    batch = Batch(s, numbers)
    for k, n in enumerate(numbers):
        assert batch.next() == (0, n, body(n))
        assert len([c for c in t.commands if c.startswith("RETR")]) == k + 1
    assert batch.next()[0] == lib.NX_NO_MORE_ENTRIES
    s.finish()


def test_replies_in_one_segment_or_byte_by_byte_lose_nothing(netx_stack) -> None:
    numbers = [1, 2, 3]
    stream = b"".join(retr_reply(n) for n in numbers)
    for split in ("together", "bytes"):
        t = ScriptedTransport()
        t.expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n").expect("CAPA", PIPELINING_CAPA)
        # All replies arrive with the first RETR's: the server answered ahead.
        t.expect("RETR 1", [stream] if split == "together" else one_byte_segments(stream))
        t.expect("RETR 2", b"").expect("RETR 3", b"")
        s = netx_stack(t)
        assert s.create() == 0 and capa(s)[0] == 0
        batch = Batch(s, numbers)
        assert [batch.next() for _ in numbers] == [(0, n, body(n)) for n in numbers]
        assert batch.next()[0] == lib.NX_NO_MORE_ENTRIES
        s.finish()


def test_an_err_in_a_batch_is_that_message_only(netx_stack) -> None:
    s, t = netx_stack.logged_in(("CAPA", PIPELINING_CAPA), ("RETR 1", retr_reply(1)),
                     ("RETR 9", b"-ERR [SYS/TEMP] no such message\r\n"),
                     ("RETR 2", retr_reply(2)))
    assert capa(s)[0] == 0
    batch = Batch(s, [1, 9, 2])
    assert batch.next() == (0, 1, body(1))
    assert batch.next() == (lib.NX_POP3_SERVER_ERROR_STATUS, 9, None)
    assert s.client.nx_pop3_client_response_code == lib.NX_POP3_RESPONSE_SYS_TEMP
    assert batch.next() == (0, 2, body(2))
    assert batch.next()[0] == lib.NX_NO_MORE_ENTRIES
    s.finish()


def test_a_batch_cut_mid_body_ends_loudly(netx_stack) -> None:
    s, t = netx_stack.logged_in(("CAPA", PIPELINING_CAPA),
                     ("RETR 1", [retr_reply(1)[:-9], CLOSE]), ("RETR 2", retr_reply(2)))
    assert capa(s)[0] == 0
    batch = Batch(s, [1, 2])
    item, size = ffi.new("UINT *"), ffi.new("ULONG64 *")
    assert lib.nx_pop3_client_pipeline_next(s.client, item, size) == 0
    assert s.message()[0] == lib.NX_NOT_CONNECTED
    assert batch.next()[0] == lib.NX_NOT_CONNECTED
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_NOT_CONNECTED
    s.finish()


def test_bytes_after_the_last_reply_of_a_batch_are_unsolicited(netx_stack) -> None:
    s, t = netx_stack.logged_in(("CAPA", PIPELINING_CAPA),
                     ("RETR 1", retr_reply(1) + b"+OK stray\r\n"), ("NOOP", b"+OK\r\n"))
    assert capa(s)[0] == 0
    batch = Batch(s, [1])
    assert batch.next() == (0, 1, body(1))
    assert batch.next()[0] == lib.NX_NO_MORE_ENTRIES
    assert lib.nx_pop3_client_noop(s.client) == lib.NX_POP3_UNEXPECTED_DATA
    s.finish()


def test_batch_arguments(netx_stack) -> None:
    s, t = netx_stack.logged_in(("NOOP", b"+OK\r\n"))
    empty = Batch(s, [])
    assert empty.status == 0 and empty.next()[0] == lib.NX_NO_MORE_ENTRIES
    item, size = ffi.new("UINT *"), ffi.new("ULONG64 *")
    assert lib.nx_pop3_client_pipeline_next(s.client, item, size) == \
        lib.NX_POP3_CLIENT_INVALID_STATE  # no batch
    zero = Batch(s, [0])
    assert zero.status == lib.NX_POP3_CLIENT_INVALID_INDEX
    assert lib.nx_pop3_client_noop(s.client) == 0
    assert lib.nx_pop3_client_pipeline_start(s.client, ffi.NULL, ffi.NULL, 0) == lib.NX_PTR_ERROR
    s.finish()
