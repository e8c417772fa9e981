"""The packet pool (csrc/netx/nx_packet.c): NetX's services and status codes."""
from __future__ import annotations

import pytest

from nxpop3 import BadArgument, PacketPool, ffi, lib


def allocate(pool: PacketPool, reserve: int = 0) -> tuple[int, object]:
    packet = ffi.new("NX_PACKET **")
    status = lib.nx_packet_allocate(pool.pool, packet, reserve, lib.NX_NO_WAIT)
    return status, packet[0]


def test_pool_counts_and_exhaustion() -> None:
    pool = PacketPool(payload_size=128, count=3)
    assert (pool.total, pool.available, pool.payload_size) == (3, 3, 128)
    packets = [allocate(pool)[1] for _ in range(3)]
    assert pool.available == 0
    status, packet = allocate(pool)
    assert status == lib.NX_NO_PACKET and packet == ffi.NULL
    assert pool.empty_requests == 1
    for p in packets:
        assert lib.nx_packet_release(p) == lib.NX_SUCCESS
    assert pool.available == 3


def test_double_release_is_refused_and_counted() -> None:
    pool = PacketPool(payload_size=128, count=2)
    _, packet = allocate(pool)
    assert lib.nx_packet_release(packet) == 0
    assert lib.nx_packet_release(packet) == lib.NX_PTR_ERROR
    assert pool.available == 2
    assert pool.pool.nx_packet_pool_invalid_releases == 1


def test_header_reserve_moves_the_prepend_pointer() -> None:
    pool = PacketPool(payload_size=128, count=1)
    status, packet = allocate(pool, lib.NX_TCP_PACKET)
    assert status == 0
    assert packet.nx_packet_prepend_ptr - packet.nx_packet_data_start == lib.NX_TCP_PACKET
    assert packet.nx_packet_append_ptr == packet.nx_packet_prepend_ptr
    lib.nx_packet_release(packet)
    assert allocate(pool, 129)[0] == lib.NX_INVALID_PARAMETERS


def test_append_chains_packets_and_retrieve_reads_them_back() -> None:
    pool = PacketPool(payload_size=64, count=8)
    _, packet = allocate(pool, 16)
    data = bytes(range(200))
    assert lib.nx_packet_data_append(packet, data, len(data), pool.pool, 0) == 0
    length = ffi.new("ULONG *")
    assert lib.nx_packet_length_get(packet, length) == 0 and length[0] == 200
    assert pool.available == 8 - 4  # 48 + 64 + 64 + 24 bytes
    out = ffi.new("UCHAR[]", 256)
    copied = ffi.new("ULONG *")
    assert lib.nx_packet_data_retrieve(packet, out, copied) == 0
    assert ffi.buffer(out, copied[0])[:] == data
    assert lib.nx_packet_release(packet) == 0  # the whole chain
    assert pool.available == 8


def test_append_that_cannot_get_packets_changes_nothing() -> None:
    pool = PacketPool(payload_size=64, count=2)
    _, packet = allocate(pool)
    assert lib.nx_packet_data_append(packet, b"x" * 500, 500, pool.pool, 0) == lib.NX_NO_PACKET
    assert packet.nx_packet_length == 0 and pool.available == 1
    lib.nx_packet_release(packet)


def test_pool_create_checks() -> None:
    p = ffi.new("NX_PACKET_POOL *")
    memory = ffi.new("uint64_t[]", 8)
    name = ffi.new("char[]", b"p")
    assert lib.nx_packet_pool_create(p, name, 64, ffi.NULL, 64) == lib.NX_PTR_ERROR
    assert lib.nx_packet_pool_create(p, name, 0, memory, 64) == lib.NX_SIZE_ERROR
    assert lib.nx_packet_pool_create(p, name, 64, memory, 64) == lib.NX_SIZE_ERROR  # < 1 packet
    big = ffi.new("uint64_t[]", 64)
    assert lib.nx_packet_pool_create(p, name, 64, big, 512) == 0
    assert lib.nx_packet_pool_create(p, name, 64, big, 512) == lib.NX_PTR_ERROR  # twice
    total, free = ffi.new("ULONG *"), ffi.new("ULONG *")
    assert lib.nx_packet_pool_info_get(p, total, free, ffi.NULL, ffi.NULL, ffi.NULL) == 0
    assert total[0] == free[0] >= 1
    assert lib.nx_packet_pool_delete(p) == 0
    assert lib.nx_packet_pool_delete(p) == lib.NX_PTR_ERROR


def test_unaligned_memory_is_aligned_inside_the_pool() -> None:
    p = ffi.new("NX_PACKET_POOL *")
    raw = ffi.new("UCHAR[]", 4096)
    assert lib.nx_packet_pool_create(p, ffi.NULL, 100, raw + 3, 4000) == 0
    packet = ffi.new("NX_PACKET **")
    assert lib.nx_packet_allocate(p, packet, 0, 0) == 0
    assert int(ffi.cast("uintptr_t", packet[0])) % 8 == 0
    lib.nx_packet_release(packet[0])


@pytest.mark.parametrize("kwargs", [{"payload_size": 10}, {"count": 0}, {"count": "3"}])
def test_python_pool_validates_arguments(kwargs: dict) -> None:
    with pytest.raises(BadArgument):
        PacketPool(**kwargs)
