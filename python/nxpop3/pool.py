"""``PacketPool``: a NetX packet pool whose memory Python owns."""
from __future__ import annotations

from . import codes
from ._binding import ffi, lib
from .errors import BadArgument, error_for

_ALIGN = 8
_MAX_PAYLOAD = 1 << 20
_MAX_COUNT = 1 << 16

def _aligned(value: int) -> int:
    return (value + _ALIGN - 1) & ~(_ALIGN - 1)


class PacketPool:
    """A pool of ``count`` packets of ``payload_size`` bytes each.

    ``total`` and ``available`` read the pool's counters, so a test can check
    that every packet came back. The pool is used by one thread at a time
    (a ``Client`` that makes its own pool is safe to use beside others).
    """

    def __init__(self, payload_size: int = 1536, count: int = 16, name: str = "nxpop3") -> None:
        if not isinstance(payload_size, int) or not 64 <= payload_size <= _MAX_PAYLOAD:
            raise BadArgument(codes.NX_SIZE_ERROR,
                              message=f"payload_size must be 64..{_MAX_PAYLOAD}")
        if not isinstance(count, int) or not 1 <= count <= _MAX_COUNT:
            raise BadArgument(codes.NX_SIZE_ERROR, message=f"count must be 1..{_MAX_COUNT}")
        element = _aligned(ffi.sizeof("NX_PACKET")) + _aligned(payload_size)
        size = element * count
        # Held for the C pool, which points into them: the memory (uint64_t cells, so
        # it starts 8-aligned and no packet is lost to alignment) and the name.
        self._memory = ffi.new("uint64_t[]", size // 8)
        self._name = ffi.new("char[]", name.encode("ascii", "replace")[:31])
        self.pool = ffi.new("NX_PACKET_POOL *")
        status = lib.nx_packet_pool_create(self.pool, self._name, payload_size, self._memory, size)
        if status != lib.NX_SUCCESS:
            raise error_for(status, message="nx_packet_pool_create")

    @property
    def total(self) -> int:
        """Packets in the pool."""
        return int(self.pool.nx_packet_pool_total)

    @property
    def available(self) -> int:
        """Packets free now."""
        return int(self.pool.nx_packet_pool_available)

    @property
    def payload_size(self) -> int:
        """Bytes of payload each packet holds."""
        return int(self.pool.nx_packet_pool_payload_size)

    @property
    def empty_requests(self) -> int:
        """Allocations that found the pool empty."""
        return int(self.pool.nx_packet_pool_empty_requests)

    def __repr__(self) -> str:
        return (f"PacketPool(payload_size={self.payload_size}, "
                f"available={self.available}/{self.total})")
