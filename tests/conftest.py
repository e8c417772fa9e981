"""Checks every test gets: after it, every packet pool it made is full again."""
from __future__ import annotations

import gc
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _pools_back_to_full(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every PacketPool made during the test, kept alive until its end, must be
    full again then."""
    try:
        from nxpop3.pool import PacketPool
    except ImportError:  # the extension is not built: nothing to check
        yield
        return
    made: list = []
    original = PacketPool.__init__

    def recording_init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(PacketPool, "__init__", recording_init)
    yield

    def leaked() -> list:
        return [p for p in made if p.available != p.total]

    if leaked():
        gc.collect()  # clients dropped without close() release their packets here
    assert not leaked(), f"packets not released: {leaked()}"


class NetxStack:
    """The raw NetX objects a C application would make: a pool, an IP instance
    over a transport, and a POP3 control block, driven through nxpop3.lib."""

    def __init__(self, transport: object, payload_size: int = 1536, count: int = 16,
                 ip_pool: object = None) -> None:
        from nxpop3 import PacketPool, ffi, lib

        self.ffi, self.lib = ffi, lib
        self.transport = transport
        self.pool = PacketPool(payload_size=payload_size, count=count)
        self.ip_pool = ip_pool if ip_pool is not None else self.pool
        self.ip = ffi.new("NX_IP *")
        self._name = ffi.new("char[]", b"test ip")
        assert lib.nx_ip_create(self.ip, self._name, 0, 0, self.ip_pool.pool,
                                transport.nx_transport, ffi.NULL, 0, 0) == 0
        assert lib.nx_tcp_enable(self.ip) == 0
        self.client = ffi.new("NX_POP3_CLIENT *")
        self.address = ffi.new("NXD_ADDRESS *")
        self.address.nxd_ip_version = lib.NX_IP_VERSION_V4
        self.address.nxd_ip_address.v4 = 0x7F000001

    def create(self, user: bytes = b"alice", password: bytes = b"secret", apop: bool = False,
               reply_wait: int = 1000, connect_wait: int = 1000) -> int:
        return self.lib.nxd_pop3_client_create_ext(
            self.client, int(apop), self.ip, self.pool.pool, self.address, 110,
            self.ffi.new("char[]", user), self.ffi.new("char[]", password),
            connect_wait, reply_wait)

    def connect(self, reply_wait: int = 1000, connect_wait: int = 1000,
                apop: bool = False) -> int:
        """nxd_pop3_client_connect: connect and greeting, into AUTHORIZATION; with
        apop, the greeting's timestamp goes into self.stamp (caller memory)."""
        self.stamp = self.ffi.new("NX_POP3_APOP_STAMP *") if apop else self.ffi.NULL
        return self.lib.nxd_pop3_client_connect(self.client, self.ip, self.pool.pool, self.address,
                                                110, connect_wait, reply_wait, self.stamp)

    def login(self, user: bytes = b"alice", password: bytes = b"secret") -> int:
        """nx_pop3_client_login with the stamp connect filled (APOP), or none."""
        return self.lib.nx_pop3_client_login(self.client, getattr(self, "stamp", self.ffi.NULL),
                                             self.ffi.new("char[]", user),
                                             self.ffi.new("char[]", password))

    @property
    def reply_text(self) -> bytes:
        return self.ffi.string(self.client.nx_pop3_client_reply_text)

    def message_get(self) -> tuple[int, bytes, int, bool]:
        """One message_get: (status, data, bytes_retrieved, final); releases the packet."""
        ffi, lib = self.ffi, self.lib
        packet = ffi.new("NX_PACKET **")
        count = ffi.new("ULONG *")
        final = ffi.new("UINT *")
        status = lib.nx_pop3_client_mail_item_message_get(self.client, packet, count, final)
        data = b""
        if status == 0:
            p = packet[0]
            data = ffi.buffer(p.nx_packet_prepend_ptr, p.nx_packet_length)[:]
            assert lib.nx_packet_release(p) == 0
        return status, data, int(count[0]), bool(final[0])

    def message(self, limit: int = 100_000) -> tuple[int, bytes, list[int]]:
        """Reads the body to the end: (status, message, bytes per piece)."""
        out = bytearray()
        pieces: list[int] = []
        for _ in range(limit):
            status, data, count, final = self.message_get()
            if status != 0:
                return status, bytes(out), pieces
            out += data
            pieces.append(count)
            if final:
                return 0, bytes(out), pieces
        raise AssertionError("message never ended")

    def delete(self) -> int:
        status = self.lib.nx_pop3_client_delete(self.client)
        assert self.lib.nx_ip_delete(self.ip) == 0
        return status

    @classmethod
    def logged_in(cls, *exchanges: tuple[str, object], greeting: bytes = b"+OK hi\r\n",
                  **stack: object) -> tuple[NetxStack, Any]:
        """A stack over a scripted transport, logged in by USER/PASS, with the
        replies ``(command prefix, reply)`` scripted for what follows; and that
        transport."""
        from nxpop3.transport import ScriptedTransport

        transport = ScriptedTransport(greeting)
        transport.expect("USER", b"+OK\r\n").expect("PASS", b"+OK in\r\n")
        for prefix, reply in exchanges:
            transport.expect(prefix, reply)
        stack_ = cls(transport, **stack)
        assert stack_.create() == stack_.lib.NX_SUCCESS
        return stack_, transport

    def finish(self, check_script: bool = True) -> None:
        """Deletes the client cleanly: the connection closed, and (unless told
        otherwise) every command the one the script expected."""
        assert self.delete() in (self.lib.NX_SUCCESS, self.lib.NX_NOT_CONNECTED)
        assert not self.transport.connected
        if check_script:
            assert self.transport.errors == []


@pytest.fixture
def netx_stack() -> Iterator[type[NetxStack]]:
    """The NetxStack class; stacks made in a test are checked for leaks by the pool check."""
    yield NetxStack


@contextmanager
def _interval_timer(interval: float = 0.002) -> Iterator[list[int]]:
    """SIGALRM every ``interval`` seconds (a Python handler); yields the count it saw."""
    seen = [0]

    def handler(signum: int, frame: object) -> None:
        seen[0] += 1

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, interval, interval)
    try:
        yield seen
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def interval_timer() -> Callable[..., Any]:
    """``with interval_timer(seconds) as seen:``: a signal through every wait."""
    return _interval_timer
