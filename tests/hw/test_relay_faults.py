"""nxpop3/board/relay.py run by path as QEMU runs it, with pipes (not a socket) for
the guest's side: the bytes pass both ways, and a server that resets, a guest that
stops reading, silence past the idle bound, or wrong arguments each end the relay."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

import nxpop3.board.relay as relay_module

RELAY = relay_module.__file__


class _Server:
    """One connection on 127.0.0.1, handled by ``behaviour(conn)`` in a thread."""

    def __init__(self, behaviour: Callable[[socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._run, args=(behaviour,), daemon=True)
        self.thread.start()

    def _run(self, behaviour: Callable[[socket.socket], None]) -> None:
        conn, _ = self.listener.accept()
        with conn:
            behaviour(conn)

    def close(self) -> None:
        self.thread.join(10)
        self.listener.close()


def _relay(port: int, *extra: str, stdout: int = subprocess.PIPE) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, RELAY, "127.0.0.1", str(port), *extra],
                            stdin=subprocess.PIPE, stdout=stdout, stderr=subprocess.PIPE)


@pytest.fixture
def cleanup() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_relay_through_pipes_passes_bytes_and_closes(cleanup) -> None:
    def echo_upper(conn: socket.socket) -> None:
        data = b""
        while chunk := conn.recv(4096):  # until the guest's half-close arrives
            data += chunk
        conn.sendall(data.upper())
    server = _Server(echo_upper)
    proc = _relay(server.port)
    cleanup.append(proc)
    out, err = proc.communicate(b"user alice\r\n", timeout=30)
    server.close()
    assert out == b"USER ALICE\r\n"
    assert err == b""  # standard error is silenced: it is the guest's connection too
    assert proc.returncode == 0


def test_relay_ends_when_the_server_resets(cleanup) -> None:
    def reset(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)
    server = _Server(reset)
    proc = _relay(server.port, "20")
    cleanup.append(proc)
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.read() == b""  # the guest sees its side closed...
    assert proc.poll() is None  # ...while the relay still waits for the guest's end
    server.close()
    proc.stdin.close()
    assert proc.wait(30) == 0


def test_relay_ends_when_the_guest_stops_reading(cleanup) -> None:
    held = threading.Event()

    def talk(conn: socket.socket) -> None:
        conn.sendall(b"+OK first\r\n")
        held.wait(10)
        try:
            conn.sendall(b"+OK second\r\n")
            conn.recv(10)
        except OSError:
            pass
    server = _Server(talk)
    proc = _relay(server.port)
    cleanup.append(proc)
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.read(11) == b"+OK first\r\n"
    proc.stdout.close()  # the guest is gone: the relay's next write fails
    held.set()
    proc.stdin.close()
    assert proc.wait(30) == 0
    server.close()


def test_relay_gives_up_after_the_idle_bound(cleanup) -> None:
    done = threading.Event()
    server = _Server(lambda conn: done.wait(30))
    proc = _relay(server.port, "0.2")
    cleanup.append(proc)
    try:
        assert proc.wait(20) == 0  # neither side said anything for 0.2 s
    finally:
        done.set()
        server.close()


def test_relay_cannot_reach_the_server(cleanup) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    proc = _relay(port)
    cleanup.append(proc)
    assert proc.wait(30) == 1


@pytest.mark.parametrize("args", [[], ["127.0.0.1"], ["127.0.0.1", "110", "5", "extra"]])
def test_relay_wrong_arguments(cleanup, args: list[str]) -> None:
    proc = subprocess.Popen([sys.executable, RELAY, *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cleanup.append(proc)
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out, err) == (2, b"", b"")
