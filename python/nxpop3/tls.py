"""TLS for the Python client: a transport whose connection is a Python socket,
with TLS from Python's ``ssl`` module (the caller's ``ssl.SSLContext``: its
certificate stores, client certificates and policies).

The C client drives it through the callback transport
(``csrc/transport/callback/``): one Python call per operation, that is per
packet or TLS record, never per byte or line. Implicit TLS (POP3S, RFC 8314)
does the handshake in ``connect``; STLS (RFC 2595) starts it on the open
connection when the C client asks. The handshake verifies the certificate
chain and the host name as the context says (``ssl.create_default_context()``
verifies both); a failure is kept in ``tls_error`` for the ``TLSError`` the
client raises.
"""
from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import Any

from ._binding import ffi, lib

#: tls_verify_result for a connection whose peer was not verified (CERT_NONE).
NOT_VERIFIED = 1


def _seconds(wait_ticks: int) -> float | None:
    """A NetX wait as a socket timeout: None blocks, 0.0 polls."""
    if wait_ticks == lib.NX_WAIT_FOREVER:
        return None
    return wait_ticks / lib.NX_IP_PERIODIC_RATE


def _address(server: Any) -> str:
    """NXD_ADDRESS as an IP literal."""
    if server.nxd_ip_version == lib.NX_IP_VERSION_V4:
        return str(ipaddress.IPv4Address(int(server.nxd_ip_address.v4)))
    value = 0
    for word in server.nxd_ip_address.v6:
        value = (value << 32) | int(word)
    return str(ipaddress.IPv6Address(value))


class SocketTransport:
    """A connection through Python's socket and ssl modules.

    ``context`` is the TLS configuration; ``server_hostname`` the name the
    certificate must carry; ``implicit`` makes TLS start with the connection
    (POP3S) instead of at STLS.
    """

    def __init__(self, context: ssl.SSLContext, server_hostname: str | None, *,
                 implicit: bool = False) -> None:
        self.context = context
        self.server_hostname = server_hostname
        self.implicit = implicit
        self.sock: socket.socket | None = None
        self._timeout: float | None | bool = False  # the socket's timeout; False: unknown
        self.tls_error: BaseException | None = None
        self.errors: list[str] = []
        self._context = ffi.new("NX_TRANSPORT_CALLBACK *")
        self._handle = ffi.new_handle(self)
        self._context.on_connect = lib.nxpop3_socket_connect
        self._context.on_send = lib.nxpop3_socket_send
        self._context.on_receive = lib.nxpop3_socket_receive
        self._context.on_close = lib.nxpop3_socket_close
        self._context.on_tls_start = lib.nxpop3_socket_tls_start
        self._context.on_tls_verify_result = lib.nxpop3_socket_tls_verify_result
        self._context.user = self._handle
        self.nx_transport = ffi.new("NX_TRANSPORT *")
        lib.nx_transport_callback_init(self.nx_transport, self._context)

    @property
    def tls(self) -> bool:
        """True while the connection is encrypted."""
        return isinstance(self.sock, ssl.SSLSocket)

    def peer_certificate(self, binary_form: bool = False) -> Any:
        """The server's certificate (``ssl.SSLSocket.getpeercert``), or None."""
        if not isinstance(self.sock, ssl.SSLSocket):
            return None
        return self.sock.getpeercert(binary_form=binary_form)

    def _wait(self, wait_ticks: int) -> None:
        """Sets the socket's timeout to the wait, only when it changes: each change
        is a system call (the blocking mode), and the receive path runs per record."""
        timeout = _seconds(wait_ticks)
        if timeout != self._timeout:
            assert self.sock is not None
            self.sock.settimeout(timeout)
            self._timeout = timeout

    # The transport's operations, called from C.
    def _handshake(self, wait_ticks: int) -> int:
        assert self.sock is not None
        try:
            self._wait(wait_ticks)
            wrapped = self.context.wrap_socket(self.sock, server_hostname=self.server_hostname,
                                               do_handshake_on_connect=False)
            self.sock = wrapped  # wrap_socket keeps the timeout
            wrapped.do_handshake()
        except TimeoutError as exc:
            self.tls_error = exc
            return int(lib.NX_TRANSPORT_TIMEOUT)
        except (ssl.SSLError, ssl.CertificateError, ValueError) as exc:
            self.tls_error = exc
            return int(lib.NX_TRANSPORT_ERROR)
        except OSError as exc:
            self.tls_error = exc
            return int(lib.NX_TRANSPORT_CLOSED)
        return int(lib.NX_TRANSPORT_OK)

    def _connect(self, server: Any, port: int, wait_ticks: int) -> int:
        self.tls_error = None
        try:
            self.sock = socket.create_connection((_address(server), port),
                                                 timeout=_seconds(wait_ticks))
            self._timeout = _seconds(wait_ticks)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except TimeoutError:
            return int(lib.NX_TRANSPORT_TIMEOUT)
        except (ConnectionRefusedError, ConnectionResetError):
            return int(lib.NX_TRANSPORT_CLOSED)
        except OSError:
            return int(lib.NX_TRANSPORT_ERROR)
        if self.implicit and self._handshake(wait_ticks) != lib.NX_TRANSPORT_OK:
            self._close()
            return int(lib.NX_TRANSPORT_TLS_FAILED)  # connected; TLS could not be had
        return int(lib.NX_TRANSPORT_OK)

    def _send(self, data: Any, wait_ticks: int) -> int:
        assert self.sock is not None
        try:
            self._wait(wait_ticks)
            return self.sock.send(data)
        except (TimeoutError, BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            return 0
        except (BrokenPipeError, ConnectionResetError):
            return int(lib.NX_TRANSPORT_CLOSED)
        except OSError:
            return int(lib.NX_TRANSPORT_ERROR)

    def _receive(self, buffer: Any, size: int, wait_ticks: int) -> int:
        assert self.sock is not None
        try:
            self._wait(wait_ticks)
            count = self.sock.recv_into(ffi.buffer(buffer, size))
        except (TimeoutError, BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return 0
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            return int(lib.NX_TRANSPORT_CLOSED)
        except OSError:
            return int(lib.NX_TRANSPORT_ERROR)
        return count if count > 0 else int(lib.NX_TRANSPORT_CLOSED)

    def _close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def _verify_result(self) -> int:
        if not isinstance(self.sock, ssl.SSLSocket):
            return int(lib.NX_TRANSPORT_TLS_OFF)
        return 0 if self.context.verify_mode == ssl.CERT_REQUIRED else NOT_VERIFIED


def _guarded(user: Any, action: Any, failure: int) -> int:
    """Runs an operation; an unexpected exception is recorded and the client
    sees a transport error rather than a crash."""
    transport = ffi.from_handle(user)
    try:
        return int(action(transport))
    except Exception as exc:  # noqa: BLE001 - reported through .errors
        transport.errors.append(f"{type(exc).__name__}: {exc}")
        return failure


@ffi.def_extern()
def nxpop3_socket_connect(user: Any, server: Any, port: int, wait: int) -> int:
    return _guarded(user, lambda t: t._connect(server, port, wait), int(lib.NX_TRANSPORT_ERROR))


@ffi.def_extern()
def nxpop3_socket_send(user: Any, data: Any, length: int, wait: int) -> int:
    return _guarded(user, lambda t: t._send(ffi.buffer(data, length), wait),
                    int(lib.NX_TRANSPORT_ERROR))


@ffi.def_extern()
def nxpop3_socket_receive(user: Any, buffer: Any, size: int, wait: int) -> int:
    return _guarded(user, lambda t: t._receive(buffer, size, wait), int(lib.NX_TRANSPORT_ERROR))


@ffi.def_extern()
def nxpop3_socket_close(user: Any) -> None:
    _guarded(user, lambda t: t._close() or 0, 0)


@ffi.def_extern()
def nxpop3_socket_tls_start(user: Any, wait: int) -> int:
    return _guarded(user, lambda t: t._handshake(wait), int(lib.NX_TRANSPORT_ERROR))


@ffi.def_extern()
def nxpop3_socket_tls_verify_result(user: Any) -> int:
    return _guarded(user, lambda t: t._verify_result(), int(lib.NX_TRANSPORT_TLS_OFF))
