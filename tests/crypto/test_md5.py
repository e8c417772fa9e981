"""Our MD5 (csrc/crypto) against the RFC 1321 test suite and the APOP vectors."""
from __future__ import annotations

import hashlib

import pytest

from nxpop3 import ffi, lib

RFC1321_SUITE = [
    (b"", "d41d8cd98f00b204e9800998ecf8427e"),
    (b"a", "0cc175b9c0f1b6a831c399e269772661"),
    (b"abc", "900150983cd24fb0d6963f7d28e17f72"),
    (b"message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
    (b"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
    (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"),
    (b"1234567890" * 8, "57edf4a22be3c955ac49da2e2107b67a"),
]


def md5(data: bytes, pieces: int = 1) -> str:
    context = ffi.new("NX_MD5 *")
    digest = ffi.new("UCHAR[16]")
    lib._nx_md5_initialize(context)
    step = max(1, len(data) // pieces) if data else 1
    for start in range(0, len(data), step):
        chunk = data[start:start + step]
        lib._nx_md5_update(context, chunk, len(chunk))
    lib._nx_md5_digest_calculate(context, digest)
    return bytes(ffi.buffer(digest, 16)).hex()


@pytest.mark.parametrize("data,expected", RFC1321_SUITE)
def test_rfc1321_suite(data: bytes, expected: str) -> None:
    assert md5(data) == expected


@pytest.mark.parametrize("pieces", [2, 3, 7, 64])
def test_incremental_updates_give_the_same_digest(pieces: int) -> None:
    data = RFC1321_SUITE[-1][0]
    assert md5(data, pieces) == RFC1321_SUITE[-1][1]


@pytest.mark.parametrize("length", [55, 56, 57, 63, 64, 65, 119, 120, 128, 1000])
def test_padding_boundaries_match_hashlib(length: int) -> None:
    data = bytes(range(256)) * 4
    assert md5(data[:length]) == hashlib.md5(data[:length]).hexdigest()


@pytest.mark.parametrize("stamp,secret,expected", [
    (b"<1896.697170952@dbc.mtview.ca.us>", b"tanstaaf", "c4c9334bac560ecc979e58001b3e22fb"),
    (b"<1972.987654321@curl>", b"secret", "7501b4cdc224d469940e65e7b5e4d6eb"),
])
def test_apop_vectors(stamp: bytes, secret: bytes, expected: str) -> None:
    assert md5(stamp + secret) == expected
