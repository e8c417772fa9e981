"""A signal never breaks a timeout, from C: tests/c/signal_session.c installs a
SIGALRM handler without SA_RESTART and an interval timer of 1 ms, then runs a
whole session (slow greeting, a body that arrives in paused pieces) or waits on a
silent server through the POSIX transport. No Python runs in that process, so
every tick lands in the C code's poll() as EINTR: the session must complete, and
the silent server must end in a timeout (NX_NO_PACKET) after the wait, not in
NX_NOT_CONNECTED and not many times later (a generous bound: 3x + 1 s)."""
from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import pytest

from nxpop3 import codes
from nxpop3.testing.dependencies import require_tool
from nxpop3.testing.server import Pop3Server

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [b"Subject: big\r\n\r\n" + b"x" * 200_000 + b"\r\n", b"Subject: two\r\n\r\nhi\r\n"]
CMAKE = """cmake_minimum_required(VERSION 3.16)
project(signal_session LANGUAGES C)
add_subdirectory({csrc} csrc)
add_executable(signal_session {source})
set_target_properties(signal_session PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
target_compile_options(signal_session PRIVATE -Wall -Wextra -Werror)
target_link_libraries(signal_session PRIVATE nxpop3_transport_posix nxpop3_core)
"""


@pytest.fixture(scope="module")
def signal_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_tool("cmake")
    project = tmp_path_factory.mktemp("signal_session")
    (project / "CMakeLists.txt").write_text(CMAKE.format(
        csrc=(ROOT / "csrc").as_posix(), source=(ROOT / "tests/c/signal_session.c").as_posix()))
    build = project / "build"
    for command in (["cmake", "-S", str(project), "-B", str(build), "-DCMAKE_BUILD_TYPE=Debug"],
                    ["cmake", "--build", str(build), "-j", "2"]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
    return build / "signal_session"


def run(program: Path, port: int, reply_wait_ticks: int) -> dict[str, int]:
    result = subprocess.run([str(program), "127.0.0.1", str(port), "1000", str(reply_wait_ticks)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    fields = dict(re.findall(r"(\w+)=(\S+)", result.stdout))
    assert fields["free"].split("/")[0] == fields["free"].split("/")[1], result.stdout
    return {key: int(value, 0) for key, value in fields.items() if key != "free"}


def test_a_whole_session_under_a_1ms_timer(signal_session: Path) -> None:
    with Pop3Server(MESSAGES) as server:
        server.fault("GREETING", delay=0.3)  # a slow greeting: hundreds of ticks
        server.fault("RETR", split=[4000] * 40, pause=0.005)
        out = run(signal_session, server.port, 200)
        assert server.commands[-1] == "QUIT"
    assert out["status"] == codes.NX_SUCCESS, out
    assert out["messages"] == 2 and out["bytes"] == sum(map(len, MESSAGES))
    assert out["signals"] >= 100  # the timer really ran through the session


def test_a_silent_server_times_out_on_time_under_a_1ms_timer(signal_session: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel completes the connect; no greeting ever comes
    try:
        out = run(signal_session, silent.getsockname()[1], 30)
    finally:
        silent.close()
    assert out["status"] != codes.NX_NOT_CONNECTED, "EINTR dropped the connection"
    assert out["status"] == codes.NX_NO_PACKET, out
    assert 270 <= out["elapsed_ms"] < 3 * 300 + 1000, out
    assert out["signals"] >= 100
