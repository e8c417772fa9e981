"""nxpop3: the NetX Duo POP3 client in C, driven from Python.

The C binding (``ffi``, ``lib``) and the classes built on it load on first use,
so the pure-Python parts (``nxpop3.testing``) import without the extension.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "ffi": ("nxpop3._binding", "ffi"),
    "lib": ("nxpop3._binding", "lib"),
    "Client": ("nxpop3.client", "Client"),
    "PacketPool": ("nxpop3.pool", "PacketPool"),
    "Pop3Error": ("nxpop3.errors", "Pop3Error"),
    "ServerError": ("nxpop3.errors", "ServerError"),
    "AuthenticationError": ("nxpop3.errors", "AuthenticationError"),
    "PlaintextRefused": ("nxpop3.errors", "PlaintextRefused"),
    "ProtocolError": ("nxpop3.errors", "ProtocolError"),
    "Pop3Timeout": ("nxpop3.errors", "Pop3Timeout"),
    "ConnectionClosed": ("nxpop3.errors", "ConnectionClosed"),
    "BadArgument": ("nxpop3.errors", "BadArgument"),
    "InvalidState": ("nxpop3.errors", "InvalidState"),
    "TLSError": ("nxpop3.errors", "TLSError"),
    "status_name": ("nxpop3.errors", "status_name"),
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'nxpop3' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value
