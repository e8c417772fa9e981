"""The NetX shim's argument checks and odd states (csrc/netx/): every NULL
pointer, objects never created or created twice, a pool that cannot be carved,
a packet released twice or never allocated, a socket used in the wrong state,
a receive pool too small for one byte. Each answers its NetX status and changes
nothing."""
from __future__ import annotations

import pytest

from nxpop3 import PacketPool, ffi, lib
from nxpop3.transport import ScriptedTransport

NULL = ffi.NULL
OPS = ["connect", "send", "receive", "close", "ticks"]


def ops_copy(transport: ScriptedTransport, without: str | None = None):
    """A transport table like the scripted one, one operation left NULL."""
    ops = ffi.new("NX_TRANSPORT_OPS *")
    ffi.memmove(ops, transport.nx_transport.ops, ffi.sizeof("NX_TRANSPORT_OPS"))
    if without is not None:
        setattr(ops, without, NULL)
    table = ffi.new("NX_TRANSPORT *")
    table.ops = ops
    table.context = transport.nx_transport.context
    return table, ops


# ---- IP instance --------------------------------------------------------------------------------

def test_ip_create_needs_every_pointer_and_every_operation() -> None:
    transport = ScriptedTransport()
    pool = PacketPool(payload_size=64, count=2)
    ip = ffi.new("NX_IP *")
    create = lib.nx_ip_create
    assert create(NULL, NULL, 0, 0, pool.pool, transport.nx_transport, NULL, 0, 0) == \
        lib.NX_PTR_ERROR
    assert create(ip, NULL, 0, 0, NULL, transport.nx_transport, NULL, 0, 0) == lib.NX_PTR_ERROR
    assert create(ip, NULL, 0, 0, pool.pool, NULL, NULL, 0, 0) == lib.NX_PTR_ERROR
    no_table = ffi.new("NX_TRANSPORT *")
    assert create(ip, NULL, 0, 0, pool.pool, no_table, NULL, 0, 0) == lib.NX_PTR_ERROR
    for name in OPS:
        table, _ops = ops_copy(transport, without=name)
        assert create(ip, NULL, 0, 0, pool.pool, table, NULL, 0, 0) == lib.NX_PTR_ERROR, name
    assert create(ip, NULL, 0, 0, pool.pool, transport.nx_transport, NULL, 0, 0) == 0
    assert create(ip, NULL, 0, 0, pool.pool, transport.nx_transport, NULL, 0, 0) == \
        lib.NX_PTR_ERROR  # already created
    assert lib.nx_ip_delete(ip) == 0


def test_ip_services_refuse_an_instance_never_created() -> None:
    never = ffi.new("NX_IP *")
    for ip in (NULL, never):
        assert lib.nx_ip_delete(ip) == lib.NX_PTR_ERROR
        assert lib.nx_ip_time_get(ip) == 0
        assert lib.nx_tcp_enable(ip) == lib.NX_PTR_ERROR


def test_ip_delete_waits_for_its_sockets_and_tcp_enables_once() -> None:
    transport = ScriptedTransport()
    pool = PacketPool(payload_size=64, count=2)
    ip, socket = ffi.new("NX_IP *"), ffi.new("NX_TCP_SOCKET *")
    assert lib.nx_ip_create(ip, NULL, 0, 0, pool.pool, transport.nx_transport, NULL, 0, 0) == 0
    assert lib.nx_tcp_socket_create(ip, socket, NULL, 0, 0, 0x80, 1460, NULL, NULL) == \
        lib.NX_NOT_ENABLED
    assert lib.nx_tcp_enable(ip) == 0
    assert lib.nx_tcp_enable(ip) == lib.NX_ALREADY_ENABLED
    assert lib.nx_tcp_socket_create(ip, socket, NULL, 0, 0, 0x80, 1460, NULL, NULL) == 0
    assert lib.nx_ip_delete(ip) == lib.NX_SOCKETS_BOUND
    assert lib.nx_tcp_socket_delete(socket) == 0
    assert lib.nx_ip_delete(ip) == 0


# ---- packet pool --------------------------------------------------------------------------------

class Memory:
    def __init__(self, size: int) -> None:
        self.buffer = ffi.new("uint64_t[]", size // 8 + 2)
        self.base = ffi.cast("UCHAR *", self.buffer)


def test_pool_create_refuses_what_it_cannot_carve() -> None:
    memory = Memory(4096)
    pool = ffi.new("NX_PACKET_POOL *")
    assert lib.nx_packet_pool_create(NULL, NULL, 64, memory.base, 4096) == lib.NX_PTR_ERROR
    assert lib.nx_packet_pool_create(pool, NULL, 64, NULL, 4096) == lib.NX_PTR_ERROR
    assert lib.nx_packet_pool_create(pool, NULL, 0, memory.base, 4096) == lib.NX_SIZE_ERROR
    # Memory that does not reach the next aligned address, and memory for no packet.
    assert lib.nx_packet_pool_create(pool, NULL, 64, memory.base + 1, 2) == lib.NX_SIZE_ERROR
    assert lib.nx_packet_pool_create(pool, NULL, 64, memory.base, 16) == lib.NX_SIZE_ERROR
    # A payload so large that rounding the element size up wraps.
    largest = (1 << (8 * ffi.sizeof("ULONG"))) - 1
    assert lib.nx_packet_pool_create(pool, NULL, largest, memory.base, 4096) == lib.NX_SIZE_ERROR
    assert pool.nx_packet_pool_total == 0  # nothing was created
    # Misaligned memory is aligned, at the cost of the bytes skipped.
    assert lib.nx_packet_pool_create(pool, NULL, 64, memory.base + 1, 4095) == 0
    packet = ffi.new("NX_PACKET **")
    assert lib.nx_packet_allocate(pool, packet, 0, 0) == 0
    assert int(ffi.cast("uintptr_t", packet[0])) % 8 == 0
    assert lib.nx_packet_release(packet[0]) == 0
    assert lib.nx_packet_pool_create(pool, NULL, 64, memory.base, 4096) == lib.NX_PTR_ERROR
    assert lib.nx_packet_pool_delete(pool) == 0
    assert lib.nx_packet_pool_delete(pool) == lib.NX_PTR_ERROR
    assert lib.nx_packet_pool_delete(NULL) == lib.NX_PTR_ERROR


def test_pool_info_fills_each_field_asked_for() -> None:
    pool = PacketPool(payload_size=64, count=3)
    fields = [ffi.new("ULONG *", 99) for _ in range(5)]
    assert lib.nx_packet_pool_info_get(pool.pool, *fields) == 0
    assert [int(f[0]) for f in fields] == [3, 3, 0, 0, 0]
    assert lib.nx_packet_pool_info_get(pool.pool, NULL, NULL, NULL, NULL, NULL) == 0
    never = ffi.new("NX_PACKET_POOL *")
    for bad in (NULL, never):
        assert lib.nx_packet_pool_info_get(bad, *fields) == lib.NX_PTR_ERROR


def test_allocate_checks_its_arguments() -> None:
    pool = PacketPool(payload_size=64, count=1)
    packet = ffi.new("NX_PACKET **")
    assert lib.nx_packet_allocate(NULL, packet, 0, 0) == lib.NX_PTR_ERROR
    assert lib.nx_packet_allocate(ffi.new("NX_PACKET_POOL *"), packet, 0, 0) == lib.NX_PTR_ERROR
    assert lib.nx_packet_allocate(pool.pool, NULL, 0, 0) == lib.NX_PTR_ERROR
    assert lib.nx_packet_allocate(pool.pool, packet, 65, 0) == lib.NX_INVALID_PARAMETERS
    assert pool.available == 1


def test_release_of_a_packet_twice_or_of_no_packet_is_counted_and_refused() -> None:
    pool = PacketPool(payload_size=64, count=2)
    packet = ffi.new("NX_PACKET **")
    invalid = ffi.new("ULONG *")
    assert lib.nx_packet_release(NULL) == lib.NX_PTR_ERROR
    assert lib.nx_packet_release(ffi.new("NX_PACKET *")) == lib.NX_PTR_ERROR  # no pool to blame
    assert lib.nx_packet_allocate(pool.pool, packet, 0, 0) == 0
    first = packet[0]
    assert lib.nx_packet_release(first) == 0
    assert lib.nx_packet_release(first) == lib.NX_PTR_ERROR
    # A chain whose second buffer was already released: the head goes back, the
    # walk stops at the freed one.
    assert lib.nx_packet_allocate(pool.pool, packet, 0, 0) == 0
    head = packet[0]
    head.nx_packet_next = first  # free since the release above
    assert lib.nx_packet_release(head) == lib.NX_PTR_ERROR
    assert lib.nx_packet_pool_info_get(pool.pool, NULL, NULL, NULL, NULL, invalid) == 0
    assert invalid[0] == 2
    assert pool.available == pool.total


def test_length_append_and_retrieve_check_their_arguments() -> None:
    pool = PacketPool(payload_size=64, count=2)
    packet = ffi.new("NX_PACKET **")
    length = ffi.new("ULONG *")
    data = ffi.new("char[]", b"abc")
    buffer = ffi.new("UCHAR[64]")
    assert lib.nx_packet_allocate(pool.pool, packet, 0, 0) == 0
    p = packet[0]
    assert lib.nx_packet_length_get(NULL, length) == lib.NX_PTR_ERROR
    assert lib.nx_packet_length_get(p, NULL) == lib.NX_PTR_ERROR
    assert lib.nx_packet_data_append(NULL, data, 3, pool.pool, 0) == lib.NX_PTR_ERROR
    assert lib.nx_packet_data_append(p, NULL, 3, pool.pool, 0) == lib.NX_PTR_ERROR
    assert lib.nx_packet_data_append(p, data, 3, NULL, 0) == lib.NX_PTR_ERROR
    assert lib.nx_packet_data_retrieve(NULL, buffer, length) == lib.NX_PTR_ERROR
    assert lib.nx_packet_data_retrieve(p, NULL, length) == lib.NX_PTR_ERROR
    assert lib.nx_packet_data_retrieve(p, buffer, NULL) == lib.NX_PTR_ERROR
    assert lib.nx_packet_release(p) == 0
    assert lib.nx_packet_data_append(p, data, 3, pool.pool, 0) == lib.NX_INVALID_PACKET
    assert pool.available == pool.total


def test_an_append_that_needs_more_buffers_than_the_pool_has_changes_nothing() -> None:
    pool = PacketPool(payload_size=64, count=3)
    packet = ffi.new("NX_PACKET **")
    assert lib.nx_packet_allocate(pool.pool, packet, 0, 0) == 0
    data = bytes(range(200))
    assert lib.nx_packet_data_append(packet[0], data, len(data), pool.pool, 0) == \
        lib.NX_NO_PACKET
    assert packet[0].nx_packet_length == 0 and packet[0].nx_packet_next == NULL
    assert pool.available == 2
    assert lib.nx_packet_data_append(packet[0], data[:150], 150, pool.pool, 0) == 0
    copied, out = ffi.new("ULONG *"), ffi.new("UCHAR[256]")
    assert lib.nx_packet_data_retrieve(packet[0], out, copied) == 0
    assert ffi.buffer(out, copied[0])[:] == data[:150]
    assert lib.nx_packet_release(packet[0]) == 0


# ---- TCP sockets --------------------------------------------------------------------------------

class RawPool:
    """Four packets of any payload size (PacketPool insists on 64 bytes or more)."""

    def __init__(self, payload_size: int) -> None:
        size = 4 * (ffi.sizeof("NX_PACKET") + payload_size + 32)
        self.memory = Memory(size)
        self.pool = ffi.new("NX_PACKET_POOL *")
        assert lib.nx_packet_pool_create(self.pool, NULL, payload_size, self.memory.base,
                                         size) == 0

    @property
    def available(self) -> int:
        return int(self.pool.nx_packet_pool_available)

    @property
    def total(self) -> int:
        return int(self.pool.nx_packet_pool_total)


class Stack:
    def __init__(self, transport: ScriptedTransport, payload_size: int = 256) -> None:
        self.transport = transport
        self.pool = RawPool(payload_size)
        self.ip = ffi.new("NX_IP *")
        assert lib.nx_ip_create(self.ip, NULL, 0, 0, self.pool.pool, transport.nx_transport,
                                NULL, 0, 0) == 0
        assert lib.nx_tcp_enable(self.ip) == 0
        self.socket = ffi.new("NX_TCP_SOCKET *")
        assert lib.nx_tcp_socket_create(self.ip, self.socket, NULL, 0, 0, 0x80, 1460, NULL,
                                        NULL) == 0
        assert lib.nx_tcp_client_socket_bind(self.socket, 0, 0) == 0

    def connect(self) -> None:
        assert lib.nx_tcp_client_socket_connect(self.socket, 0x7F000001, 110, 10) == 0

    def close(self) -> None:
        lib.nx_tcp_socket_disconnect(self.socket, 0)
        assert lib.nx_tcp_client_socket_unbind(self.socket) == 0
        assert lib.nx_tcp_socket_delete(self.socket) == 0
        assert lib.nx_ip_delete(self.ip) == 0
        assert self.pool.available == self.pool.total


def test_socket_services_refuse_null_and_sockets_never_created() -> None:
    transport = ScriptedTransport()
    stack = Stack(transport)
    packet = ffi.new("NX_PACKET **")
    count = ffi.new("ULONG *")
    server = ffi.new("NXD_ADDRESS *", {"nxd_ip_version": 4, "nxd_ip_address": {"v4": 1}})
    assert lib.nx_tcp_socket_create(NULL, stack.socket, NULL, 0, 0, 0, 0, NULL, NULL) == \
        lib.NX_PTR_ERROR
    assert lib.nx_tcp_socket_create(stack.ip, NULL, NULL, 0, 0, 0, 0, NULL, NULL) == \
        lib.NX_PTR_ERROR
    bare_ip = ffi.new("NX_IP *")  # an IP with no transport
    assert lib.nx_tcp_socket_create(bare_ip, ffi.new("NX_TCP_SOCKET *"), NULL, 0, 0, 0, 0, NULL,
                                    NULL) == lib.NX_PTR_ERROR
    for socket in (NULL, ffi.new("NX_TCP_SOCKET *")):
        assert lib.nx_tcp_socket_delete(socket) == lib.NX_NOT_CREATED
        assert lib.nx_tcp_client_socket_bind(socket, 0, 0) == lib.NX_PTR_ERROR
        assert lib.nx_tcp_client_socket_unbind(socket) == lib.NX_PTR_ERROR
        assert lib.nxd_tcp_client_socket_connect(socket, server, 110, 0) == lib.NX_PTR_ERROR
        assert lib.nx_tcp_socket_receive(socket, packet, 0) == lib.NX_PTR_ERROR
        assert lib.nx_tcp_socket_send(socket, packet[0], 0) == lib.NX_PTR_ERROR
        assert lib.nx_tcp_socket_bytes_available(socket, count) == lib.NX_PTR_ERROR
        assert lib.nx_tcp_socket_disconnect(socket, 0) == lib.NX_PTR_ERROR
    assert lib.nxd_tcp_client_socket_connect(stack.socket, NULL, 110, 0) == lib.NX_PTR_ERROR
    assert lib.nx_tcp_socket_receive(stack.socket, NULL, 0) == lib.NX_PTR_ERROR
    assert lib.nx_tcp_socket_bytes_available(stack.socket, NULL) == lib.NX_PTR_ERROR
    assert lib.nx_tcp_socket_send(stack.socket, NULL, 0) == lib.NX_PTR_ERROR
    assert lib.nx_tcp_socket_delete(stack.socket) == lib.NX_STILL_BOUND
    stack.close()


def test_connect_refuses_addresses_and_ports_it_cannot_reach() -> None:
    transport = ScriptedTransport()
    stack = Stack(transport)
    zero6 = ffi.new("NXD_ADDRESS *", {"nxd_ip_version": 6})
    odd = ffi.new("NXD_ADDRESS *", {"nxd_ip_version": 5, "nxd_ip_address": {"v4": 1}})
    one = ffi.new("NXD_ADDRESS *", {"nxd_ip_version": 4, "nxd_ip_address": {"v4": 1}})
    assert lib.nxd_tcp_client_socket_connect(stack.socket, zero6, 110, 0) == \
        lib.NX_IP_ADDRESS_ERROR
    assert lib.nxd_tcp_client_socket_connect(stack.socket, odd, 110, 0) == lib.NX_IP_ADDRESS_ERROR
    assert lib.nx_tcp_client_socket_connect(stack.socket, 0, 110, 0) == lib.NX_IP_ADDRESS_ERROR
    for port in (0, 0x10000):
        assert lib.nxd_tcp_client_socket_connect(stack.socket, one, port, 0) == \
            lib.NX_INVALID_PORT
    assert transport.commands == [] and not transport.connected
    stack.close()


def test_a_socket_not_connected_sends_and_receives_nothing() -> None:
    transport = ScriptedTransport()
    stack = Stack(transport)
    packet = ffi.new("NX_PACKET **")
    count = ffi.new("ULONG *")
    assert lib.nx_tcp_socket_bytes_available(stack.socket, count) == lib.NX_NOT_CONNECTED
    assert lib.nx_tcp_socket_receive(stack.socket, packet, 0) == lib.NX_NOT_CONNECTED
    assert lib.nx_packet_allocate(stack.pool.pool, packet, 0, 0) == 0
    assert lib.nx_tcp_socket_send(stack.socket, packet[0], 0) == lib.NX_NOT_CONNECTED
    released = packet[0]
    assert lib.nx_packet_release(released) == 0
    stack.connect()
    assert lib.nx_tcp_socket_send(stack.socket, released, 0) == lib.NX_INVALID_PACKET
    stack.close()


def test_receive_into_a_pool_too_small_for_one_byte() -> None:
    transport = ScriptedTransport(b"+OK\r\n")
    stack = Stack(transport, payload_size=1)
    stack.connect()
    packet = ffi.new("NX_PACKET **")
    assert lib.nx_tcp_socket_receive(stack.socket, packet, 10) == lib.NX_INVALID_PACKET
    assert packet[0] == NULL and stack.pool.available == stack.pool.total
    stack.close()


@pytest.mark.parametrize("payload_size", [2, 16, 17])
def test_receive_reserve_shrinks_with_a_small_pool(payload_size: int) -> None:
    transport = ScriptedTransport(b"+OK ready\r\n")
    stack = Stack(transport, payload_size=payload_size)
    stack.connect()
    packet = ffi.new("NX_PACKET **")
    assert lib.nx_tcp_socket_receive(stack.socket, packet, 10) == 0
    reserve = 8 if payload_size > 16 else 1
    assert packet[0].nx_packet_prepend_ptr - packet[0].nx_packet_data_start == reserve
    assert packet[0].nx_packet_length == min(payload_size - reserve, 11)
    assert lib.nx_packet_release(packet[0]) == 0
    stack.close()


def test_the_byte_bytes_available_took_comes_first_in_the_next_receive() -> None:
    transport = ScriptedTransport(b"+OK hi\r\n")
    stack = Stack(transport)
    stack.connect()
    count = ffi.new("ULONG *")
    assert lib.nx_tcp_socket_bytes_available(stack.socket, count) == 0 and count[0] == 1
    assert lib.nx_tcp_socket_bytes_available(stack.socket, count) == 0 and count[0] == 1
    packet = ffi.new("NX_PACKET **")
    received = b""
    while len(received) < 8:
        assert lib.nx_tcp_socket_receive(stack.socket, packet, 10) == 0
        received += ffi.buffer(packet[0].nx_packet_prepend_ptr, packet[0].nx_packet_length)[:]
        assert lib.nx_packet_release(packet[0]) == 0
    assert received == b"+OK hi\r\n"
    stack.close()


class SendFails(ScriptedTransport):
    """A transport whose send reports an error (the connection broke)."""

    def _on_send(self, data: bytes) -> int:
        return int(lib.NX_TRANSPORT_ERROR)


class SendStalls(ScriptedTransport):
    """A transport whose send answers "nothing taken" though time remains (a broken
    contract the shim gives up on after a bounded number of answers)."""

    def _on_send(self, data: bytes) -> int:
        return 0


def chained_packet(stack: Stack, size: int):
    packet = ffi.new("NX_PACKET **")
    assert lib.nx_packet_allocate(stack.pool.pool, packet, 0, 0) == 0
    data = b"x" * size
    assert lib.nx_packet_data_append(packet[0], data, size, stack.pool.pool, 0) == 0
    return packet[0]


@pytest.mark.parametrize("transport, status", [(SendFails, "NX_NOT_CONNECTED"),
                                               (SendStalls, "NX_WINDOW_OVERFLOW")])
def test_a_send_the_transport_refuses_keeps_the_packet_with_the_caller(transport,
                                                                       status: str) -> None:
    stack = Stack(transport(b""))
    stack.connect()
    packet = chained_packet(stack, 300)  # two buffers: the send stops in the first
    assert packet.nx_packet_next != NULL
    assert lib.nx_tcp_socket_send(stack.socket, packet, 100) == getattr(lib, status)
    assert lib.nx_packet_release(packet) == 0
    expected = lib.NX_TCP_CLOSE_WAIT if transport is SendFails else lib.NX_TCP_ESTABLISHED
    assert stack.socket.nx_tcp_socket_state == expected
    stack.close()


def test_a_send_may_wait_forever() -> None:
    transport = ScriptedTransport(b"")
    stack = Stack(transport)
    stack.connect()
    packet = chained_packet(stack, 10)
    assert lib.nx_tcp_socket_send(stack.socket, packet, lib.NX_WAIT_FOREVER) == 0
    assert bytes(transport.sent) == b"x" * 10
    stack.close()


def test_tls_start_and_verify_refuse_what_cannot_have_tls() -> None:
    result = ffi.new("ULONG *")
    for socket in (NULL, ffi.new("NX_TCP_SOCKET *")):
        assert lib.nx_tcp_socket_tls_start(socket, 10) == lib.NX_PTR_ERROR
        assert lib.nx_tcp_socket_tls_verify_result(socket, result) == lib.NX_PTR_ERROR
    plain = Stack(ScriptedTransport(b"+OK\r\n"))  # no TLS in the transport
    plain.connect()
    assert lib.nx_tcp_socket_tls_start(plain.socket, 10) == lib.NX_NOT_SUPPORTED
    plain.close()
    tls = Stack(ScriptedTransport(b"+OK\r\n", tls=int(lib.NX_TRANSPORT_OK)))
    assert lib.nx_tcp_socket_tls_verify_result(tls.socket, NULL) == lib.NX_PTR_ERROR
    assert lib.nx_tcp_socket_tls_start(tls.socket, 10) == lib.NX_NOT_CONNECTED
    assert lib.nx_tcp_socket_tls_verify_result(tls.socket, result) == 0
    assert result[0] == lib.NX_TRANSPORT_TLS_OFF  # no connection, no TLS
    tls.connect()
    count = ffi.new("ULONG *")
    assert lib.nx_tcp_socket_bytes_available(tls.socket, count) == 0 and count[0] == 1
    # A plaintext byte already waiting must not pass into TLS.
    assert lib.nx_tcp_socket_tls_start(tls.socket, 10) == lib.NX_NOT_SUCCESSFUL
    assert tls.transport.tls_starts == 0
    tls.close()
