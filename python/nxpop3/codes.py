"""The NetX facts of the C headers, by name: status codes, commands, states, limits.

Nothing here is typed by hand: every integer ``NX_*`` constant of the headers the
package binds is read when the package is built (``nxpop3/_header_constants.py``)
and is an attribute of this module (``codes.NX_NOT_CONNECTED``,
``codes.NX_POP3_MAX_PASSWORD``), equal to ``nxpop3.lib``'s. Pure Python: it
imports without the C extension.

Which constants are what:

- ``STATUS_NAMES``, status value -> name: the constants written together with
  ``NX_SUCCESS`` in ``nx_api.h`` (NetX's generic codes) and with
  ``NX_POP3_CLIENT_ERROR_CONSTANT`` in ``nxd_pop3_client.h`` (the POP3 codes, which
  NetX numbers from that base; the base itself is not a status). "Together" is
  one paragraph of the header: its lines between two blank lines.
- ``COMMAND_NAMES``, ``nx_pop3_client_last_command`` value -> command keyword:
  every ``NX_POP3_COMMAND_<KEYWORD>`` but ``NONE``; ``GREETING`` is ``"greeting"``
  (the server's first line, not a command).
- ``STATE_NAMES``, ``nx_pop3_client_state`` value -> state: every
  ``NX_POP3_STATE_<STATE>``.

For both, the first macro of a value names it: a later macro of the same value is
an alias (``NX_POP3_COMMAND_FIRST``), not another command.
"""
from __future__ import annotations

from typing import Any

from ._header_scan import Constant

try:
    from ._header_constants import CONSTANTS as _ROWS
except ModuleNotFoundError:  # a checkout that was never built: read csrc/ itself
    from ._header_scan import checkout_include_dirs, scan

    _ROWS = tuple(tuple(c) for c in scan(checkout_include_dirs()))  # type: ignore[assignment]

#: Every constant, as read from the headers (name, value, header, paragraph, comment).
CONSTANTS: dict[str, Constant] = {row[0]: Constant(*row) for row in _ROWS}

globals().update({name: constant.value for name, constant in CONSTANTS.items()})

_STATUS_ANCHORS = ("NX_SUCCESS", "NX_POP3_CLIENT_ERROR_CONSTANT")
_STATUS_BASES = frozenset({"NX_POP3_CLIENT_ERROR_CONSTANT"})
_COMMAND_PREFIX = "NX_POP3_COMMAND_"
_STATE_PREFIX = "NX_POP3_STATE_"


def _paragraph_of(name: str) -> list[Constant]:
    anchor = CONSTANTS[name]
    return [c for c in CONSTANTS.values()
            if (c.header, c.paragraph) == (anchor.header, anchor.paragraph)]


def _statuses() -> dict[int, str]:
    names: dict[int, str] = {}
    for anchor in _STATUS_ANCHORS:
        for constant in _paragraph_of(anchor):
            if constant.name not in _STATUS_BASES:
                names.setdefault(constant.value, constant.name)
    return names


def _command_name(macro: str) -> str:
    keyword = macro.removeprefix(_COMMAND_PREFIX)
    return "greeting" if keyword == "GREETING" else keyword


#: Status value -> NetX name (``0x38`` -> ``"NX_NOT_CONNECTED"``).
STATUS_NAMES: dict[int, str] = _statuses()

#: The protocol-violation statuses (the server broke the protocol; the C client
#: closed the connection): ``NX_POP3_PROTOCOL_ERROR_FIRST`` .. ``_LAST``, and
#: ``NX_POP3_INVALID_CHALLENGE`` (SASL's, numbered after them).
PROTOCOL_VIOLATIONS: frozenset[int] = frozenset(
    value for value in STATUS_NAMES
    if CONSTANTS["NX_POP3_PROTOCOL_ERROR_FIRST"].value <= value
    <= CONSTANTS["NX_POP3_PROTOCOL_ERROR_LAST"].value) | {
    CONSTANTS["NX_POP3_INVALID_CHALLENGE"].value}

def _first_names(prefix: str) -> dict[int, str]:
    """Value -> macro, for the macros named ``prefix*``; the first macro of a value
    names it (a later one of the same value, ``NX_POP3_COMMAND_FIRST``, is an alias)."""
    names: dict[int, str] = {}
    for constant in CONSTANTS.values():
        if constant.name.startswith(prefix):
            names.setdefault(constant.value, constant.name)
    return names


#: ``nx_pop3_client_last_command`` value -> command keyword (``"RETR"``, ``"greeting"``).
COMMAND_NAMES: dict[int, str] = {
    value: _command_name(macro) for value, macro in _first_names(_COMMAND_PREFIX).items()
    if macro != _COMMAND_PREFIX + "NONE"
}

#: ``nx_pop3_client_state`` value -> state (``"TRANSACTION"``).
STATE_NAMES: dict[int, str] = {
    value: macro.removeprefix(_STATE_PREFIX)
    for value, macro in _first_names(_STATE_PREFIX).items()
}


def status_name(status: int) -> str:
    """The NetX name of a status value, or its hex form when unknown."""
    return STATUS_NAMES.get(status, f"0x{status:02X}")


def __getattr__(name: str) -> Any:  # only reached for names the headers do not define
    raise AttributeError(f"module 'nxpop3.codes' has no attribute {name!r} "
                         "(no such integer constant in the C headers)")
