"""The RETR body decoder (csrc/pop3/nx_pop3_body.c): dot-unstuffing and the
terminator, whatever the segment boundaries, decoding in place."""
from __future__ import annotations

from collections.abc import Sequence

import pytest

from nxpop3 import ffi, lib


def decode(wire: bytes, cuts: Sequence[int] = ()) -> tuple[bytes, bool, int]:
    """Decodes wire cut at cuts, in place as the client does (one byte of room in
    front of each piece for a held-back CR). Returns (message, done, consumed)."""
    state = ffi.new("UINT *", lib.NX_POP3_BODY_LINE_START)
    written = ffi.new("ULONG *")
    out = bytearray()
    consumed = 0
    bounds = [0, *cuts, len(wire)]
    for a, b in zip(bounds, bounds[1:]):
        piece = wire[a:b]
        buffer = ffi.new("UCHAR[]", len(piece) + 1)
        ffi.memmove(buffer + 1, piece, len(piece))
        held = lib._nx_pop3_body_held(state[0])
        used = lib._nx_pop3_body_decode(state, buffer + 1, len(piece), buffer + 1 - held, written)
        out += ffi.buffer(buffer + 1 - held, written[0])[:]
        consumed += used
        if state[0] == lib.NX_POP3_BODY_DONE:
            break
    return bytes(out), state[0] == lib.NX_POP3_BODY_DONE, consumed


def stuff(message: bytes) -> bytes:
    lines = message.split(b"\r\n")
    return b"\r\n".join(b"." + line if line.startswith(b".") else line for line in lines)


MESSAGES = [
    b"",
    b"Subject: x\r\n\r\nbody\r\n",
    b".\r\n",                                  # a line holding one dot
    b"..\r\n.x\r\n",                           # lines starting with dots
    b"a\r\n.\r\n.\r\nb\r\n",
    b"line\rwith bare CR\r\nand bare\nLF\r\n",
    b"\r\n\r\n\r\n",
    b".\rx\r\n",                               # dot then CR that is not a terminator
    b"no final CRLF",
]


@pytest.mark.parametrize("message", MESSAGES)
def test_round_trip(message: bytes) -> None:
    terminated = message if message.endswith(b"\r\n") or not message else message + b"\r\n"
    wire = stuff(terminated) + b".\r\n"
    assert decode(wire) == (terminated, True, len(wire))


@pytest.mark.parametrize("message", MESSAGES)
def test_every_single_split_gives_the_same_message(message: bytes) -> None:
    terminated = message if message.endswith(b"\r\n") or not message else message + b"\r\n"
    wire = stuff(terminated) + b".\r\n"
    for cut in range(1, len(wire)):
        assert decode(wire, [cut]) == (terminated, True, len(wire)), cut


def test_every_pair_of_splits_around_the_terminator() -> None:
    message = b"To: a\r\n\r\n..x\r\n.\r\nend\r\n"
    wire = stuff(message) + b".\r\n"
    for a in range(1, len(wire)):
        for b in range(a + 1, len(wire)):
            assert decode(wire, [a, b]) == (message, True, len(wire)), (a, b)


def test_one_byte_at_a_time() -> None:
    message = b"a\r\n..b\r\n.\r\n"
    wire = stuff(message) + b".\r\n"
    assert decode(wire, list(range(1, len(wire)))) == (message, True, len(wire))


def test_bytes_after_the_terminator_are_not_consumed() -> None:
    wire = b"hi\r\n.\r\n+OK next\r\n"
    assert decode(wire) == (b"hi\r\n", True, len(b"hi\r\n.\r\n"))


def test_a_dot_line_is_not_the_terminator_without_crlf() -> None:
    assert decode(b"a\r\n.b\r\n") == (b"a\r\nb\r\n", False, 7)
    assert decode(b"a\r\n.") == (b"a\r\n", False, 4)


def test_held_cr_is_written_in_front_of_the_next_piece() -> None:
    # ".\r" ends one piece; "x" starts the next: the CR comes back first.
    state = ffi.new("UINT *", lib.NX_POP3_BODY_LINE_START)
    written = ffi.new("ULONG *")
    first = ffi.new("UCHAR[]", b".\r")
    lib._nx_pop3_body_decode(state, first, 2, first, written)
    assert written[0] == 0 and lib._nx_pop3_body_held(state[0]) == 1
    second = ffi.new("UCHAR[]", b"?x\r\n")  # byte 0 is the room in front
    lib._nx_pop3_body_decode(state, second + 1, 3, second, written)
    assert ffi.buffer(second, written[0])[:] == b"\rx\r\n"
