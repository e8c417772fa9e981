"""A signal never breaks a timeout, at the transport interface (nx_transport.h).

Each test runs an interval timer (SIGALRM every 2 ms, a Python handler) while a
POSIX-transport call waits in poll(). CPython installs its C handler without
SA_RESTART, so every tick interrupts poll() with EINTR, as a profiler or a test
runner's timer would. The call must keep its connection and return exactly what
it would without signals, after its own wait and not many times that: the
bounds are generous (3x + 1 s), a correctness check, not a benchmark.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from nxpop3 import ffi, lib
from nxpop3.transport import PosixTransport, ScriptedTransport

WAIT_TICKS = 30  # 0.3 s at NX_IP_PERIODIC_RATE 100
WAIT_SECONDS = WAIT_TICKS / lib.NX_IP_PERIODIC_RATE




def loopback(port: int) -> ffi.CData:
    address = ffi.new("NXD_ADDRESS *")
    address.nxd_ip_version = lib.NX_IP_VERSION_V4
    address.nxd_ip_address.v4 = 0x7F000001
    return address


class Connection:
    """One connection made through the POSIX transport's own connect."""

    def __init__(self, transport: PosixTransport, handle: ffi.CData) -> None:
        self.transport = transport
        self.handle = handle

    @property
    def ops(self) -> ffi.CData:
        return self.transport.nx_transport.ops

    def receive(self, size: int, wait: int) -> tuple[int, bytes]:
        buffer = ffi.new("UCHAR[]", 4096)
        result = self.ops.receive(self.transport.nx_transport.context, self.handle, buffer,
                                  size, wait)
        return result, ffi.buffer(buffer, max(result, 0))[:]

    def send(self, data: bytes, wait: int) -> int:
        return self.ops.send(self.transport.nx_transport.context, self.handle, data, len(data),
                             wait)

    def close(self) -> None:
        self.ops.close(self.transport.nx_transport.context, self.handle)


def connect(transport: PosixTransport, port: int, wait: int) -> tuple[int, Connection | None]:
    handle = ffi.new("void **")
    ops = transport.nx_transport.ops
    result = ops.connect(transport.nx_transport.context, handle, loopback(port), port, wait)
    return result, Connection(transport, handle[0]) if result == lib.NX_TRANSPORT_OK else None


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    yield server
    server.close()


@pytest.fixture
def connection(listener: socket.socket) -> Iterator[tuple[Connection, socket.socket]]:
    result, conn = connect(PosixTransport(), listener.getsockname()[1], WAIT_TICKS)
    assert result == lib.NX_TRANSPORT_OK and conn is not None
    peer, _ = listener.accept()
    yield conn, peer
    conn.close()
    peer.close()


def test_receive_from_a_silent_peer_waits_its_time_under_signals(interval_timer,
                                                                  connection) -> None:
    conn, _ = connection
    with interval_timer() as seen:
        start = time.monotonic()
        result, _ = conn.receive(4096, WAIT_TICKS)
        elapsed = time.monotonic() - start
    assert result == 0, "EINTR must not end the connection (0 = nothing within the wait)"
    assert WAIT_SECONDS * 0.9 <= elapsed < 3 * WAIT_SECONDS + 1
    assert seen[0] >= 1


def test_receive_gets_late_bytes_under_signals(interval_timer, connection) -> None:
    conn, peer = connection
    with interval_timer():
        # The byte comes after many ticks: a wait cut short would miss it.
        timer = threading.Timer(0.15, peer.sendall, args=(b"x",))
        timer.start()
        try:
            result, data = conn.receive(4096, 2 * WAIT_TICKS)
        finally:
            timer.join()
    assert (result, data) == (1, b"x")


def test_send_into_a_full_window_waits_its_time_under_signals(interval_timer, connection) -> None:
    conn, _ = connection  # the peer never reads: the window fills, send waits
    chunk = b"\0" * (256 * 1024)
    with interval_timer():
        for _ in range(400):  # loopback buffers hold a few MB at most
            start = time.monotonic()
            result = conn.send(chunk, WAIT_TICKS)
            elapsed = time.monotonic() - start
            assert result >= 0, "EINTR must not end the connection"
            if result == 0:
                break
        else:
            pytest.fail("the send window never filled")
    assert WAIT_SECONDS * 0.9 <= elapsed < 3 * WAIT_SECONDS + 1


def test_connect_that_gets_no_answer_times_out_on_time_under_signals(interval_timer) -> None:
    # A listener with a full accept queue drops further SYNs: the connect hangs.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    transport = PosixTransport()
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.05)
        with interval_timer():
            start = time.monotonic()
            result, conn = connect(transport, port, WAIT_TICKS)
            elapsed = time.monotonic() - start
        if conn is not None:
            conn.close()
            pytest.skip("this kernel accepted the connection despite the full queue")
        assert result == lib.NX_TRANSPORT_TIMEOUT, "EINTR must not fail the connect"
        assert WAIT_SECONDS * 0.9 <= elapsed < 3 * WAIT_SECONDS + 1
    finally:
        for filler in fillers:
            filler.close()
        server.close()


def test_no_wait_polls_once_and_returns_at_once_under_signals(interval_timer, connection) -> None:
    conn, peer = connection
    with interval_timer():
        assert conn.receive(4096, lib.NX_NO_WAIT)[0] == 0
        peer.sendall(b"ready")
        time.sleep(0.02)
        assert conn.receive(4096, lib.NX_NO_WAIT) == (5, b"ready")


def test_receive_size_beyond_a_long_is_clamped(connection) -> None:
    # The contract's LONG return carries at most NX_TRANSPORT_IO_MAX: a larger
    # size is clamped, never turned into a negative count.
    conn, peer = connection
    peer.sendall(b"abc")
    result, data = conn.receive(0xFFFFFFFF, WAIT_TICKS)
    assert (result, data) == (3, b"abc")
    assert lib.NX_TRANSPORT_IO_MAX == 0x7FFFFFFF


def test_scripted_receive_size_beyond_a_long_is_clamped() -> None:
    transport = ScriptedTransport(greeting=b"+OK hi\r\n")
    ops, context = transport.nx_transport.ops, transport.nx_transport.context
    handle = ffi.new("void **")
    assert ops.connect(context, handle, loopback(110), 110, 10) == lib.NX_TRANSPORT_OK
    buffer = ffi.new("UCHAR[]", 64)
    # Before the clamp, a size above 2**31 - 1 became a negative LONG and any
    # count was taken for an overrun.
    result = ops.receive(context, handle[0], buffer, 0xFFFFFFFF, 10)
    assert result == 8 and ffi.buffer(buffer, 8)[:] == b"+OK hi\r\n"
    assert ops.send(context, handle[0], b"NOOP\r\n", 6, 10) == 6
    ops.close(context, handle[0])
