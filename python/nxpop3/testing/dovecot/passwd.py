"""The passwd-files of a test Dovecot: one file per user, ``{PLAIN}`` passwords.

One file per user, because Dovecot stats a passwd-file at most once a second: a new
user's file is read at its first lookup. A changed password is seen only once the second
of the last lookup has passed, so :func:`write_passwd` waits for that when asked.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

__all__ = ["NAME_PATTERN", "check_user", "write_passwd"]

NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,39}")
"""User names accepted: safe as a file name and in Dovecot's ``%u``."""


def check_user(name: str, password: str) -> None:
    """ValueError unless ``name`` and ``password`` can go into a passwd-file."""
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"user name {name!r} must match {NAME_PATTERN.pattern}")
    if not password or any(ch in password for ch in ":\r\n\0"):
        raise ValueError("password must be non-empty, without ':', CR, LF or NUL")


def write_passwd(
    folder: Path, name: str, password: str, uid: int, gid: int, *, changed: bool = False,
    running: bool = False,
) -> None:
    """Write ``folder/NAME``, readable by the auth process (which runs as ``uid``).

    ``changed``: the user's password changed; while the server is ``running`` this waits
    until the next second so that Dovecot sees the new file.
    """
    folder.mkdir(exist_ok=True)
    target = folder / name
    tmp = folder / f".{name}.tmp"
    tmp.write_text(f"{name}:{{PLAIN}}{password}::::::\n")
    os.chown(tmp, uid, gid)
    os.chmod(tmp, 0o600)
    if changed:
        # Dovecot compares mtime and size: make the mtime differ from the old file's.
        old = target.stat().st_mtime
        os.utime(tmp, (old + 1, old + 1))
    os.replace(tmp, target)
    if changed and running:
        start = int(time.time())
        while int(time.time()) == start:
            time.sleep(0.01)
