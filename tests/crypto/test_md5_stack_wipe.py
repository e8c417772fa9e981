"""The password does not stay on the stack after MD5 (APOP hashes it).

tests/c/md5_stack_wipe.c hashes a 64-byte secret, wipes the context as the APOP
code does, and reads the dead stack the hash used: no 8 bytes of the secret may
remain (before the fix, the block's 16 words stayed in md5_block's frame). A
control copy left the same way must be found, or the search proves nothing; the
builds listed are those where the control is found."""
from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from nxpop3.testing.dependencies import require_tool

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"P4ssw0rd-that-must-not-stay-on-the-stack-after-hashing-it!!!!!!!"


@pytest.mark.parametrize("compiler, optimization", [
    ("gcc", "-O0"), ("gcc", "-O1"), ("clang", "-O0"), ("clang", "-O1"), ("clang", "-O2"),
])
def test_md5_leaves_no_input_on_the_stack(tmp_path: Path, compiler: str,
                                          optimization: str) -> None:
    program = tmp_path / "md5_stack_wipe"
    subprocess.run([require_tool(compiler), "-std=c99", optimization, "-Wall", "-Wextra", "-Werror",
                    f"-I{ROOT / 'csrc/include'}", f"-I{ROOT / 'csrc/crypto'}",
                    str(ROOT / "tests/c/md5_stack_wipe.c"), str(ROOT / "csrc/crypto/nx_md5.c"),
                    str(ROOT / "csrc/crypto/nx_crypto_wipe.c"),
                    "-o", str(program)], check=True, timeout=120)
    out = subprocess.run([str(program)], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    fields = dict(re.findall(r"(\w+)=(\w+)", out))
    assert fields["digest"] == hashlib.md5(SECRET).hexdigest()
    assert fields["control"] == "1", "the search found no plain copy: it proves nothing here"
    assert fields["md5"] == "0", "MD5 left bytes of its input on the stack"
