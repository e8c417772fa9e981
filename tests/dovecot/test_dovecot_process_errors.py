"""The error handling of nxpop3.testing.dovecot.process, without a real Dovecot:
fake ``dovecot`` programs, pids that do not exist or will not die, servers that
answer the greeting wrongly or not at all."""
from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nxpop3.testing.dovecot import process
from nxpop3.testing.dovecot.errors import DovecotError


def _log() -> str:
    return "the log text"


def _fake_binary(folder: Path, script: str, name: str = "dovecot") -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return path


# find_dovecot


def test_find_dovecot_searches_sbin_folders_when_path_has_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = _fake_binary(tmp_path, "exit 0")
    monkeypatch.delenv("NXPOP3_DOVECOT", raising=False)
    monkeypatch.setattr(process.shutil, "which", lambda name: None)
    monkeypatch.setattr(process, "_SEARCH_PATH", (str(tmp_path / "missing"), str(tmp_path)))
    assert process.find_dovecot() == str(binary)


def test_find_dovecot_skips_a_file_that_is_not_executable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "dovecot").write_text("not a program")
    monkeypatch.delenv("NXPOP3_DOVECOT", raising=False)
    monkeypatch.setattr(process.shutil, "which", lambda name: None)
    monkeypatch.setattr(process, "_SEARCH_PATH", (str(tmp_path),))
    assert process.find_dovecot() is None


# has_ipv6_loopback and free_port


def test_no_ipv6_loopback_without_ipv6_support(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process.socket, "has_ipv6", False)
    assert process.has_ipv6_loopback() is False


def test_no_ipv6_loopback_when_binding_to_it_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    real_socket = socket.socket

    class Unbindable(real_socket):
        def bind(self, address: object) -> None:
            raise OSError("cannot assign requested address")

    monkeypatch.setattr(process.socket, "has_ipv6", True)
    monkeypatch.setattr(process.socket, "socket", Unbindable)
    assert process.has_ipv6_loopback() is False


def test_free_port_gives_up_when_no_port_is_free_on_every_host() -> None:
    # The same host twice: the port the first socket holds is never free for the second.
    with pytest.raises(DovecotError, match="no TCP port free on all of"):
        process.free_port(["127.0.0.1", "127.0.0.1"])


def test_free_port_is_not_one_to_avoid() -> None:
    first = process.free_port(["127.0.0.1"])
    assert process.free_port(["127.0.0.1"], avoid=[first]) != first


# pid_alive


def _unused_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_pid_alive_false_for_a_pid_that_is_gone() -> None:
    assert process.pid_alive(_unused_pid()) is False


def test_pid_alive_false_for_a_zombie() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while process.pid_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert process.pid_alive(proc.pid) is False  # exited, not yet reaped
        assert os.path.exists(f"/proc/{proc.pid}")
    finally:
        proc.wait()


def _no_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes /proc unreadable to the process module (as on a host without it)."""
    def refuse(path: str, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(process, "open", refuse, raising=False)


def test_pid_alive_without_proc_asks_the_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = _unused_pid()
    _no_proc(monkeypatch)
    assert process.pid_alive(os.getpid()) is True
    assert process.pid_alive(gone) is False


def test_pid_alive_without_proc_counts_a_pid_it_may_not_signal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(pid: int, sig: int) -> None:
        raise PermissionError(1, "Operation not permitted")
    _no_proc(monkeypatch)
    monkeypatch.setattr(process.os, "kill", forbidden)
    assert process.pid_alive(1) is True


# launch


def test_launch_reports_a_program_that_does_not_finish_starting(tmp_path: Path) -> None:
    binary = _fake_binary(tmp_path, "exec sleep 30")
    with pytest.raises(DovecotError, match=r"did not start within 7 s:\nthe log text"):
        process.launch(str(binary), tmp_path / "dovecot.conf", tmp_path / "out", 0.3, 7, _log)


def test_launch_reports_the_exit_status_of_a_failed_start(tmp_path: Path) -> None:
    binary = _fake_binary(tmp_path, 'echo "Fatal: bad config line $2" >&2; exit 89')
    with pytest.raises(DovecotError, match=r"exited with status 89:\nthe log text"):
        process.launch(str(binary), tmp_path / "dovecot.conf", tmp_path / "out", 10, 10, _log)
    assert b"Fatal: bad config line" in (tmp_path / "out").read_bytes()


def test_launch_says_false_when_the_port_is_taken(tmp_path: Path) -> None:
    binary = _fake_binary(tmp_path, 'echo "Error: bind(::1, 110) failed: Address already in use"'
                                    "; exit 89")
    assert process.launch(str(binary), tmp_path / "c", tmp_path / "out", 10, 10, _log) is False


def test_launch_keeps_ld_preload_from_dovecot(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    binary = _fake_binary(tmp_path, 'echo "preload=[$LD_PRELOAD]"')
    monkeypatch.setenv("LD_PRELOAD", "")
    assert process.launch(str(binary), tmp_path / "c", tmp_path / "out", 10, 10, _log) is True
    assert (tmp_path / "out").read_bytes() == b"preload=[]\n"


# pid files


def test_pid_from_file_ignores_text_that_is_not_a_pid(tmp_path: Path) -> None:
    pid_file = tmp_path / "master.pid"
    assert process.pid_from_file(pid_file) == 0
    pid_file.write_text("starting\n")
    assert process.pid_from_file(pid_file) == 0
    pid_file.write_text("1234\n")
    assert process.pid_from_file(pid_file) == 1234


def test_read_pid_gives_up_at_the_deadline(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(DovecotError, match=r"wrote no master.pid:\nthe log text"):
        process.read_pid(tmp_path / "master.pid", started + 0.05, _log)
    assert time.monotonic() - started < 5


def test_read_pid_waits_for_the_pid_to_appear(tmp_path: Path) -> None:
    pid_file = tmp_path / "master.pid"
    timer = threading.Timer(0.05, pid_file.write_text, ("4321\n",))
    timer.start()
    try:
        assert process.read_pid(pid_file, time.monotonic() + 10, _log) == 4321
    finally:
        timer.cancel()


# terminate


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "dovecot.conf"
    path.write_text("# not read\n")
    return path


_SLEEPER = "import sys, time; sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(60)"


def _child(config: Path | None, code: str = _SLEEPER) -> Iterator[subprocess.Popen[bytes]]:
    """A Python process that has started (said ``ready``), ``config`` on its command line."""
    args = [sys.executable, "-c", code] + ([os.fspath(config)] if config else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


def test_terminate_leaves_a_process_that_runs_another_config(config: Path) -> None:
    for proc in _child(None):
        process.terminate(proc.pid, config, 5)
        time.sleep(0.05)
        assert proc.poll() is None


def test_terminate_ignores_a_pid_that_is_gone(config: Path) -> None:
    process.terminate(_unused_pid(), config, 5)  # no /proc entry: nothing to signal


def test_terminate_stops_the_master_with_sigterm(config: Path) -> None:
    for proc in _child(config):
        process.terminate(proc.pid, config, 10)
        assert proc.wait(5) == -signal.SIGTERM


def test_terminate_kills_a_master_that_ignores_sigterm(config: Path) -> None:
    code = ("import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(60)")
    for proc in _child(config, code):
        process.terminate(proc.pid, config, 0.2)
        assert proc.wait(5) == -signal.SIGKILL


def test_terminate_trusts_the_pid_file_without_proc(config: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[int] = []

    def kill(pid: int, sig: int) -> None:
        sent.append(sig)
        raise ProcessLookupError
    _no_proc(monkeypatch)
    monkeypatch.setattr(process.os, "kill", kill)
    process.terminate(4242, config, 1)
    assert sent == [signal.SIGTERM]


def test_terminate_raises_when_the_master_survives_sigkill(
        config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[int] = []

    class Clock:
        now = 0.0

        @classmethod
        def monotonic(cls) -> float:
            cls.now += 1.0
            return cls.now

        @staticmethod
        def sleep(seconds: float) -> None:
            pass

    monkeypatch.setattr(process, "_runs_config", lambda pid, path: True)
    monkeypatch.setattr(process, "pid_alive", lambda pid: True)
    monkeypatch.setattr(process.os, "kill", lambda pid, sig: sent.append(sig))
    monkeypatch.setattr(process, "time", Clock)
    with pytest.raises(DovecotError, match="dovecot master 4242 did not exit"):
        process.terminate(4242, config, 3)
    assert sent == [signal.SIGTERM, signal.SIGKILL]


# wait_greeting


class _OneShotServer:
    """Accepts connections on 127.0.0.1 and answers each with ``reply`` (then closes)."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            if self.reply is None:  # hold the connection open, say nothing
                time.sleep(1.0)
                return
            conn.sendall(self.reply)
            conn.settimeout(2)
            try:
                self.received.append(conn.recv(100))
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()
        self.thread.join(5)


@pytest.fixture
def greeter(request: pytest.FixtureRequest) -> Iterator[_OneShotServer]:
    server = _OneShotServer(request.param)
    yield server
    server.close()


@pytest.mark.parametrize("greeter", [b"+OK ready\r\n"], indirect=True)
def test_wait_greeting_returns_the_line_and_quits(greeter: _OneShotServer) -> None:
    line = process.wait_greeting("127.0.0.1", greeter.port, time.monotonic() + 10, 10, _log)
    assert line == b"+OK ready"
    greeter.thread.join(5)
    assert greeter.received == [b"QUIT\r\n"]


@pytest.mark.parametrize("greeter", [b"-ERR go away\r\n"], indirect=True)
def test_wait_greeting_rejects_an_error_greeting(greeter: _OneShotServer) -> None:
    with pytest.raises(DovecotError, match=r"unexpected greeting b'-ERR go away':\nthe log"):
        process.wait_greeting("127.0.0.1", greeter.port, time.monotonic() + 10, 10, _log)


@pytest.mark.parametrize("greeter", [b""], indirect=True)
def test_wait_greeting_rejects_a_connection_closed_without_greeting(
        greeter: _OneShotServer) -> None:
    with pytest.raises(DovecotError, match=r"unexpected greeting b''"):
        process.wait_greeting("127.0.0.1", greeter.port, time.monotonic() + 10, 10, _log)


@pytest.mark.parametrize("greeter", [b"+OK plain text, not TLS\r\n"], indirect=True)
def test_wait_greeting_reports_a_failed_tls_handshake(greeter: _OneShotServer) -> None:
    context = ssl.create_default_context()
    with pytest.raises(DovecotError, match=rf"TLS with 127.0.0.1 port {greeter.port} failed"):
        process.wait_greeting("127.0.0.1", greeter.port, time.monotonic() + 10, 10, _log,
                              context)


@pytest.mark.parametrize("greeter", [None], indirect=True)
def test_wait_greeting_gives_up_on_a_silent_server(greeter: _OneShotServer) -> None:
    with pytest.raises(DovecotError, match=r"no \+OK greeting from 127.0.0.1 port \d+ within 9"):
        process.wait_greeting("127.0.0.1", greeter.port, time.monotonic() + 0.3, 9, _log)


def test_wait_greeting_gives_up_when_nothing_listens() -> None:
    port = process.free_port(["127.0.0.1"])
    with pytest.raises(DovecotError, match=r"within 4 s \(.*refused.*\):\nthe log text"):
        process.wait_greeting("127.0.0.1", port, time.monotonic() + 0.2, 4, _log)


def test_wait_greeting_raises_other_network_errors_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(OSError) as raised:
        process.wait_greeting("name.invalid", 110, started + 30, 30, _log)
    assert not isinstance(raised.value, DovecotError)
    assert time.monotonic() - started < 25
