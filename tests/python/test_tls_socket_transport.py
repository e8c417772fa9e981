"""nxpop3.tls.SocketTransport, operation by operation, through the functions the
C client calls: what each socket or TLS failure becomes (timeout, closed, error),
with peers that close, reset, stay silent or speak no TLS."""
from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest
import trustme
from nxpop3._binding import ffi, lib

from nxpop3 import tls

OK = int(lib.NX_TRANSPORT_OK)
TIMEOUT = int(lib.NX_TRANSPORT_TIMEOUT)
CLOSED = int(lib.NX_TRANSPORT_CLOSED)
ERROR = int(lib.NX_TRANSPORT_ERROR)
TLS_FAILED = int(lib.NX_TRANSPORT_TLS_FAILED)
TLS_OFF = int(lib.NX_TRANSPORT_TLS_OFF)
FOREVER = int(lib.NX_WAIT_FOREVER)
TICKS = int(lib.NX_IP_PERIODIC_RATE)  # one second
POLL = 0


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def _server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


def _address(host: str) -> object:
    address = ffi.new("NXD_ADDRESS *")
    if ":" in host:
        address.nxd_ip_version = lib.NX_IP_VERSION_V6
        value = int.from_bytes(socket.inet_pton(socket.AF_INET6, host), "big")
        for i in range(4):
            address.nxd_ip_address.v6[i] = (value >> (32 * (3 - i))) & 0xFFFFFFFF
    else:
        address.nxd_ip_version = lib.NX_IP_VERSION_V4
        address.nxd_ip_address.v4 = int.from_bytes(socket.inet_aton(host), "big")
    return address


def _transport(context: ssl.SSLContext | None = None, **kwargs: object) -> tls.SocketTransport:
    return tls.SocketTransport(context or ssl.create_default_context(), "localhost", **kwargs)


def _send(transport: tls.SocketTransport, data: bytes, wait: int = TICKS) -> int:
    return tls.nxpop3_socket_send(transport._handle, ffi.from_buffer(data), len(data), wait)


def _receive(transport: tls.SocketTransport, size: int = 64, wait: int = TICKS,
             ) -> tuple[int, bytes]:
    buffer = ffi.new("unsigned char[]", size)
    count = tls.nxpop3_socket_receive(transport._handle, buffer, size, wait)
    return count, ffi.buffer(buffer, max(count, 0))[:]


def _connect(transport: tls.SocketTransport, host: str, port: int, wait: int = TICKS) -> int:
    return tls.nxpop3_socket_connect(transport._handle, _address(host), port, wait)


@pytest.fixture
def tcp_pair() -> Iterator[tuple[tls.SocketTransport, socket.socket]]:
    """A transport connected over TCP on 127.0.0.1, and the peer's socket."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        transport = _transport()
        assert _connect(transport, "127.0.0.1", listener.getsockname()[1]) == OK
        peer, _ = listener.accept()
    yield transport, peer
    peer.close()
    tls.nxpop3_socket_close(transport._handle)


def _reset(peer: socket.socket) -> None:
    """Closes ``peer`` with a TCP reset instead of a FIN."""
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    peer.close()


# connect


def test_connect_over_ipv6() -> None:
    try:
        listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback on this host")
    with listener:
        transport = _transport()
        assert _connect(transport, "::1", listener.getsockname()[1]) == OK
        assert transport.sock is not None
        assert transport.sock.getpeername()[0] == "::1"
        tls.nxpop3_socket_close(transport._handle)
        assert transport.sock is None


def test_connect_wait_forever_blocks_without_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        transport = _transport()
        assert _connect(transport, "127.0.0.1", listener.getsockname()[1], FOREVER) == OK
        assert transport.sock is not None
        assert transport.sock.gettimeout() is None
        tls.nxpop3_socket_close(transport._handle)


@pytest.mark.parametrize(("failure", "expected"), [
    (TimeoutError("timed out"), TIMEOUT),
    (ConnectionResetError(104, "reset"), CLOSED),
    (OSError(101, "Network is unreachable"), ERROR),
])
def test_connect_failures_map_to_transport_codes(monkeypatch: pytest.MonkeyPatch,
                                                 failure: OSError, expected: int) -> None:
    def create_connection(*args: object, **kwargs: object) -> socket.socket:
        raise failure
    monkeypatch.setattr(tls.socket, "create_connection", create_connection)
    transport = _transport()
    assert _connect(transport, "192.0.2.1", 110) == expected
    assert transport.sock is None


def test_connect_refused_is_closed() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    assert _connect(_transport(), "127.0.0.1", port) == CLOSED


def test_implicit_tls_against_a_plain_server_fails_and_closes() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def greet() -> None:
            peer, _ = listener.accept()
            with peer:
                peer.sendall(b"+OK plain POP3, no TLS here\r\n")
                peer.recv(4096)
        thread = threading.Thread(target=greet, daemon=True)
        thread.start()
        transport = _transport(implicit=True)
        assert _connect(transport, "127.0.0.1", listener.getsockname()[1]) == TLS_FAILED
        thread.join(5)
    assert isinstance(transport.tls_error, ssl.SSLError)
    assert transport.sock is None


# send


def test_send_to_a_peer_that_closed_is_closed() -> None:
    mine, peer = socket.socketpair()
    transport = _transport()
    transport.sock = mine
    peer.close()
    assert _send(transport, b"QUIT\r\n") == CLOSED
    mine.close()


def test_send_to_a_peer_that_reset_is_closed(tcp_pair) -> None:
    transport, peer = tcp_pair
    _reset(peer)
    codes = {_send(transport, b"NOOP\r\n") for _ in range(3)}  # the reset may come a send late
    assert CLOSED in codes
    assert codes <= {6, CLOSED}


def test_send_that_cannot_proceed_in_time_sends_nothing() -> None:
    mine, peer = socket.socketpair()
    transport = _transport()
    transport.sock = mine
    mine.setblocking(False)
    try:
        while True:  # fill the buffers: the peer never reads
            mine.send(b"x" * 65536)
    except BlockingIOError:
        pass
    assert _send(transport, b"more", POLL) == 0
    assert _send(transport, b"more", TICKS // 20) == 0  # a 50 ms wait that runs out
    mine.close()
    peer.close()


def test_send_on_a_closed_socket_is_an_error() -> None:
    mine, peer = socket.socketpair()
    transport = _transport()
    transport.sock = mine
    mine.close()
    assert _send(transport, b"NOOP\r\n") == ERROR
    peer.close()


def test_send_without_a_connection_is_an_error_recorded() -> None:
    transport = _transport()
    assert _send(transport, b"NOOP\r\n") == ERROR
    assert len(transport.errors) == 1
    assert transport.errors[0].startswith("AssertionError")


# receive


def test_receive_returns_what_the_peer_sent(tcp_pair) -> None:
    transport, peer = tcp_pair
    peer.sendall(b"+OK hello\r\n")
    assert _receive(transport) == (11, b"+OK hello\r\n")


def test_receive_with_nothing_to_read_in_time_is_zero(tcp_pair) -> None:
    transport, _ = tcp_pair
    assert _receive(transport, wait=POLL) == (0, b"")
    assert _receive(transport, wait=TICKS // 20) == (0, b"")


def test_receive_after_the_peer_closed_is_closed(tcp_pair) -> None:
    transport, peer = tcp_pair
    peer.close()
    assert _receive(transport)[0] == CLOSED


def test_receive_after_a_reset_is_closed(tcp_pair) -> None:
    transport, peer = tcp_pair
    _reset(peer)
    assert _receive(transport)[0] == CLOSED


def test_receive_on_a_closed_socket_is_an_error(tcp_pair) -> None:
    transport, _ = tcp_pair
    assert transport.sock is not None
    transport.sock.close()
    assert _receive(transport)[0] == ERROR


# TLS


class _TlsPeer:
    """One connection on 127.0.0.1 whose peer runs ``behaviour(socket)``."""

    def __init__(self, behaviour) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(behaviour,), daemon=True)
        self.thread.start()

    def _run(self, behaviour) -> None:
        peer, _ = self.listener.accept()
        try:
            behaviour(peer)
        except (OSError, ssl.SSLError) as exc:
            self.error = exc
        finally:
            peer.close()

    def close(self) -> None:
        self.thread.join(10)
        self.listener.close()


def _handshake(transport: tls.SocketTransport, peer: _TlsPeer, wait: int = TICKS * 5) -> int:
    assert _connect(transport, "127.0.0.1", peer.port) == OK
    return tls.nxpop3_socket_tls_start(transport._handle, wait)


def test_handshake_that_the_server_never_answers_times_out(client_context) -> None:
    done = threading.Event()
    peer = _TlsPeer(lambda sock: done.wait(10))
    transport = _transport(client_context)
    try:
        assert _handshake(transport, peer, TICKS // 10) == TIMEOUT
        assert isinstance(transport.tls_error, TimeoutError)
    finally:
        done.set()
        tls.nxpop3_socket_close(transport._handle)
        peer.close()


def test_handshake_reset_by_the_server_is_closed(client_context) -> None:
    def reset_on_hello(sock: socket.socket) -> None:
        sock.recv(1)  # the ClientHello has arrived
        _reset(sock)
    peer = _TlsPeer(reset_on_hello)
    transport = _transport(client_context)
    try:
        assert _handshake(transport, peer) == CLOSED
        assert isinstance(transport.tls_error, ConnectionResetError)
    finally:
        tls.nxpop3_socket_close(transport._handle)
        peer.close()


def test_handshake_with_an_untrusted_certificate_is_an_error(ca) -> None:
    server_context = _server_context(ca)
    peer = _TlsPeer(lambda sock: server_context.wrap_socket(sock, server_side=True))
    transport = _transport(ssl.create_default_context())  # trusts no test CA
    try:
        assert _handshake(transport, peer) == ERROR
        assert isinstance(transport.tls_error, ssl.SSLCertVerificationError)
    finally:
        tls.nxpop3_socket_close(transport._handle)
        peer.close()


def _serve_tls(server_context: ssl.SSLContext, closing: threading.Event):
    def serve(sock: socket.socket) -> None:
        with server_context.wrap_socket(sock, server_side=True) as wrapped:
            wrapped.sendall(b"+OK over TLS\r\n")
            closing.wait(10)
            wrapped.unwrap()  # close_notify, then the TCP close
    return serve


@pytest.mark.parametrize("verified", [True, False])
def test_verify_result_says_whether_the_peer_was_verified(ca, client_context,
                                                          verified: bool) -> None:
    if not verified:
        client_context.check_hostname = False
        client_context.verify_mode = ssl.CERT_NONE
    closing = threading.Event()
    peer = _TlsPeer(_serve_tls(_server_context(ca), closing))
    transport = _transport(client_context)
    try:
        assert tls.nxpop3_socket_tls_verify_result(transport._handle) == TLS_OFF
        assert transport.peer_certificate() is None
        assert _handshake(transport, peer) == OK
        assert transport.tls
        expected = 0 if verified else tls.NOT_VERIFIED
        assert tls.nxpop3_socket_tls_verify_result(transport._handle) == expected
        assert _receive(transport) == (14, b"+OK over TLS\r\n")
        closing.set()
        assert _receive(transport)[0] == CLOSED  # the server's close_notify
    finally:
        closing.set()
        tls.nxpop3_socket_close(transport._handle)
        peer.close()


def test_receive_after_a_tls_peer_vanished_is_closed(ca, client_context) -> None:
    server_context = _server_context(ca)

    def handshake_then_vanish(sock: socket.socket) -> None:
        wrapped = server_context.wrap_socket(sock, server_side=True)
        wrapped.sendall(b"+OK\r\n")
        os.close(wrapped.detach())  # the TCP close without close_notify
    peer = _TlsPeer(handshake_then_vanish)
    transport = _transport(client_context)
    try:
        assert _handshake(transport, peer) == OK
        assert _receive(transport) == (5, b"+OK\r\n")
        peer.close()
        assert _receive(transport)[0] == CLOSED  # SSLEOFError
    finally:
        tls.nxpop3_socket_close(transport._handle)
