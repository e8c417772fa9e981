"""Our HMAC (csrc/crypto/nx_hmac.c) against RFC 4231 (SHA-256), RFC 2202 (MD5),
RFC 2195's CRAM-MD5 example and Python's hmac."""
from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Sequence

import pytest

from nxpop3 import ffi, lib

# RFC 4231 section 4: key, data, HMAC-SHA-256 (case 5: the first 128 bits).
RFC4231 = [
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (bytes(range(1, 26)), b"\xcd" * 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
    (b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (b"\xaa" * 131,
     b"This is a test using a larger than block-size key and a larger than block-size data."
     b" The key needs to be hashed before being used by the HMAC algorithm.",
     "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
]

# RFC 2202 section 2: key, data, HMAC-MD5.
RFC2202 = [
    (b"\x0b" * 16, b"Hi There", "9294727a3638bb1c13f48ef8158bfc9d"),
    (b"Jefe", b"what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"),
    (b"\xaa" * 16, b"\xdd" * 50, "56be34521d144c88dbb8c733f0e8b3f6"),
    (bytes(range(1, 26)), b"\xcd" * 50, "697eaf0aca3a3aea3a75164746ffaa79"),
    (b"\x0c" * 16, b"Test With Truncation", "56461ef2342edc00f9bab995690efd4c"),
    (b"\xaa" * 80, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"),
    (b"\xaa" * 80, b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
     "6f630fad67cda0ee1fb1f562db3aa53e"),
]


def hmac_sha256(key: bytes, pieces: Sequence[bytes]) -> bytes:
    context = ffi.new("NX_HMAC_SHA256 *")
    digest = ffi.new("UCHAR[32]")
    lib._nx_hmac_sha256_initialize(context, key, len(key))
    for piece in pieces:
        lib._nx_hmac_sha256_update(context, piece, len(piece))
    lib._nx_hmac_sha256_digest_calculate(context, digest)
    assert bytes(ffi.buffer(context)) == bytes(ffi.sizeof("NX_HMAC_SHA256")), "context not wiped"
    return bytes(digest)


def hmac_sha256_one_call(key: bytes, data: bytes) -> bytes:
    digest = ffi.new("UCHAR[32]")
    lib._nx_hmac_sha256(key, len(key), data, len(data), digest)
    return bytes(digest)


def hmac_md5(key: bytes, pieces: Sequence[bytes]) -> bytes:
    context = ffi.new("NX_HMAC_MD5 *")
    digest = ffi.new("UCHAR[16]")
    lib._nx_hmac_md5_initialize(context, key, len(key))
    for piece in pieces:
        lib._nx_hmac_md5_update(context, piece, len(piece))
    lib._nx_hmac_md5_digest_calculate(context, digest)
    assert bytes(ffi.buffer(context)) == bytes(ffi.sizeof("NX_HMAC_MD5")), "context not wiped"
    return bytes(digest)


@pytest.mark.parametrize("case", range(1, 8))
def test_rfc4231_hmac_sha256(case: int) -> None:
    key, data, expected = RFC4231[case - 1]
    assert hmac_sha256(key, [data]).hex()[:len(expected)] == expected
    assert hmac_sha256_one_call(key, data).hex()[:len(expected)] == expected


@pytest.mark.parametrize("case", range(1, 8))
def test_rfc2202_hmac_md5(case: int) -> None:
    key, data, expected = RFC2202[case - 1]
    assert hmac_md5(key, [data]).hex() == expected


def test_rfc2195_cram_md5_example() -> None:
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    assert hmac_md5(b"tanstaaftanstaaf", [challenge]).hex() == "b913a602c7eda7a495b4e6e7334d3890"


def test_every_key_length_to_200_bytes_matches_python_hmac() -> None:
    rng = random.Random(2104)
    for key_length in range(201):
        key = rng.randbytes(key_length)
        data = rng.randbytes(rng.randrange(301))
        cut = rng.randrange(len(data) + 1)
        pieces = [data[:cut], data[cut:]]
        assert hmac_sha256(key, pieces) == hmac.digest(key, data, hashlib.sha256), key_length
        assert hmac_sha256_one_call(key, data) == hmac.digest(key, data, hashlib.sha256), key_length
        assert hmac_md5(key, pieces) == hmac.digest(key, data, hashlib.md5), key_length


def test_a_null_key_of_length_zero_is_the_empty_key() -> None:
    digest = ffi.new("UCHAR[32]")
    lib._nx_hmac_sha256(ffi.NULL, 0, b"data", 4, digest)
    assert bytes(digest) == hmac.digest(b"", b"data", hashlib.sha256)


def test_a_copied_keyed_context_gives_the_same_mac() -> None:
    """PBKDF2 keys once and copies the keyed context for every block: the copy
    must carry everything the MAC needs."""
    keyed = ffi.new("NX_HMAC_SHA256 *")
    lib._nx_hmac_sha256_initialize(keyed, b"k" * 70, 70)
    for message in (b"", b"one", b"two" * 40):
        copy = ffi.new("NX_HMAC_SHA256 *", keyed[0])
        digest = ffi.new("UCHAR[32]")
        lib._nx_hmac_sha256_update(copy, message, len(message))
        lib._nx_hmac_sha256_digest_calculate(copy, digest)
        assert bytes(digest) == hmac.digest(b"k" * 70, message, hashlib.sha256)
