"""Small public helpers' rarer answers: error_for's family for statuses that are
neither replies nor transport failures, printable() for characters beyond the
Basic Multilingual Plane, and a PacketPool's counters and repr."""
from __future__ import annotations

import pytest

from nxpop3 import BadArgument, InvalidState, PacketPool, Pop3Error, codes
from nxpop3.errors import error_for
from nxpop3.server_text import printable


def test_error_for_an_invalid_state_status_is_invalid_state() -> None:
    error = error_for(codes.NX_POP3_CLIENT_INVALID_STATE, command="STAT")
    assert type(error) is InvalidState
    assert error.status == codes.NX_POP3_CLIENT_INVALID_STATE


@pytest.mark.parametrize("status", [codes.NX_PTR_ERROR, codes.NX_INVALID_PORT,
                                    codes.NX_POP3_CLIENT_INVALID_INDEX])
def test_error_for_an_argument_status_is_bad_argument(status: int) -> None:
    error = error_for(status)
    assert type(error) is BadArgument
    assert isinstance(error, ValueError)


def test_error_for_an_unknown_status_is_the_base_class() -> None:
    error = error_for(0x7777, message="made up")
    assert type(error) is Pop3Error
    assert error.status == 0x7777
    assert "made up" in str(error)


def test_printable_escapes_a_format_character_beyond_the_bmp() -> None:
    # U+E0001 LANGUAGE TAG is invisible (category Cf); the emoji is shown as it is.
    assert printable("ok \U0001f600\U000e0001\u2028") == "ok \U0001f600\\U000e0001\\u2028"


def test_packet_pool_counters_and_repr() -> None:
    pool = PacketPool(payload_size=1024, count=4)
    assert (pool.total, pool.available, pool.payload_size, pool.empty_requests) == \
        (4, 4, 1024, 0)
    assert repr(pool) == "PacketPool(payload_size=1024, available=4/4)"
