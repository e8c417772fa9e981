"""The byte path of one test-server connection: plain TCP, or TLS over memory BIOs.

A :class:`~nxpop3.testing.server.Session` reads and writes POP3 bytes through a channel.
:class:`PlainChannel` is the socket itself. :class:`TlsChannel` runs an ``ssl.SSLObject``
over two ``ssl.MemoryBIO`` objects and moves the records to and from the socket itself,
so the server decides every TCP ``send``: each POP3 segment the faults cut (``split``,
``close_after``...) becomes one TLS record in one ``send``, and the server's handshake
bytes can be cut, split, delayed or replaced (the ``HANDSHAKE`` fault).

Both append every byte read from the socket to ``wire_received`` (TLS records as they
came), so a test can prove a secret never crossed the wire in clear.
"""
from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nxpop3.testing.faults import Effect

__all__ = ["HandshakeFailed", "PlainChannel", "TlsChannel", "watch_server_name"]

RECV_SIZE = 65536
_WRITE_CHUNK = 65536  # plaintext given to the TLS layer at a time: memory stays bounded
_SERVER_NAME = "_nxpop3_server_name"  # where the SNI callback leaves the client's name


class HandshakeFailed(Exception):
    """The TLS handshake did not complete. ``cut``: the ``HANDSHAKE`` fault ended it on
    purpose and the connection must be closed now (with an RST when the fault says so)."""

    def __init__(self, reason: str, cut: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cut = cut


class PlainChannel:
    """POP3 bytes straight over the socket."""

    tls = False

    def __init__(self, sock: socket.socket, wire_received: bytearray) -> None:
        self.sock = sock
        self.wire_received = wire_received

    def recv(self) -> bytes:
        """The next bytes from the client; ``b""`` when it closed the connection."""
        data = self.sock.recv(RECV_SIZE)
        self.wire_received += data
        return data

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close_notify(self) -> None:
        """Nothing to say before closing a plain connection."""


class TlsChannel:
    """POP3 bytes inside TLS, the server's side, over the connected ``sock``.

    Call :meth:`handshake` first. ``recv`` and ``send`` then carry plaintext; each
    ``send`` is sent as its own TLS record(s) in its own TCP ``send``.
    """

    tls = True

    def __init__(
        self, sock: socket.socket, context: ssl.SSLContext, wire_received: bytearray
    ) -> None:
        self.sock = sock
        self.wire_received = wire_received
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self.wire_sent = 0
        """Octets the server sent on the socket (TLS records; clear bytes of a fault)."""

    # -- what the handshake settled ------------------------------------------------------
    @property
    def version(self) -> str | None:
        """``"TLSv1.3"``, ``"TLSv1.2"``...; None before the handshake."""
        return self._tls.version()

    @property
    def cipher(self) -> str | None:
        found = self._tls.cipher()
        return None if found is None else found[0]

    @property
    def server_name(self) -> str | None:
        """The host name the client asked for (SNI); None when it sent none."""
        return getattr(self._tls, _SERVER_NAME, None)

    # -- the handshake ---------------------------------------------------------------------
    def handshake(
        self, effect: Effect, pause: float, stopping: threading.Event,
        sent_in_clear: Callable[[bytes], None],
    ) -> None:
        """The server's side of the handshake, bent by ``effect`` (the merged
        ``HANDSHAKE`` faults). Raises :class:`HandshakeFailed` when it does not complete.

        ``sent_in_clear`` records bytes the fault sends instead of a handshake (``err``,
        ``raw``).
        """
        if effect.silent:  # read the client's bytes and never answer
            while self._read_wire():
                pass
            raise HandshakeFailed("the HANDSHAKE fault never answered (silent)")
        if effect.err is not None or effect.raw is not None:
            self._read_wire()  # the ClientHello, so that closing sends a FIN, not an RST
            data = effect.raw if effect.raw is not None else effect.refusal()
            sent_in_clear(data)
            self._send_wire(data)
            raise HandshakeFailed("the HANDSHAKE fault answered in clear", cut=True)
        sent = 0
        first = True
        while True:
            try:
                self._tls.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            except ssl.SSLError as exc:
                self._flush_quietly()  # the alert, if OpenSSL made one
                raise HandshakeFailed(f"handshake failed: {exc}") from None
            flight = self._outgoing.read()
            if flight:
                if first and effect.delay:
                    stopping.wait(effect.delay)
                first = False
                for index, segment in enumerate(effect.segments(flight)):
                    if index and pause:
                        stopping.wait(pause)
                    limit = effect.close_after
                    if limit is not None and sent + len(segment) >= limit:
                        self._send_wire(segment[: limit - sent])
                        raise HandshakeFailed(
                            f"the HANDSHAKE fault closed after {limit} octets", cut=True
                        )
                    self._send_wire(segment)
                    sent += len(segment)
            if done:
                return
            if not self._read_wire():
                raise HandshakeFailed("the client closed the connection during the handshake")

    # -- POP3 bytes ---------------------------------------------------------------------------
    def recv(self) -> bytes:
        """The next plaintext from the client; ``b""`` at its close_notify or TCP end."""
        while True:
            try:
                data = self._tls.read(RECV_SIZE)
            except ssl.SSLWantReadError:
                data = b""
            except ssl.SSLZeroReturnError:  # the client's close_notify
                return b""
            self._flush()  # anything reading produced (a key update's answer)
            if data:
                return data
            if not self._read_wire():
                return b""  # the TCP connection ended without close_notify

    def send(self, data: bytes) -> None:
        """Encrypt ``data`` and send the records (one TCP send per 64 KiB of it)."""
        view = memoryview(data)
        for start in range(0, len(view), _WRITE_CHUNK):
            self._tls.write(view[start : start + _WRITE_CHUNK])
            self._flush()

    def close_notify(self) -> None:
        """Send the TLS close_notify alert, without waiting for the client's."""
        try:
            self._tls.unwrap()
        except (ssl.SSLError, ValueError):
            pass  # SSLWantReadError: ours is written, theirs not awaited
        self._flush_quietly()

    # -- the socket --------------------------------------------------------------------------
    def _read_wire(self) -> bool:
        data = self.sock.recv(RECV_SIZE)
        if not data:
            self._incoming.write_eof()
            return False
        self.wire_received += data
        self._incoming.write(data)
        return True

    def _send_wire(self, data: bytes) -> None:
        if data:
            self.wire_sent += len(data)
            self.sock.sendall(data)

    def _flush(self) -> None:
        self._send_wire(self._outgoing.read())

    def _flush_quietly(self) -> None:
        try:
            self._flush()
        except OSError:
            pass


def _record_server_name(tls: ssl.SSLObject | ssl.SSLSocket, name: str | None,
                        context: ssl.SSLContext) -> None:
    setattr(tls, _SERVER_NAME, name)


def watch_server_name(context: ssl.SSLContext) -> None:
    """Let :attr:`TlsChannel.server_name` see the client's SNI: installs an SNI callback
    on ``context`` unless it has one already (then the name stays unknown)."""
    if context.sni_callback is None:
        context.sni_callback = _record_server_name
