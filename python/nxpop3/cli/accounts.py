"""The accounts file of ``nxpop3 fetch --account NAME``: TOML, one table per account.

::

    [work]
    host = "pop.example.test"
    tls = true
    user = "alice"
    destination = "~/Mail/work"
    delete_older_than = 30

The default file is ``$XDG_CONFIG_HOME/nxpop3/accounts.toml`` (``~/.config/nxpop3/``
without the variable); ``--config PATH`` names another. It is read with ``tomllib``
(Python 3.11 and later). A ``password`` key is accepted only in a private file (owned by
you, ``chmod 600``), as for ``.netrc``; otherwise passwords come from ``.netrc``,
``$NXPOP3_PASSWORD`` or the prompt. Options on the command line win over the file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .credentials import MECHANISMS, check_private
from .exit_codes import EXIT_CONFIG, FetchFailed

CONFIG_ENV = "XDG_CONFIG_HOME"
FORMATS = ("maildir", "mbox")

# key -> (type, what the error says it must be)
_KEYS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "host": (str, "a string"),
    "port": (int, "an integer from 1 to 65535"),
    "user": (str, "a string"),
    "password": (str, "a string"),
    "tls": (bool, "true or false"),
    "starttls": (bool, "true or false"),
    "cafile": (str, "a path"),
    "capath": (str, "a path"),
    "apop": (bool, "true or false"),
    "mechanism": (str, "one of " + ", ".join(MECHANISMS)),
    "allow_plaintext": (bool, "true or false"),
    "destination": (str, "a path"),
    "format": (str, "maildir or mbox"),
    "lf": (bool, "true or false"),
    "delete": (bool, "true or false"),
    "delete_older_than": ((int, float), "a number of days, 0 or more"),
    "timeout": ((int, float), "a number of seconds, more than 0"),
}
_PATH_KEYS = ("cafile", "capath", "destination")


@dataclass
class Account:
    """One table of the accounts file, checked; paths made absolute."""

    name: str
    file: Path
    settings: dict[str, Any]


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/nxpop3/accounts.toml``, else ``~/.config/nxpop3/accounts.toml``
    (a relative ``XDG_CONFIG_HOME`` is ignored, as the XDG specification says)."""
    base = os.environ.get(CONFIG_ENV, "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "nxpop3" / "accounts.toml"


def load_account(path: Path | None, name: str) -> Account:
    """Account ``name`` of the accounts file ``path`` (None: the default file);
    ``FetchFailed`` with ``EXIT_CONFIG`` when the file or the account is wrong."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        raise FetchFailed(EXIT_CONFIG, "the accounts file needs Python 3.11 or later "
                                       "(tomllib); give the account on the command line") from None
    path = path if path is not None else default_config_path()
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        raise FetchFailed(EXIT_CONFIG, f"no accounts file {path} (see 'nxpop3 fetch --help')"
                          ) from None
    except OSError as exc:
        raise FetchFailed(EXIT_CONFIG, f"cannot read the accounts file {path}: {exc.strerror}"
                          ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FetchFailed(EXIT_CONFIG, f"the accounts file {path} is not valid TOML: {exc}"
                          ) from None
    stray = [key for key, value in document.items() if not isinstance(value, dict)]
    if stray:
        raise FetchFailed(EXIT_CONFIG, f"the accounts file {path}: '{stray[0]}' is outside "
                                       "any [account] table")
    if name not in document:
        known = ", ".join(sorted(document)) or "none"
        raise FetchFailed(EXIT_CONFIG, f"no account [{name}] in {path} (accounts: {known})")
    settings = dict(document[name])
    _check(settings, f"the accounts file {path}, [{name}]")
    if "password" in settings:
        check_private(path, "the accounts file")
    base = path.parent
    for key in _PATH_KEYS:
        if key in settings:
            settings[key] = str(base / Path(settings[key]).expanduser())
    return Account(name, path, settings)


def _check(settings: dict[str, Any], where: str) -> None:
    for key, value in settings.items():
        if key not in _KEYS:
            raise FetchFailed(EXIT_CONFIG, f"{where}: unknown key '{key}' (known: "
                                           f"{', '.join(_KEYS)})")
        kind, must = _KEYS[key]
        wrong = not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)
        if not wrong and key == "port":
            wrong = not 1 <= value <= 0xFFFF
        elif not wrong and key == "format":
            wrong = value not in FORMATS
        elif not wrong and key == "mechanism":
            wrong = value.upper() not in MECHANISMS
        elif not wrong and key == "delete_older_than":
            wrong = value < 0
        elif not wrong and key == "timeout":
            wrong = value <= 0
        if wrong:
            raise FetchFailed(EXIT_CONFIG, f"{where}: {key} must be {must}")
    if "host" not in settings:
        raise FetchFailed(EXIT_CONFIG, f"{where}: no host")
    if settings.get("tls") and settings.get("starttls"):
        raise FetchFailed(EXIT_CONFIG, f"{where}: tls and starttls exclude each other")
    if settings.get("delete") and "delete_older_than" in settings:
        raise FetchFailed(EXIT_CONFIG, f"{where}: delete and delete_older_than exclude "
                                       "each other")
