"""The status-line parser (csrc/pop3/nx_pop3_reply.c), byte-driven and pure."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from nxpop3 import ffi, lib

INVALID = lib.NX_POP3_INVALID_REPLY
OVERFLOW = lib.NX_POP3_NUMBER_OVERFLOW
NEGATIVE = lib.NX_POP3_NEGATIVE_NUMBER


class Parsed:
    def __init__(self, data: bytes, cuts: Sequence[int] = (), text_size: int = 96,
                 stamp: bool = False, allow_continue: bool = False) -> None:
        self.reply = ffi.new("NX_POP3_REPLY *")
        self.text = ffi.new("CHAR[]", text_size)
        lib._nx_pop3_reply_start(self.reply, self.text, text_size)
        # APOP's timestamp finder (nx_pop3_auth.c) is a sink of the text bytes.
        self.stamp = ffi.new("NX_POP3_APOP_STAMP *") if stamp else ffi.NULL
        if stamp:
            lib._nx_pop3_apop_stamp_start(self.stamp)
            lib._nx_pop3_reply_sink_set(self.reply,
                                        ffi.addressof(lib, "_nx_pop3_apop_stamp_byte"),
                                        self.stamp)
        if allow_continue:
            lib._nx_pop3_reply_continuation_allow(self.reply, 0)
        self.used = 0
        bounds = [0, *cuts, len(data)]
        for a, b in zip(bounds, bounds[1:]):
            piece = data[a:b]
            taken = lib._nx_pop3_reply_feed(self.reply, piece, len(piece))
            self.used += taken
            if taken < len(piece):
                break

    @property
    def state(self) -> int:
        return int(self.reply.state)

    @property
    def error(self) -> int:
        return int(self.reply.error)

    @property
    def ok(self) -> bool:
        return self.reply.status == lib.NX_POP3_REPLY_IS_OK

    def number(self, index: int) -> tuple[int, int | None]:
        value = ffi.new("ULONG64 *")
        status = lib._nx_pop3_reply_number(self.reply, index, value)
        return status, (int(value[0]) if status == 0 else None)

    def word(self, index: int) -> bytes | None:
        start, length = ffi.new("UINT *"), ffi.new("UINT *")
        if lib._nx_pop3_reply_word(self.reply, index, start, length) != 0:
            return None
        return ffi.buffer(self.text, len(self.text))[start[0]:start[0] + length[0]]

    def digest(self, secret: bytes) -> str | None:
        hex_digest = ffi.new("CHAR[33]")
        if lib._nx_pop3_apop_digest(self.stamp, secret, hex_digest) != 0:
            return None
        assert not any(bytes(ffi.buffer(self.stamp)))  # wiped once used
        return ffi.string(hex_digest).decode()


@pytest.mark.parametrize("line,ok", [
    (b"+OK\r\n", True), (b"+OK done\r\n", True), (b"-ERR\r\n", False),
    (b"-ERR [IN-USE] locked\r\n", False),
])
def test_valid_status_lines(line: bytes, ok: bool) -> None:
    parsed = Parsed(line)
    assert parsed.state == lib.NX_POP3_REPLY_DONE
    assert parsed.ok is ok
    assert parsed.used == len(line)


@pytest.mark.parametrize("line", [
    b"+OKAY\r\n", b"+ERR x\r\n", b"+ok\r\n", b"-err\r\n", b"OK\r\n", b"+OK\0\r\n",
    b"\n", b"+OK\n", b"+OK x\ry\r\n", b"+O\r\n", b" +OK\r\n", b"-ERRX\r\n",
])
def test_status_lines_that_are_protocol_errors(line: bytes) -> None:
    parsed = Parsed(line)
    assert parsed.state == lib.NX_POP3_REPLY_FAILED
    assert parsed.error == lib.NX_POP3_INVALID_REPLY


def test_a_line_of_512_octets_passes_and_513_fails() -> None:
    base = b"+OK "
    fits = base + b"x" * (512 - len(base) - 2) + b"\r\n"
    assert len(fits) == 512 and Parsed(fits).state == lib.NX_POP3_REPLY_DONE
    over = base + b"x" * (513 - len(base) - 2) + b"\r\n"
    parsed = Parsed(over)
    assert parsed.state == lib.NX_POP3_REPLY_FAILED
    assert parsed.error == lib.NX_POP3_REPLY_TOO_LONG
    assert parsed.used == 513  # it stops at the first octet too many


def test_the_parser_stops_after_the_line() -> None:
    data = b"+OK 3 octets\r\nbody bytes"
    parsed = Parsed(data)
    assert parsed.used == len(b"+OK 3 octets\r\n")


@pytest.mark.parametrize("line,first,second", [
    (b"+OK 2 320\r\n", (0, 2), (0, 320)),
    (b"+OK 2  320\r\n", (0, 2), (0, 320)),          # reference defect 10: two spaces
    (b"+OK   7 0 extra\r\n", (0, 7), (0, 0)),
    (b"+OK 10 5\r\n", (0, 10), (0, 5)),              # reference defect 3: not 50
    (b"+OK 1 18446744073709551615\r\n", (0, 1), (0, 2**64 - 1)),
    (b"+OK 1 18446744073709551616\r\n", (0, 1), (OVERFLOW, None)),
    (b"+OK 1 99999999999999999999999\r\n", (0, 1), (OVERFLOW, None)),
    (b"+OK -1 5\r\n", (NEGATIVE, None), (0, 5)),
    (b"+OK 1 -0\r\n", (0, 1), (NEGATIVE, None)),
    (b"+OK 1\r\n", (0, 1), (INVALID, None)),
    (b"+OK\r\n", (INVALID, None), (INVALID, None)),
    (b"+OK 1x 2\r\n", (INVALID, None), (0, 2)),
    (b"+OK - 2\r\n", (INVALID, None), (0, 2)),
    (b"+OK 4294967296 1\r\n", (0, 2**32), (0, 1)),
])
def test_numbers_parse_into_64_bits_without_wrapping(line: bytes, first: tuple,
                                                     second: tuple) -> None:
    parsed = Parsed(line)
    assert parsed.state == lib.NX_POP3_REPLY_DONE
    assert parsed.number(0) == first
    assert parsed.number(1) == second


def test_text_is_kept_without_the_status_and_truncated_safely() -> None:
    parsed = Parsed(b"-ERR [AUTH] invalid login\r\n")
    assert ffi.string(parsed.text) == b"[AUTH] invalid login"
    small = Parsed(b"+OK 0123456789abcdef\r\n", text_size=8)
    assert ffi.string(small.text) == b"0123456"


def test_every_split_of_a_line_parses_the_same() -> None:
    line = b"+OK 12 3456 octets follow\r\n"
    whole = Parsed(line)
    for cut in range(1, len(line)):
        parsed = Parsed(line, [cut])
        assert parsed.state == whole.state == lib.NX_POP3_REPLY_DONE
        assert parsed.number(0) == (0, 12) and parsed.number(1) == (0, 3456)
        assert ffi.string(parsed.text) == ffi.string(whole.text)
    for a in range(1, len(line)):
        for b in range(a + 1, len(line)):
            assert Parsed(line, [a, b]).number(1) == (0, 3456)


@pytest.mark.parametrize("greeting,stamp", [
    (b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
     b"<1896.697170952@dbc.mtview.ca.us>"),
    (b"+OK <no-at> then <a@b> and <c@d>\r\n", b"<a@b>"),
    (b"+OK <<<x@y>\r\n", b"<x@y>"),
    (b"+OK <a<b@c>\r\n", b"<b@c>"),
])
def test_apop_timestamp_is_the_first_bracketed_pair_with_an_at(greeting: bytes,
                                                               stamp: bytes) -> None:
    for cut in range(1, len(greeting)):
        parsed = Parsed(greeting, [cut], stamp=True)
        assert parsed.digest(b"tanstaaf") == hashlib.md5(stamp + b"tanstaaf").hexdigest()


@pytest.mark.parametrize("greeting", [b"+OK ready\r\n", b"+OK <no at sign>\r\n",
                                      b"+OK <a@b\r\n", b"+OK a@b>\r\n"])
def test_no_timestamp_found(greeting: bytes) -> None:
    assert Parsed(greeting, stamp=True).digest(b"x") is None


@pytest.mark.parametrize("filler", [b"<", b"@", b"<@", b"<a@"])
def test_timestamp_scan_reads_each_octet_once_in_a_hostile_greeting(filler: bytes) -> None:
    # 200,000 '<' or '@': the parser gives up at octet 513, having looked at
    # each octet once; within the limit, a greeting of 500 '<' is one pass too
    # (the scan restarts at each '<' without looking back).
    hostile = b"+OK " + filler * 200_000 + b"\r\n"
    parsed = Parsed(hostile, stamp=True)
    assert parsed.error == lib.NX_POP3_REPLY_TOO_LONG
    assert parsed.used == 513
    within = b"+OK " + b"<" * 500 + b"a@b>\r\n"
    within = within[:4] + within[-(512 - 4):]
    assert Parsed(within, stamp=True).digest(b"s") == hashlib.md5(b"<a@b>s").hexdigest()


def test_truncated_text_is_flagged_and_a_larger_buffer_keeps_it_whole() -> None:
    line = b"-ERR " + b"t" * 300 + b"\r\n"
    small = Parsed(line)
    assert small.reply.text_truncated and len(ffi.string(small.text)) == 95
    assert small.reply.text_length == 300
    large = Parsed(line, text_size=512)
    assert not large.reply.text_truncated
    assert ffi.string(large.text) == b"t" * 300
    assert not Parsed(b"+OK short\r\n").reply.text_truncated


def test_a_third_word_and_word_positions_for_uidl() -> None:
    line = b"+OK  3   whqtswO00WBw418f9t5JxYwZ  extra\r\n"
    for cut in range(1, len(line)):
        parsed = Parsed(line, [cut])
        assert parsed.number(0) == (0, 3)
        assert parsed.word(0) == b"3"
        assert parsed.word(1) == b"whqtswO00WBw418f9t5JxYwZ"
        assert parsed.number(1) == (INVALID, None)
        assert parsed.word(2) == b"extra"
        assert parsed.word(3) is None
    three = Parsed(b"+OK 1 2 3\r\n")
    assert [three.number(i) for i in range(3)] == [(0, 1), (0, 2), (0, 3)]


def test_a_word_cut_by_a_small_buffer_is_reported_not_returned_in_part() -> None:
    parsed = Parsed(b"+OK 1 abcdefgh\r\n", text_size=6)
    assert parsed.word(0) == b"1"
    status = lib._nx_pop3_reply_word(parsed.reply, 1, ffi.new("UINT *"), ffi.new("UINT *"))
    assert status == lib.NX_POP3_REPLY_TOO_LONG


@pytest.mark.parametrize("line,text", [(b"+ dGVzdA==\r\n", b"dGVzdA=="), (b"+\r\n", b""),
                                       (b"+ \r\n", b"")])
def test_a_sasl_continuation_only_where_one_is_allowed(line: bytes, text: bytes) -> None:
    for cut in range(1, len(line)):
        parsed = Parsed(line, [cut], allow_continue=True)
        assert parsed.state == lib.NX_POP3_REPLY_DONE
        assert parsed.reply.status == lib.NX_POP3_REPLY_IS_CONTINUE
        assert ffi.string(parsed.text) == text
    refused = Parsed(line)
    assert refused.state == lib.NX_POP3_REPLY_FAILED
    assert refused.error == lib.NX_POP3_INVALID_REPLY


def test_continuations_do_not_loosen_the_status_keywords() -> None:
    for line in (b"+OKAY\r\n", b"+O\r\n", b"+ok\r\n", b"+ERR\r\n"):
        assert Parsed(line, allow_continue=True).error == lib.NX_POP3_INVALID_REPLY
    assert Parsed(b"+OK 1 2\r\n", allow_continue=True).reply.status == lib.NX_POP3_REPLY_IS_OK


def test_a_longer_line_limit_for_continuations() -> None:
    challenge = b"+ " + b"A" * 3000 + b"\r\n"
    reply = ffi.new("NX_POP3_REPLY *")
    lib._nx_pop3_reply_start(reply, ffi.NULL, 0)
    lib._nx_pop3_reply_continuation_allow(reply, 4096)
    assert lib._nx_pop3_reply_feed(reply, challenge, len(challenge)) == len(challenge)
    assert reply.state == lib.NX_POP3_REPLY_DONE
    assert reply.text_truncated  # no buffer: the text was seen, not kept, and it says so
    # The limit only ever grows: asking for less keeps RFC 1939's 512.
    lib._nx_pop3_reply_start(reply, ffi.NULL, 0)
    lib._nx_pop3_reply_continuation_allow(reply, 16)
    assert lib._nx_pop3_reply_feed(reply, challenge, len(challenge)) == 513
    assert reply.error == lib.NX_POP3_REPLY_TOO_LONG
