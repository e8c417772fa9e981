"""csrc/sasl/nx_base64.c through cffi: RFC 4648's test vectors both ways, the
streaming decoder fed one character at a time, and every malformed text refused."""
from __future__ import annotations

import base64
import os

import pytest

from nxpop3 import ffi, lib

# RFC 4648, section 10.
VECTORS = [(b"", b""), (b"f", b"Zg=="), (b"fo", b"Zm8="), (b"foo", b"Zm9v"),
           (b"foob", b"Zm9vYg=="), (b"fooba", b"Zm9vYmE="), (b"foobar", b"Zm9vYmFy")]


def encode(data: bytes, size: int | None = None) -> tuple[int, bytes]:
    size = len(data) * 2 + 8 if size is None else size
    out = ffi.new("CHAR[]", max(size, 1))
    status = lib._nx_base64_encode(data, len(data), out, size)
    return status, ffi.string(out) if status == 0 else b""


def decode(text: bytes, size: int = 256) -> tuple[int, bytes]:
    out = ffi.new("UCHAR[]", max(size, 1))
    length = ffi.new("ULONG *")
    status = lib._nx_base64_decode(text, len(text), out, size, length)
    return status, ffi.buffer(out, length[0])[:]


@pytest.mark.parametrize("data,text", VECTORS)
def test_rfc4648_vectors(data: bytes, text: bytes) -> None:
    assert encode(data) == (0, text)
    assert decode(text) == (0, data)


def test_random_round_trips_agree_with_python() -> None:
    for length in range(0, 200):
        data = os.urandom(length)
        status, text = encode(data)
        assert status == 0 and text == base64.b64encode(data)
        assert decode(text, length) == (0, data)


def test_the_encoder_needs_room_for_the_text_and_its_nul() -> None:
    assert encode(b"foo", 4)[0] == lib.NX_SIZE_ERROR  # "Zm9v" and no room for the NUL
    assert encode(b"foo", 5) == (0, b"Zm9v")


@pytest.mark.parametrize("text", [
    b"Zm9", b"Z===", b"Zg=", b"Zg==Zg==", b"Zg=a", b"Zm9v YmFy", b"Zm9v\x00", b"Zm9v{",
    b"Zm9v~", b"Zm9v-_", b"=", b"Zg===",
])
def test_malformed_text_is_refused(text: bytes) -> None:
    assert decode(text)[0] == lib.NX_POP3_INVALID_CHALLENGE


def test_longer_than_the_buffer_is_a_size_error() -> None:
    assert decode(b"Zm9vYmFy", 5)[0] == lib.NX_SIZE_ERROR
    assert decode(b"Zm9vYmFy", 6) == (0, b"foobar")


def test_decoder_one_character_at_a_time() -> None:
    out = ffi.new("UCHAR[16]")
    decoder = ffi.new("NX_BASE64_DECODER *")
    lib._nx_base64_decoder_start(decoder, out, 16)
    for c in b"Zm9vYmE=":
        lib._nx_base64_decoder_byte(decoder, c)
    length = ffi.new("ULONG *")
    assert lib._nx_base64_decoder_end(decoder, length) == 0
    assert ffi.buffer(out, length[0])[:] == b"fooba"
