"""nx_packet_data_append at the chain limit (csrc/netx/nx_packet.c).

A chain never grows past NX_PACKET_CHAIN_LIMIT buffers, the most that release
and retrieve walk. Data that would need more is refused with NX_OVERFLOW and
changes nothing; before the fix, the append stopped at the limit and still
reported the whole length, bytes it never stored."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from nxpop3 import ffi, lib

CHAIN_LIMIT = 0x10000  # NX_PACKET_CHAIN_LIMIT in nx_packet.c
PAYLOAD = 8


class RawPool:
    """A pool with more packets than the chain limit (PacketPool stops at it)."""

    def __init__(self, count: int) -> None:
        element = ((ffi.sizeof("NX_PACKET") + 7) & ~7) + ((PAYLOAD + 7) & ~7)
        self.memory = ffi.new("uint64_t[]", element * count // 8 + 1)
        self.pool = ffi.new("NX_PACKET_POOL *")
        assert lib.nx_packet_pool_create(self.pool, ffi.NULL, PAYLOAD, self.memory,
                                         element * count) == lib.NX_SUCCESS
        self.total = int(self.pool.nx_packet_pool_total)

    @property
    def available(self) -> int:
        return int(self.pool.nx_packet_pool_available)


@pytest.fixture(scope="module")
def pool() -> Iterator[RawPool]:
    made = RawPool(CHAIN_LIMIT + 16)
    assert made.total >= CHAIN_LIMIT + 16
    yield made
    assert made.available == made.total


def head(pool: RawPool) -> ffi.CData:
    packet = ffi.new("NX_PACKET **")
    assert lib.nx_packet_allocate(pool.pool, packet, 0, lib.NX_NO_WAIT) == lib.NX_SUCCESS
    return packet[0]


def test_data_beyond_the_chain_limit_is_refused_and_changes_nothing(pool: RawPool) -> None:
    packet = head(pool)
    data = b"z" * (PAYLOAD * (CHAIN_LIMIT + 1))
    before = pool.available
    assert lib.nx_packet_data_append(packet, data, len(data), pool.pool,
                                     lib.NX_NO_WAIT) == lib.NX_OVERFLOW
    assert packet.nx_packet_length == 0
    assert packet.nx_packet_next == ffi.NULL
    assert packet.nx_packet_append_ptr == packet.nx_packet_prepend_ptr
    assert pool.available == before
    assert lib.nx_packet_release(packet) == lib.NX_SUCCESS


def test_a_chain_of_exactly_the_limit_is_whole_and_the_next_byte_is_refused(
        pool: RawPool) -> None:
    packet = head(pool)
    data = bytes(i % 251 for i in range(PAYLOAD * CHAIN_LIMIT))
    assert lib.nx_packet_data_append(packet, data, len(data), pool.pool,
                                     lib.NX_NO_WAIT) == lib.NX_SUCCESS
    assert packet.nx_packet_length == len(data)
    out = ffi.new("UCHAR[]", len(data))
    copied = ffi.new("ULONG *")
    assert lib.nx_packet_data_retrieve(packet, out, copied) == lib.NX_SUCCESS
    assert copied[0] == len(data) and ffi.buffer(out, copied[0])[:] == data
    # The buffers already chained count: one more byte would make LIMIT + 1.
    before = pool.available
    assert lib.nx_packet_data_append(packet, b"!", 1, pool.pool,
                                     lib.NX_NO_WAIT) == lib.NX_OVERFLOW
    assert packet.nx_packet_length == len(data) and pool.available == before
    assert lib.nx_packet_release(packet) == lib.NX_SUCCESS  # the whole chain comes back
    assert pool.available == pool.total
