"""The C client as firmware on a board: QEMU's ``mps2-an385`` (Cortex-M3, LAN9118).

- :mod:`nxpop3.board.firmware`: build the firmware (``hw/``) with CMake
- :mod:`nxpop3.board.runner`: boot it on QEMU against a POP3 server on the host
- :mod:`nxpop3.board.relay`: the per-connection relay QEMU's ``guestfwd`` runs
- :mod:`nxpop3.board.exit_codes`: the board's exit statuses, read from its C header

``python -m nxpop3.board HOST PORT USER PASSWORD [--apop | --mechanism MECH] [--delete]
[--cafile PEM]`` builds and boots the firmware from a shell (``--cafile``: POP3S, verified
against it; ``--mechanism scram-sha-256``: SASL login).
Pure Python: no C extension, no tool is loaded on import.
"""
from __future__ import annotations

from .exit_codes import BOARD_HEADER, board_exit_name, board_exits
from .firmware import (
    CROSS_GCC,
    FIRMWARE_NAME,
    FirmwareBuildError,
    build_firmware,
    default_build_dir,
    find_source_dir,
    missing_build_tools,
)
from .runner import (
    GUEST_SERVER_ADDRESS,
    GUEST_SERVER_PORT,
    GUEST_SERVER_TLS_PORT,
    MECHANISMS,
    QEMU,
    QemuResult,
    fetch_mailbox,
    firmware_command_line,
    missing_tools,
    qemu_command,
    run_firmware,
)

__all__ = [
    "BOARD_HEADER", "CROSS_GCC", "FIRMWARE_NAME", "GUEST_SERVER_ADDRESS", "GUEST_SERVER_PORT",
    "GUEST_SERVER_TLS_PORT", "MECHANISMS", "QEMU", "FirmwareBuildError", "QemuResult",
    "board_exit_name", "board_exits",
    "build_firmware", "default_build_dir", "fetch_mailbox", "find_source_dir",
    "firmware_command_line", "missing_build_tools", "missing_tools", "qemu_command",
    "run_firmware",
]
