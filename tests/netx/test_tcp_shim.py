"""The TCP shim (csrc/netx/nx_tcp.c, nx_ip.c): NetX's socket calls, states and
status codes, over the scripted transport."""
from __future__ import annotations

from nxpop3 import PacketPool, ffi, lib
from nxpop3.transport import CLOSE, SILENCE, ScriptedTransport


class Stack:
    def __init__(self, transport: ScriptedTransport, enable: bool = True) -> None:
        self.pool = PacketPool(payload_size=256, count=4)
        self.ip = ffi.new("NX_IP *")
        assert lib.nx_ip_create(self.ip, ffi.NULL, 0, 0, self.pool.pool, transport.nx_transport,
                                ffi.NULL, 0, 0) == 0
        if enable:
            assert lib.nx_tcp_enable(self.ip) == 0
        self.socket = ffi.new("NX_TCP_SOCKET *")
        self.address = ffi.new("NXD_ADDRESS *", {"nxd_ip_version": 4,
                                                 "nxd_ip_address": {"v4": 0x7F000001}})

    def create_socket(self) -> int:
        return lib.nx_tcp_socket_create(self.ip, self.socket, ffi.NULL, 0, 0, 0x80, 1460,
                                        ffi.NULL, ffi.NULL)

    def receive(self, wait: int) -> tuple[int, bytes]:
        packet = ffi.new("NX_PACKET **")
        status = lib.nx_tcp_socket_receive(self.socket, packet, wait)
        data = b""
        if status == 0:
            data = ffi.buffer(packet[0].nx_packet_prepend_ptr, packet[0].nx_packet_length)[:]
            lib.nx_packet_release(packet[0])
        return status, data

    def send(self, data: bytes, wait: int = 100) -> int:
        packet = ffi.new("NX_PACKET **")
        assert lib.nx_packet_allocate(self.pool.pool, packet, 0, 0) == 0
        assert lib.nx_packet_data_append(packet[0], data, len(data), self.pool.pool, 0) == 0
        status = lib.nx_tcp_socket_send(self.socket, packet[0], wait)
        if status != 0:
            lib.nx_packet_release(packet[0])  # on failure the caller still owns it
        return status

    def teardown(self) -> None:
        if self.socket.nx_tcp_socket_state == lib.NX_TCP_ESTABLISHED or \
                self.socket.nx_tcp_socket_state == lib.NX_TCP_CLOSE_WAIT:
            lib.nx_tcp_socket_disconnect(self.socket, 0)
        if self.socket.nx_tcp_socket_bound:
            assert lib.nx_tcp_client_socket_unbind(self.socket) == 0
        lib.nx_tcp_socket_delete(self.socket)
        assert lib.nx_ip_delete(self.ip) == 0


def test_socket_life_cycle_and_its_codes() -> None:
    t = ScriptedTransport(b"hello")
    s = Stack(t)
    assert s.create_socket() == 0
    assert s.create_socket() == lib.NX_PTR_ERROR
    assert lib.nx_tcp_client_socket_connect(s.socket, 0x7F000001, 110, 10) == lib.NX_NOT_BOUND
    assert lib.nx_tcp_client_socket_unbind(s.socket) == lib.NX_NOT_BOUND
    assert lib.nx_tcp_client_socket_bind(s.socket, 0x10000, 0) == lib.NX_INVALID_PORT
    assert lib.nx_tcp_client_socket_bind(s.socket, lib.NX_ANY_PORT, 0) == 0
    assert lib.nx_tcp_client_socket_bind(s.socket, 0, 0) == lib.NX_ALREADY_BOUND
    assert lib.nx_tcp_socket_delete(s.socket) == lib.NX_STILL_BOUND
    assert lib.nx_ip_delete(s.ip) == lib.NX_SOCKETS_BOUND
    assert lib.nx_tcp_client_socket_connect(s.socket, 0, 110, 10) == lib.NX_IP_ADDRESS_ERROR
    assert lib.nx_tcp_client_socket_connect(s.socket, 0x7F000001, 0, 10) == lib.NX_INVALID_PORT
    assert lib.nx_tcp_client_socket_connect(s.socket, 0x7F000001, 110, 10) == 0
    assert s.socket.nx_tcp_socket_state == lib.NX_TCP_ESTABLISHED
    assert lib.nxd_tcp_client_socket_connect(s.socket, s.address, 110, 10) == lib.NX_NOT_CLOSED
    assert lib.nx_tcp_client_socket_unbind(s.socket) == lib.NX_NOT_CLOSED
    assert s.receive(10) == (0, b"hello")
    assert lib.nx_tcp_socket_disconnect(s.socket, 0) == 0
    assert lib.nx_tcp_socket_disconnect(s.socket, 0) == lib.NX_NOT_CONNECTED
    assert t.closes == 1
    s.teardown()
    assert lib.nx_tcp_socket_delete(s.socket) == lib.NX_NOT_CREATED


def test_tcp_must_be_enabled_once() -> None:
    s = Stack(ScriptedTransport(), enable=False)
    assert s.create_socket() == lib.NX_NOT_ENABLED
    assert lib.nx_tcp_enable(s.ip) == 0
    assert lib.nx_tcp_enable(s.ip) == lib.NX_ALREADY_ENABLED
    assert lib.nx_ip_delete(s.ip) == 0


def test_receive_timeout_is_no_packet_and_closed_peer_is_not_connected() -> None:
    t = ScriptedTransport([SILENCE, b"data", CLOSE])
    s = Stack(t)
    s.create_socket()
    lib.nx_tcp_client_socket_bind(s.socket, 0, 0)
    assert lib.nx_tcp_client_socket_connect(s.socket, 0x7F000001, 110, 10) == 0
    assert s.receive(55) == (lib.NX_NO_PACKET, b"")
    assert t.now == 55
    assert s.receive(55) == (0, b"data")
    assert s.receive(55) == (lib.NX_NOT_CONNECTED, b"")
    assert s.socket.nx_tcp_socket_state == lib.NX_TCP_CLOSE_WAIT
    assert s.receive(55) == (lib.NX_NOT_CONNECTED, b"")
    assert s.send(b"x") == lib.NX_NOT_CONNECTED
    assert s.pool.available == s.pool.total
    s.teardown()


def test_receive_splits_data_larger_than_a_packet() -> None:
    t = ScriptedTransport(b"y" * 600)
    s = Stack(t)
    s.create_socket()
    lib.nx_tcp_client_socket_bind(s.socket, 0, 0)
    lib.nx_tcp_client_socket_connect(s.socket, 0x7F000001, 110, 10)
    got = b""
    for _ in range(10):
        status, data = s.receive(1)
        if status != 0:
            break
        assert 0 < len(data) <= 256
        got += data
    assert got == b"y" * 600
    s.teardown()


def test_send_passes_every_byte_of_a_chain_and_releases_it() -> None:
    t = ScriptedTransport(send_limit=7)  # the transport takes 7 bytes a call
    s = Stack(t)
    s.create_socket()
    lib.nx_tcp_client_socket_bind(s.socket, 0, 0)
    lib.nx_tcp_client_socket_connect(s.socket, 0x7F000001, 110, 10)
    t.expect("NOOP", b"")
    line = b"NOOP" + b" x" * 300 + b"\r\n"
    assert s.send(line) == 0
    assert bytes(t.sent) == line
    assert s.pool.available == s.pool.total
    s.teardown()


def test_send_timeouts() -> None:
    t = ScriptedTransport(send_limit=0)
    s = Stack(t)
    s.create_socket()
    lib.nx_tcp_client_socket_bind(s.socket, 0, 0)
    lib.nx_tcp_client_socket_connect(s.socket, 0x7F000001, 110, 10)
    assert s.send(b"NOOP\r\n", wait=30) == lib.NX_WINDOW_OVERFLOW
    assert t.now == 30
    s.teardown()


def test_connect_without_wait_is_in_progress() -> None:
    t = ScriptedTransport(connect=int(lib.NX_TRANSPORT_TIMEOUT))
    s = Stack(t)
    s.create_socket()
    lib.nx_tcp_client_socket_bind(s.socket, 0, 0)
    assert lib.nx_tcp_client_socket_connect(s.socket, 0x7F000001, 110, 0) == lib.NX_IN_PROGRESS
    assert lib.nx_tcp_client_socket_connect(s.socket, 0x7F000001, 110, 5) == lib.NX_NOT_CONNECTED
    s.teardown()


def test_ip_create_checks_the_transport() -> None:
    pool = PacketPool(payload_size=128, count=1)
    ip = ffi.new("NX_IP *")
    empty = ffi.new("NX_TRANSPORT *")
    assert lib.nx_ip_create(ip, ffi.NULL, 0, 0, pool.pool, empty, ffi.NULL, 0, 0) == \
        lib.NX_PTR_ERROR
    assert lib.nx_ip_create(ip, ffi.NULL, 0, 0, ffi.NULL, ScriptedTransport().nx_transport,
                            ffi.NULL, 0, 0) == lib.NX_PTR_ERROR
    assert lib.nx_ip_delete(ip) == lib.NX_PTR_ERROR
