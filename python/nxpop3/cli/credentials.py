"""How ``nxpop3 fetch`` logs in: the mechanisms it can be told to use, and where it finds
a user name and a password it was not given: ``~/.netrc``
(or the file ``$NETRC`` names, as curl 8.16 and GNU ftp read it), parsed with Python's
``netrc`` module.

A file holding passwords is used only when it is private: owned by the user running
``nxpop3`` and neither readable nor writable by anyone else (``chmod 600``), the rule of
Python's ``netrc`` module and of ftp for ``~/.netrc``. Anything else is refused, with a
message that names the file and its mode, never what it holds.
"""
from __future__ import annotations

import netrc
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .exit_codes import EXIT_CONFIG, FetchFailed

NETRC_ENV = "NETRC"
MECHANISMS = ("SCRAM-SHA-256", "CRAM-MD5", "APOP", "PLAIN", "LOGIN", "USER", "XOAUTH2",
              "OAUTHBEARER")
"""The login mechanisms ``--mechanism`` takes (without it, the client picks the
strongest the server offers)."""


@dataclass(frozen=True)
class NetrcEntry:
    """The login and password ``.netrc`` has for one machine (``default`` included)."""

    path: Path
    login: str
    password: str

    def __repr__(self) -> str:  # never show the password
        return f"NetrcEntry(path={str(self.path)!r}, login={self.login!r}, password='****')"


def netrc_path() -> Path:
    """``$NETRC`` when set and not empty, else ``~/.netrc``."""
    named = os.environ.get(NETRC_ENV)
    return Path(named) if named else Path.home() / ".netrc"


def check_private(path: Path, what: str) -> None:
    """Refuse ``path`` (``FetchFailed``, exit code ``EXIT_CONFIG``) unless it is a
    regular file owned by this user that no one else can read or write."""
    try:
        info = path.stat()
    except OSError as exc:
        raise FetchFailed(EXIT_CONFIG, f"cannot read {what} {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FetchFailed(EXIT_CONFIG, f"{what} {path} is not a regular file")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise FetchFailed(
            EXIT_CONFIG,
            f"{what} {path} holds passwords and belongs to another user (uid "
            f"{info.st_uid}): nxpop3 uses only your own",
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise FetchFailed(
            EXIT_CONFIG,
            f"{what} {path} holds passwords and others can read or change it (mode "
            f"{mode:04o}): run 'chmod 600 {path}'",
        )


def netrc_entry(host: str, path: Path | None = None) -> NetrcEntry | None:
    """The ``.netrc`` entry for ``host`` (or its ``default``), or None when there is no
    file or no entry. A file that is not private, or that does not parse, is refused
    with ``FetchFailed`` (``EXIT_CONFIG``); the error names the line, not its text (a
    token there may be a password)."""
    path = path if path is not None else netrc_path()
    if not path.exists():
        return None
    check_private(path, "the netrc file")
    try:
        parsed = netrc.netrc(str(path))
    except netrc.NetrcParseError as exc:
        raise FetchFailed(EXIT_CONFIG,
                          f"cannot parse the netrc file {path} at line {exc.lineno}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FetchFailed(EXIT_CONFIG, f"cannot read the netrc file {path}: {exc}") from None
    name = host.strip("[]")
    for machine in (name, name.lower(), "default"):  # curl matches names in any case too
        found = parsed.hosts.get(machine)
        if found is not None:
            break
    else:
        return None
    login, _account, password = found
    return NetrcEntry(path, login or "", password or "")
