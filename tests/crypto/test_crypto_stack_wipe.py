"""HMAC and PBKDF2 leave no key material and no intermediate block on the stack.

tests/c/crypto_stack_wipe.c runs one operation and dumps the dead stack it used
(see tests/c/md5_stack_wipe.c for the method). Here every secret the operation
handles is computed independently and searched for, 8 bytes at a time, in the
dump: the key; the padded key blocks (key ^ ipad, key ^ opad); the keyed hash
states and the working variables of the compression that produced them
(state - IV, a key in all but name); the inner hash of each HMAC; each U and T
block of PBKDF2; the output (the caller's copy is static, outside the dump).
SHA-256 reads its block as big-endian words, so on a little-endian host the
schedule holds each 4 bytes reversed: both orders are searched. A control copy
of the key left the same way must be found, or the search proves nothing."""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import struct
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from nxpop3.testing.dependencies import require_tool

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["tests/c/crypto_stack_wipe.c", "csrc/crypto/nx_crypto_wipe.c", "csrc/crypto/nx_md5.c",
           "csrc/crypto/nx_sha256.c", "csrc/crypto/nx_hmac.c", "csrc/crypto/nx_pbkdf2.c"]
BUILDS = [("gcc", "-O0"), ("gcc", "-O1"), ("clang", "-O0"), ("clang", "-O1"), ("clang", "-O2")]
WINDOW = 8
SHA256_IV = (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
MD5_IV = (0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476)


@pytest.fixture(scope="module", params=BUILDS, ids=lambda b: f"{b[0]}{b[1]}")
def program(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    compiler, optimization = request.param
    path = tmp_path_factory.mktemp("crypto_stack_wipe") / f"crypto_stack_wipe_{compiler}"
    subprocess.run([require_tool(compiler), "-std=c99", optimization, "-Wall", "-Wextra", "-Werror",
                    f"-I{ROOT / 'csrc/include'}", f"-I{ROOT / 'csrc/crypto'}",
                    *(str(ROOT / source) for source in SOURCES), "-o", str(path),
                    # Bind libc at load: a lazy binding's trampoline saves the vector
                    # registers deep on the stack on the first memcpy call, whatever
                    # they hold (a key XORed with ipad, vectorized). No C code can
                    # wipe registers; the firmware links statically.
                    "-Wl,-z,now"],
                   check=True, timeout=120)
    return path


def run(program: Path, *arguments: str) -> dict[str, bytes]:
    out = subprocess.run([str(program), *arguments], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    return {name: bytes.fromhex(value) for name, value in re.findall(r"(\w+)=([0-9a-f]*)", out)}


def word_swapped(data: bytes) -> bytes:
    """Each 4 bytes reversed: a big-endian word as a little-endian host stores it."""
    return b"".join(data[i:i + 4][::-1] for i in range(0, len(data), 4))


def found(dump: bytes, needles: dict[str, bytes]) -> list[str]:
    """The names of the needles any WINDOW bytes of which lie in dump, in either word order."""
    hits = []
    for name, needle in needles.items():
        for form in (needle, word_swapped(needle)):
            if any(form[i:i + WINDOW] in dump for i in range(len(form) - WINDOW + 1)):
                hits.append(name)
                break
    return hits


def state_needles(prefix: str, words: bytes, iv: Iterable[int]) -> dict[str, bytes]:
    """A keyed state, as words, and the working variables that produced it (state - IV)."""
    values = struct.unpack(f">{len(words) // 4}I", words)
    work = [(v - i) & 0xFFFFFFFF for v, i in zip(values, iv)]
    return {f"{prefix} state": words,
            f"{prefix} working variables": struct.pack(f">{len(work)}I", *work)}


def hmac_needles(key: bytes, digest: str, keyed: dict[str, bytes]) -> dict[str, bytes]:
    """The key as given and as padded into the two key blocks, and the keyed states."""
    hash_ = getattr(hashlib, digest)
    effective = hash_(key).digest() if len(key) > 64 else key
    iv = SHA256_IV if digest == "sha256" else MD5_IV
    needles = {"key": key, "effective key": effective,
               "key ^ ipad": bytes(b ^ 0x36 for b in effective),
               "key ^ opad": bytes(b ^ 0x5C for b in effective)}
    needles.update(state_needles("inner", keyed["inner"], iv))
    needles.update(state_needles("outer", keyed["outer"], iv))
    return needles


def inner_hash(key: bytes, message: bytes, digest: str = "sha256") -> bytes:
    hash_ = getattr(hashlib, digest)
    effective = hash_(key).digest() if len(key) > 64 else key
    return hash_(bytes(b ^ 0x36 for b in effective.ljust(64, b"\0")) + message).digest()


@pytest.mark.parametrize("mode", ["hmac-sha256", "hmac-sha256-context", "hmac-md5"])
@pytest.mark.parametrize("key_length", [40, 100])
def test_hmac_leaves_no_key_on_the_stack(program: Path, mode: str, key_length: int) -> None:
    digest = "md5" if mode == "hmac-md5" else "sha256"
    key, message = os.urandom(key_length), os.urandom(90)
    out = run(program, mode, key.hex(), message.hex())
    assert out["output"] == hmac.digest(key, message, digest)
    assert "key" in found(out["control"], {"key": key}), \
        "the search found no plain copy: it proves nothing here"
    needles = hmac_needles(key, digest, out)
    needles["inner hash"] = inner_hash(key, message, digest)
    needles["output"] = out["output"]
    assert found(out["after"], needles) == []


@pytest.mark.parametrize("password_length", [12, 100])
def test_pbkdf2_leaves_no_password_or_block_on_the_stack(program: Path,
                                                         password_length: int) -> None:
    password, salt, iterations, length = os.urandom(password_length), os.urandom(16), 3, 40
    out = run(program, "pbkdf2", password.hex(), salt.hex(), str(iterations), str(length))
    assert out["output"] == hashlib.pbkdf2_hmac("sha256", password, salt, iterations, length)
    assert "key" in found(out["control"], {"key": password}), \
        "the search found no plain copy: it proves nothing here"
    needles = hmac_needles(password, "sha256", out)
    for block in (1, 2):
        message = salt + block.to_bytes(4, "big")
        t = bytes(32)
        for j in range(1, iterations + 1):
            needles[f"inner hash {block}.{j}"] = inner_hash(password, message)
            message = hmac.digest(password, message, "sha256")
            needles[f"U{j} of T{block}"] = message
            t = bytes(a ^ b for a, b in zip(t, message))
        needles[f"T{block}"] = t
    assert found(out["after"], needles) == []
