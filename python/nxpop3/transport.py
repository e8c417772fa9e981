"""Transports under the TCP shim, as Python objects a ``Client`` can run over.

``PosixTransport`` is the host's sockets. ``ScriptedTransport`` plays a server
from a script: the test gives each reply as byte segments (split anywhere),
silences and closes, and reads back exactly what the client sent. Its clock is
virtual, so a timeout costs no real time.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._binding import ffi, lib


class PosixTransport:
    """POSIX sockets, IPv4 and IPv6, every wait honoured."""

    def __init__(self) -> None:
        self._context = ffi.new("NX_TRANSPORT_POSIX *")
        self.nx_transport = ffi.new("NX_TRANSPORT *")
        lib.nx_transport_posix_init(self.nx_transport, self._context)


class _Token:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


SILENCE = _Token("SILENCE")
"""A receive that gets nothing: the whole wait passes on the virtual clock."""
CLOSE = _Token("CLOSE")
"""The server closes the connection: every later receive reports it."""
RESET = _Token("RESET")
"""The connection breaks (transport error)."""


@dataclass
class Delay:
    """The next segment arrives ``ticks`` later on the virtual clock. A receive
    whose wait is shorter times out, and the rest of the delay remains."""

    ticks: int


Segment = bytes | _Token | Delay
Reply = bytes | _Token | Sequence[Segment]


def split_at(data: bytes, *offsets: int) -> list[bytes]:
    """``data`` cut at the given offsets (empty pieces dropped)."""
    cuts = [0, *sorted(o for o in offsets if 0 < o < len(data)), len(data)]
    return [data[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


def one_byte_segments(data: bytes) -> list[bytes]:
    """``data`` as one segment per byte."""
    return [data[i:i + 1] for i in range(len(data))]


def _fresh(segments: list[Segment]) -> list[Segment]:
    """Copies of the Delay items (a receive shortens them as time passes)."""
    return [Delay(s.ticks) if isinstance(s, Delay) else s for s in segments]


def _segments(reply: Reply) -> list[Segment]:
    if isinstance(reply, (bytes, bytearray)):
        return [bytes(reply)]
    if isinstance(reply, (_Token, Delay)):
        return [reply]
    return list(reply)


class ScriptedTransport:
    """A scripted server: ``greeting`` on connect, then one reply per command.

    ``expect(prefix, reply)`` queues the reply to the next command, which must
    start with ``prefix`` (a mismatch is recorded in ``errors`` and the
    connection closes). A reply is bytes, a token, or a list of segments; each
    segment reaches the client by itself, as one TCP segment would.
    """

    def __init__(self, greeting: Reply = b"+OK nxpop3 scripted server ready\r\n", *,
                 connect: int = 0, send_limit: int | None = None,
                 tls: int | None = None) -> None:
        self._context = ffi.new("NX_TRANSPORT_SCRIPTED *")
        self._handle = ffi.new_handle(self)
        self._context.on_connect = lib.nxpop3_scripted_connect
        self._context.on_send = lib.nxpop3_scripted_send
        self._context.on_receive = lib.nxpop3_scripted_receive
        # tls: what a handshake started by STLS returns (NX_TRANSPORT_OK ...); None
        # makes a transport without TLS.
        self._tls = tls
        if tls is not None:
            self._context.on_tls_start = lib.nxpop3_scripted_tls_start
        self._context.user = self._handle
        self.nx_transport = ffi.new("NX_TRANSPORT *")
        lib.nx_transport_scripted_init(self.nx_transport, self._context)
        self._greeting = _segments(greeting)
        self._connect_result = connect
        self._send_limit = send_limit
        self._exchanges: deque[tuple[str, list[Segment]]] = deque()
        self._incoming: deque[Segment] = deque()
        self._closed = False
        self._partial = bytearray()
        self.sent = bytearray()
        self.commands: list[str] = []
        self.errors: list[str] = []
        self.tls_starts = 0
        self.sends = 0

    # Script.
    def expect(self, prefix: str, reply: Reply) -> ScriptedTransport:
        """Queues ``reply`` for the next command, which must start with ``prefix``."""
        self._exchanges.append((prefix, _segments(reply)))
        return self

    @property
    def now(self) -> int:
        """The virtual clock, ticks."""
        return int(self._context.now)

    @property
    def connected(self) -> bool:
        return bool(self._context.connected)

    @property
    def closes(self) -> int:
        return int(self._context.closes)

    @property
    def pending(self) -> int:
        """Exchanges scripted but not reached."""
        return len(self._exchanges)

    # Callbacks from C.
    def _on_connect(self) -> int:
        if self._connect_result != 0:
            return self._connect_result
        self._incoming = deque(_fresh(self._greeting))
        self._closed = False
        self._partial.clear()
        return 0

    def _on_send(self, data: bytes) -> int:
        if self._closed:
            return int(lib.NX_TRANSPORT_CLOSED)
        if self._send_limit is not None:
            data = data[: self._send_limit]
        self.sent += data
        self.sends += 1
        self._partial += data
        while b"\r\n" in self._partial:
            line, _, rest = bytes(self._partial).partition(b"\r\n")
            self._partial = bytearray(rest)
            self._command(line.decode("latin-1"))
        return len(data)

    def _command(self, line: str) -> None:
        self.commands.append(line)
        if not self._exchanges:
            self.errors.append(f"unexpected command {line!r}")
            self._incoming.append(CLOSE)
            return
        prefix, reply = self._exchanges.popleft()
        if not line.startswith(prefix):
            self.errors.append(f"expected {prefix!r}, got {line!r}")
            self._incoming.append(CLOSE)
            return
        self._incoming.extend(_fresh(reply))

    def _on_receive(self, size: int, wait: int) -> bytes | int:
        # Bounded: each pass consumes one queued item.
        for _ in range(len(self._incoming) + 1):
            if self._closed or not self._incoming:
                break
            item = self._incoming[0]
            if isinstance(item, Delay):
                if item.ticks > wait:
                    item.ticks -= wait
                    return 0  # the transport moves the clock on by the wait
                self._incoming.popleft()
                lib.nx_transport_scripted_advance(self._context, item.ticks)
                wait -= item.ticks
                continue
            if item is CLOSE or item is RESET:
                self._closed = True
                return int(lib.NX_TRANSPORT_CLOSED if item is CLOSE else lib.NX_TRANSPORT_ERROR)
            if item is SILENCE:
                self._incoming.popleft()
                return 0
            assert isinstance(item, bytes)
            if len(item) > size:
                self._incoming[0] = item[size:]
                return item[:size]
            self._incoming.popleft()
            if item:
                return item
        if self._closed:
            return int(lib.NX_TRANSPORT_CLOSED)
        return 0  # nothing scripted: silence


def _guarded(user: Any, action: Any) -> int:
    """Runs a script callback; an exception in it is recorded, and the client
    sees a transport error rather than a crash."""
    transport = ffi.from_handle(user)
    try:
        return int(action(transport))
    except Exception as exc:  # noqa: BLE001 - reported through .errors
        transport.errors.append(f"script raised {exc!r}")
        return int(lib.NX_TRANSPORT_ERROR)


@ffi.def_extern()
def nxpop3_scripted_connect(user: Any) -> int:
    return _guarded(user, lambda t: t._on_connect())


@ffi.def_extern()
def nxpop3_scripted_send(user: Any, data: Any, length: int) -> int:
    return _guarded(user, lambda t: t._on_send(ffi.buffer(data, length)[:]))


@ffi.def_extern()
def nxpop3_scripted_receive(user: Any, buffer: Any, size: int, wait: int) -> int:
    def receive(transport: ScriptedTransport) -> int:
        result = transport._on_receive(size, wait)
        if isinstance(result, int):
            return result
        ffi.memmove(buffer, result, len(result))
        return len(result)

    return _guarded(user, receive)


@ffi.def_extern()
def nxpop3_scripted_tls_start(user: Any, wait: int) -> int:
    def start(transport: ScriptedTransport) -> int:
        transport.tls_starts += 1
        return int(transport._tls)

    return _guarded(user, start)
