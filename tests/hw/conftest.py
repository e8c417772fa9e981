"""Fixtures for the board tests: the C client as firmware on QEMU's mps2-an385.

``hw_firmware``
    The example firmware (``hw/app``), built once per session with CMake into the user's
    cache (``nxpop3.board.default_build_dir``; ``NXPOP3_HW_BUILD_DIR`` overrides it).
    Without qemu-system-arm, arm-none-eabi-gcc or cmake the tests skip, except under
    ``CI=true``, where they fail.
``run_board``
    ``run_board(host, port, user, password, apop=False, delete=False, timeout=60)`` boots
    the firmware against a POP3 server on the host and returns a ``QemuResult``.
Dovecot cases use the plugin's ``dovecot`` fixture.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pytest

from nxpop3 import board
from nxpop3.testing.dependencies import missing

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def hw_firmware() -> Path:
    """The firmware ELF, built from this checkout."""
    absent = board.missing_tools()
    if absent:
        missing("board tests need " + ", ".join(absent)
                 + ": apt-get install qemu-system-arm gcc-arm-none-eabi "
                   "libnewlib-arm-none-eabi cmake")
    try:
        return board.build_firmware(ROOT)
    except board.FirmwareBuildError as exc:
        pytest.fail(f"the firmware did not build:\n{exc}", pytrace=False)
    raise AssertionError("unreachable")


@pytest.fixture
def run_board(hw_firmware: Path) -> Callable[..., board.QemuResult]:
    """Boot the firmware against a host POP3 server: ``run_board(host, port, user, pw)``."""
    return functools.partial(board.fetch_mailbox, hw_firmware)


