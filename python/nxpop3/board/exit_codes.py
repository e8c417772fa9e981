"""The board's own exit statuses (``BOARD_EXIT_*``), read from the firmware's C header.

The firmware's verdict is its semihosting exit status: 0, a NetX status (below 0xF0,
named by :mod:`nxpop3.codes`), or one of the board's statuses, defined once in
``hw/boards/mps2_an385/board.h`` and parsed from there at run time.

Why the C header holds them, and Python reads it (rather than Python generating it):
the firmware emits these statuses and must build with CMake and a cross compiler alone,
without Python or an installed package; and the board runner cannot run anything without
that same checkout (it builds the firmware from it), so reading the header costs nothing
and can never disagree with the firmware that was built from it.
"""
from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from .firmware import find_source_dir

__all__ = ["BOARD_HEADER", "board_exit_name", "board_exits"]

#: The header that defines the statuses, relative to the source tree.
BOARD_HEADER = Path("hw", "boards", "mps2_an385", "board.h")

_DEFINE = re.compile(r"^[ \t]*#define[ \t]+(BOARD_EXIT_\w+)[ \t]+(0[xX][0-9A-Fa-f]+|[0-9]+)[uU]?\b",
                     re.MULTILINE)


@functools.lru_cache(maxsize=8)
def _parse(header: Path) -> dict[str, int]:
    found = {name: int(value, 0) for name, value in _DEFINE.findall(header.read_text("utf-8"))}
    if not found:
        raise ValueError(f"no BOARD_EXIT_* statuses in {header}")
    return found


def board_exits(source_dir: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """``{"BOARD_EXIT_FAULT": 0xF1, ...}``: every ``BOARD_EXIT_*`` of the board header.

    ``source_dir`` is the nxpop3 checkout (default: :func:`~nxpop3.board.find_source_dir`).
    """
    source = Path(source_dir) if source_dir is not None else find_source_dir()
    return dict(_parse((source / BOARD_HEADER).resolve()))


def board_exit_name(status: int, source_dir: str | os.PathLike[str] | None = None) -> str | None:
    """``"BOARD_EXIT_FAULT"`` for 0xF1; None when ``status`` is not a board status."""
    for name, value in board_exits(source_dir).items():
        if value == status:
            return name
    return None
