"""One full session of the C client (examples/pop3_fetch.c: login, STAT, LIST,
RETR of every message, DELE, NOOP, QUIT) under valgrind memcheck: zero errors
and zero leaks, and the bytes fetched are the bytes stored."""
from __future__ import annotations

import subprocess
import zlib
from pathlib import Path

import pytest

from nxpop3.testing.dependencies import require_tool
from nxpop3.testing.server import Pop3Server

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [
    b"Subject: one\r\n\r\nhello\r\n",
    b"Subject: dots\r\n\r\n.a\r\n..b\r\n.\r\nend\r\n",
    b"Subject: big\r\n\r\n" + b"v" * 50_000 + b"\r\n",
]



@pytest.fixture(scope="module")
def pop3_fetch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("examples")
    for command in (["cmake", "-S", str(ROOT / "examples"), "-B", str(build),
                     "-DCMAKE_BUILD_TYPE=Debug"], ["cmake", "--build", str(build), "-j", "2"]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    return build / "pop3_fetch"


@pytest.mark.parametrize("apop", [False, True])
def test_full_session_under_memcheck(pop3_fetch: Path, apop: bool) -> None:
    valgrind = require_tool("valgrind")
    with Pop3Server(MESSAGES, apop=apop) as server:
        args = [str(pop3_fetch), server.host, str(server.port), "alice", "secret", "delete"]
        if apop:
            args.append("apop")
        result = subprocess.run(
            [valgrind, "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
             "--errors-for-leak-kinds=all", "--show-leak-kinds=all", *args],
            capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ERROR SUMMARY: 0 errors" in result.stderr
        assert "All heap blocks were freed" in result.stderr or \
            "definitely lost: 0 bytes" in result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].startswith(f"STAT 3 {sum(map(len, MESSAGES))}")
        assert ("(APOP)" in lines[0]) is apop
        expected = [f"MSG {i} {len(m)} {zlib.crc32(m):08x}" for i, m in enumerate(MESSAGES, 1)]
        assert lines[1:] == expected
        assert server.commands[-1] == "QUIT"
        assert server.messages == []  # deleted at QUIT
