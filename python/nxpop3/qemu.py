"""Deprecated: the board runner moved to :mod:`nxpop3.board`; this module goes in the
next release.

``nxpop3.board.runner`` boots the firmware, ``nxpop3.board.firmware`` builds it and
``nxpop3.board.exit_codes`` reads the board's exit statuses (``BOARD_EXIT_*``, still
readable here) from ``hw/boards/mps2_an385/board.h``. ``python -m nxpop3.qemu ...`` keeps
working, as ``python -m nxpop3.board ...``.
"""
from __future__ import annotations

import sys
import warnings
from typing import Any

from nxpop3.board.exit_codes import board_exits
from nxpop3.board.firmware import (
    CROSS_GCC,
    FIRMWARE_NAME,
    FirmwareBuildError,
    build_firmware,
    default_build_dir,
    find_source_dir,
)
from nxpop3.board.runner import (
    GUEST_SERVER_ADDRESS,
    GUEST_SERVER_PORT,
    QEMU,
    QemuResult,
    fetch_mailbox,
    firmware_command_line,
    missing_tools,
    qemu_command,
    run_firmware,
)
from nxpop3.board.runner import main as _board_main

__all__ = [
    "CROSS_GCC", "FIRMWARE_NAME", "GUEST_SERVER_ADDRESS", "GUEST_SERVER_PORT", "QEMU",
    "FirmwareBuildError", "QemuResult", "build_firmware", "default_build_dir",
    "fetch_mailbox", "find_source_dir", "firmware_command_line", "missing_tools",
    "qemu_command", "run_firmware",
]


def __getattr__(name: str) -> Any:
    """``BOARD_EXIT_FAULT`` and the others, read from the board header of the checkout."""
    if name.startswith("BOARD_EXIT_"):
        try:
            exits = board_exits()
        except (OSError, ValueError) as exc:
            raise AttributeError(f"nxpop3.qemu.{name} is read from the board header: {exc}") \
                from exc
        if name in exits:
            return exits[name]
    raise AttributeError(f"module 'nxpop3.qemu' has no attribute {name!r}")


def _main(argv: list[str] | None = None) -> int:
    return _board_main(argv, prog="python -m nxpop3.qemu")


if __name__ == "__main__":
    sys.exit(_main())
else:
    warnings.warn(
        "nxpop3.qemu moved to nxpop3.board (runner, firmware, exit_codes); "
        "nxpop3.qemu goes in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
