"""The ``nxpop3`` command: fetch a maildrop through the C client, or serve one for tests.

``nxpop3 fetch`` is incremental: it stores only the messages it has not stored before
(by UIDL), and records each one only once it is on disk.

``nxpop3 fetch`` with no HOST starts the bundled sample maildrop on an embedded test
server and fetches it through the C client: a demonstration that needs no mail account.
Exit codes are listed in ``EXIT_CODES`` and in ``docs/cli.md``.

One job per module:

- ``parser``: the arguments and ``main`` (``nxpop3``, ``python -m nxpop3``)
- ``fetch``: ``nxpop3 fetch`` (connecting, the download loop, the demonstration)
- ``serve``: ``nxpop3 serve``
- ``storage``: the Maildir or mbox messages are written to, each fsynced
- ``state``: the unique-ids stored from each account, beside the destination
- ``credentials``: ``.netrc``, and the rule that a file of passwords is private
- ``accounts``: the accounts file of ``--account NAME`` (TOML)
- ``progress``: the progress bar and human-readable sizes
- ``report``: the wording of errors, message listings and command logs
- ``exit_codes``: the exit codes and which exception gives which
"""
from __future__ import annotations

import importlib
import warnings
from typing import Any

from .exit_codes import (
    EXIT_AUTH,
    EXIT_CODES,
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_PROTOCOL,
    EXIT_SERVER,
    EXIT_STORAGE,
    EXIT_TLS,
    EXIT_USAGE,
)
from .parser import build_parser, main

__all__ = [
    "EXIT_AUTH", "EXIT_CODES", "EXIT_CONFIG", "EXIT_FAILURE", "EXIT_INTERRUPTED",
    "EXIT_NETWORK", "EXIT_OK", "EXIT_PROTOCOL", "EXIT_SERVER", "EXIT_STORAGE", "EXIT_TLS",
    "EXIT_USAGE", "build_parser", "main",
]

# Names that lived in the single-file nxpop3/cli.py; importable from here until the
# next release, with a DeprecationWarning.
_MOVED: dict[str, tuple[str, str]] = {
    "human_size": ("nxpop3.cli.progress", "human_size"),
    "Progress": ("nxpop3.cli.progress", "Progress"),
    "Store": ("nxpop3.cli.storage", "Store"),
    "describe_message": ("nxpop3.cli.report", "describe_message"),
    "describe_error": ("nxpop3.cli.report", "describe_error"),
    "exit_code_for": ("nxpop3.cli.exit_codes", "exit_code_for"),
    "FetchFailed": ("nxpop3.cli.exit_codes", "FetchFailed"),
    "PASSWORD_ENV": ("nxpop3.cli.fetch", "PASSWORD_ENV"),
    "DEFAULT_DESTINATION": ("nxpop3.cli.fetch", "DEFAULT_DESTINATION"),
    "DEMO_USER": ("nxpop3.cli.fetch", "DEMO_USER"),
    "DEMO_PASSWORD": ("nxpop3.cli.fetch", "DEMO_PASSWORD"),
    "read_password": ("nxpop3.cli.fetch", "read_password"),
    "connect": ("nxpop3.cli.fetch", "connect"),
    "run_fetch": ("nxpop3.cli.fetch", "run_fetch"),
    "cmd_fetch": ("nxpop3.cli.fetch", "cmd_fetch"),
    "demo_fetch": ("nxpop3.cli.fetch", "demo_fetch"),
    # The CLI's own resolver is gone (nxpop3.address.resolve serves the package); this
    # wrapper over it keeps the old signature, result (str literals) and FetchFailed.
    "resolve": ("nxpop3.cli.fetch", "addresses_to_try"),
    "cmd_serve": ("nxpop3.cli.serve", "cmd_serve"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _MOVED[name]
    except KeyError:
        raise AttributeError(f"module 'nxpop3.cli' has no attribute {name!r}") from None
    warnings.warn(
        f"nxpop3.cli.{name} moved to {module_name}.{attr}; nxpop3.cli.{name} goes in the "
        "next release",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module_name), attr)
