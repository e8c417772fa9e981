"""Our SHA-256 (csrc/crypto/nx_sha256.c) against the FIPS 180-4 examples and hashlib."""
from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

import pytest

from nxpop3 import ffi, lib

# FIPS 180-4's examples (NIST's "SHA256.pdf" of the Cryptographic Standards and
# Guidelines examples), and the empty message.
NIST_EXAMPLES = [
    (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
]
MILLION_A = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"


def sha256(pieces: Sequence[bytes]) -> bytes:
    """The digest of the pieces fed in order, one update each."""
    context = ffi.new("NX_SHA256 *")
    digest = ffi.new("UCHAR[32]")
    lib._nx_sha256_initialize(context)
    for piece in pieces:
        lib._nx_sha256_update(context, piece, len(piece))
    lib._nx_sha256_digest_calculate(context, digest)
    return bytes(digest)


@pytest.mark.parametrize("message, expected", NIST_EXAMPLES)
def test_nist_examples(message: bytes, expected: str) -> None:
    assert sha256([message]).hex() == expected


def test_one_million_a_in_one_update() -> None:
    assert sha256([b"a" * 1_000_000]).hex() == MILLION_A


def test_one_million_a_in_uneven_updates() -> None:
    sizes = [1, 63, 64, 65, 127, 1000, 3]
    pieces, total, turn = [], 0, 0
    while total < 1_000_000:
        size = min(sizes[turn % len(sizes)], 1_000_000 - total)
        pieces.append(b"a" * size)
        total += size
        turn += 1
    assert sha256(pieces).hex() == MILLION_A


def test_every_length_and_every_two_way_split_to_130_bytes_matches_hashlib() -> None:
    rng = random.Random(180_4)
    for length in range(131):
        data = rng.randbytes(length)
        expected = hashlib.sha256(data).digest()
        assert sha256([data]) == expected, length
        for cut in range(length + 1):
            assert sha256([data[:cut], data[cut:]]) == expected, (length, cut)


def test_lengths_to_300_bytes_in_random_splits_match_hashlib() -> None:
    rng = random.Random(2560)
    for length in range(131, 301):
        data = rng.randbytes(length)
        expected = hashlib.sha256(data).digest()
        for _ in range(8):
            cuts = sorted(rng.randrange(length + 1) for _ in range(rng.randrange(1, 9)))
            pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, length])]
            assert sha256(pieces) == expected, (length, cuts)


def test_one_byte_at_a_time_matches_hashlib() -> None:
    data = bytes(range(256)) * 2
    assert sha256([data[i:i + 1] for i in range(len(data))]) == hashlib.sha256(data).digest()


def test_the_digest_wipes_the_context() -> None:
    context = ffi.new("NX_SHA256 *")
    digest = ffi.new("UCHAR[32]")
    lib._nx_sha256_initialize(context)
    lib._nx_sha256_update(context, b"secret" * 20, 120)
    lib._nx_sha256_digest_calculate(context, digest)
    assert bytes(ffi.buffer(context)) == bytes(ffi.sizeof("NX_SHA256"))
    assert bytes(digest) == hashlib.sha256(b"secret" * 20).digest()


def test_the_constants_are_bound() -> None:
    assert (lib.NX_SHA256_DIGEST_SIZE, lib.NX_SHA256_BLOCK_SIZE) == (32, 64)
