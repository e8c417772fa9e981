"""Our PBKDF2-HMAC-SHA-256 (csrc/crypto/nx_pbkdf2.c) against RFC 7914 section 11,
RFC 7677's SCRAM-SHA-256 example and hashlib.pbkdf2_hmac, and its error statuses."""
from __future__ import annotations

import base64
import hashlib
import random

import pytest

from nxpop3 import ffi, lib

# RFC 7914 section 11 ("Test Vectors for PBKDF2 with HMAC-SHA-256").
RFC7914 = [
    (b"passwd", b"salt", 1,
     "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
     "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
    (b"Password", b"NaCl", 80000,
     "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
     "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"),
]

# RFC 7677 section 3: the SCRAM-SHA-256 exchange for user "user", password "pencil".
SCRAM_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
SCRAM_ITERATIONS = 4096
SCRAM_AUTH_MESSAGE = (b"n=user,r=rOprNGfwEbeRWgbNEkqO,"
                      b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                      b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
                      b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
SCRAM_CLIENT_PROOF = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
SCRAM_SERVER_SIGNATURE = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def pbkdf2(password: bytes, salt: bytes, iterations: int, length: int) -> bytes:
    key = ffi.new("UCHAR[]", length)
    assert lib._nx_pbkdf2_hmac_sha256(password, len(password), salt, len(salt), iterations,
                                      key, length) == lib.NX_SUCCESS
    return bytes(key)


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    digest = ffi.new("UCHAR[32]")
    lib._nx_hmac_sha256(key, len(key), data, len(data), digest)
    return bytes(digest)


def sha256(data: bytes) -> bytes:
    context = ffi.new("NX_SHA256 *")
    digest = ffi.new("UCHAR[32]")
    lib._nx_sha256_initialize(context)
    lib._nx_sha256_update(context, data, len(data))
    lib._nx_sha256_digest_calculate(context, digest)
    return bytes(digest)


@pytest.mark.parametrize("password, salt, iterations, expected", RFC7914)
def test_rfc7914_vectors(password: bytes, salt: bytes, iterations: int, expected: str) -> None:
    assert pbkdf2(password, salt, iterations, 64).hex() == expected


def test_rfc7677_salted_password_matches_hashlib() -> None:
    salted = pbkdf2(b"pencil", SCRAM_SALT, SCRAM_ITERATIONS, 32)
    assert salted == hashlib.pbkdf2_hmac("sha256", b"pencil", SCRAM_SALT, SCRAM_ITERATIONS)


def test_rfc7677_client_proof_and_server_signature() -> None:
    """The whole SCRAM-SHA-256 computation of RFC 7677 on our three primitives
    (RFC 5802 section 3), ending in the proof and signature the RFC prints."""
    salted = pbkdf2(b"pencil", SCRAM_SALT, SCRAM_ITERATIONS, 32)
    client_key = hmac_sha256(salted, b"Client Key")
    client_signature = hmac_sha256(sha256(client_key), SCRAM_AUTH_MESSAGE)
    proof = bytes(a ^ b for a, b in zip(client_key, client_signature))
    server_signature = hmac_sha256(hmac_sha256(salted, b"Server Key"), SCRAM_AUTH_MESSAGE)
    assert base64.b64encode(proof).decode() == SCRAM_CLIENT_PROOF
    assert base64.b64encode(server_signature).decode() == SCRAM_SERVER_SIGNATURE


def test_random_parameters_match_hashlib() -> None:
    rng = random.Random(8018)
    for _ in range(120):
        password = rng.randbytes(rng.choice([0, 1, 8, 63, 64, 65, rng.randrange(200)]))
        salt = rng.randbytes(rng.choice([0, 1, 16, 55, 56, 64, rng.randrange(300)]))
        iterations = rng.randrange(1, 40)
        length = rng.choice([1, 31, 32, 33, 64, 65, rng.randrange(1, 200)])
        assert pbkdf2(password, salt, iterations, length) == hashlib.pbkdf2_hmac(
            "sha256", password, salt, iterations, length), (password, salt, iterations, length)


def test_a_long_salt_needs_no_copy() -> None:
    salt = bytes(range(256)) * 40  # 10 KB: fed through update, no buffer to outgrow
    assert pbkdf2(b"pw", salt, 2, 40) == hashlib.pbkdf2_hmac("sha256", b"pw", salt, 2, 40)


def test_a_shorter_key_is_the_prefix_of_a_longer_one() -> None:
    assert pbkdf2(b"pw", b"salt", 3, 70)[:45] == pbkdf2(b"pw", b"salt", 3, 45)


@pytest.mark.parametrize("which", ["password", "salt", "key"])
def test_a_null_pointer_is_a_pointer_error(which: str) -> None:
    key = ffi.new("UCHAR[8]", b"\xaa" * 8)
    arguments = {"password": b"pw", "salt": b"salt", "key": key}
    arguments[which] = ffi.NULL
    status = lib._nx_pbkdf2_hmac_sha256(arguments["password"], 2, arguments["salt"], 4, 1,
                                        arguments["key"], 8)
    assert status == lib.NX_PTR_ERROR
    assert bytes(key) == b"\xaa" * 8


@pytest.mark.parametrize("iterations, length", [(0, 8), (1, 0), (0, 0)])
def test_zero_iterations_or_length_is_a_size_error(iterations: int, length: int) -> None:
    key = ffi.new("UCHAR[8]", b"\xaa" * 8)
    assert lib._nx_pbkdf2_hmac_sha256(b"pw", 2, b"salt", 4, iterations, key,
                                      length) == lib.NX_SIZE_ERROR
    assert bytes(key) == b"\xaa" * 8

