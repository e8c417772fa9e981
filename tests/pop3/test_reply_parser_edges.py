"""Edges of the status-line parser and of the listing's number fields that the
coverage run found untested: a -ERR where a SASL continuation is allowed, a word
asked of a reply parsed without a text buffer, an index field with a character
below '0', and releasing no reader."""
from __future__ import annotations

import nxpop3.client  # noqa: F401  (registers the listing callbacks the C client calls)
from nxpop3 import ffi, lib
from nxpop3.transport import ScriptedTransport


def parse(data: bytes, text_size: int, allow_continue: bool = False):
    reply = ffi.new("NX_POP3_REPLY *")
    text = ffi.new("CHAR[]", max(text_size, 1)) if text_size else ffi.NULL
    lib._nx_pop3_reply_start(reply, text, text_size)
    if allow_continue:
        lib._nx_pop3_reply_continuation_allow(reply, 0)
    assert lib._nx_pop3_reply_feed(reply, data, len(data)) == len(data)
    return reply


def test_an_err_where_a_continuation_may_come_is_an_err() -> None:
    reply = parse(b"-ERR no\r\n", 64, allow_continue=True)
    assert reply.state == lib.NX_POP3_REPLY_DONE
    assert reply.status == lib.NX_POP3_REPLY_IS_ERR


def test_a_word_of_a_reply_without_text_buffer_is_not_held() -> None:
    reply = parse(b"+OK 1 abc\r\n", 0)
    start, length = ffi.new("UINT *"), ffi.new("UINT *")
    assert lib._nx_pop3_reply_word(reply, 1, start, length) == lib.NX_POP3_REPLY_TOO_LONG
    value = ffi.new("ULONG64 *")
    assert lib._nx_pop3_reply_number(reply, 0, value) == 0 and value[0] == 1  # numbers need no text


def test_an_index_field_with_a_character_below_0_is_a_violation(netx_stack) -> None:
    t = ScriptedTransport(b"+OK hi\r\n").expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    t.expect("LIST", b"+OK\r\n1! 120\r\n.\r\n")
    s = netx_stack(t)
    assert s.create() == 0
    entries: list = []
    assert lib.nx_pop3_client_mail_items_list(s.client, lib.nxpop3_list_entry,
                                              ffi.new_handle(entries)) == \
        lib.NX_POP3_INVALID_REPLY
    assert entries == [] and s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
    assert s.delete() in (0, lib.NX_NOT_CONNECTED)


def test_releasing_no_reader_or_an_empty_one_does_nothing() -> None:
    lib.nx_pop3_client_message_reader_release(ffi.NULL)
    reader = ffi.new("NX_POP3_READER *")
    lib.nx_pop3_client_message_reader_release(reader)
    assert reader.nx_pop3_reader_packet == ffi.NULL
