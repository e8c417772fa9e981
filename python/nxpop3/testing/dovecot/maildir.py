"""Filling and reading the Maildirs a test Dovecot serves, and what it makes of them.

Dovecot numbers new Maildir files in the order of the number before the first ``.`` of
their names, so every delivered file name starts with an increasing sequence number.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

from nxpop3.testing.dovecot.errors import DovecotError

__all__ = [
    "as_retrieved",
    "deliver",
    "listed_size",
    "make_maildir",
    "message_paths",
    "next_sequence",
    "read_messages",
]

_BARE_LF = re.compile(rb"(?<!\r)\n")
#: Leading sequence numbers start here so every name has the same number of digits.
_SEQ_BASE = 1_000_000_000


def listed_size(data: bytes) -> int:
    """The size Dovecot reports (LIST, STAT) for a message stored as ``data``.

    Its "virtual size": the length once every bare LF is counted as CRLF.
    """
    return len(data) + len(_BARE_LF.findall(data))


def as_retrieved(data: bytes) -> bytes:
    """What RETR gives a client (unstuffed) for a message stored as ``data``.

    Every bare LF becomes CRLF, and a message not ending in a line ending gets one: Dovecot
    sends CRLF before the terminating dot, which the client cannot tell from the message.
    """
    out = _BARE_LF.sub(b"\r\n", data)
    if out and not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out


def make_maildir(home: Path, uid: int, gid: int) -> None:
    """Create ``home/Maildir/{cur,new,tmp}`` (as needed), owned by the mail account."""
    for path in (home, home / "Maildir", *(home / "Maildir" / s for s in ("cur", "new", "tmp"))):
        path.mkdir(exist_ok=True)
        os.chown(path, uid, gid)
        os.chmod(path, 0o700)


def message_paths(maildir: Path) -> list[Path]:
    """The message files, in the server's order (POP3 number - 1)."""
    found: list[tuple[int, str, Path]] = []
    for sub in ("cur", "new"):
        for entry in os.scandir(maildir / sub):
            if entry.name.startswith(".") or not entry.is_file():
                continue
            head = entry.name.split(".", 1)[0]
            key = int(head) if head.isdigit() else 0
            found.append((key, entry.name, Path(entry.path)))
    found.sort()
    return [path for _, _, path in found]


def read_messages(maildir: Path) -> list[bytes]:
    """The bytes of every message, in the server's order, exactly as on disk."""
    # Dovecot renames files from new/ to cur/ during a session: scan again if one moved.
    for _ in range(100):
        try:
            return [path.read_bytes() for path in message_paths(maildir)]
        except FileNotFoundError:
            time.sleep(0.01)
    raise DovecotError(f"the Maildir {maildir} kept changing while being read")


def next_sequence(maildir: Path) -> int:
    """The sequence number after the highest one already delivered (1 when empty)."""
    existing = [int(p.name.split(".", 1)[0]) - _SEQ_BASE
                for p in message_paths(maildir)
                if p.name.split(".", 1)[0].isdigit()]
    return max(existing, default=0) + 1


def deliver(maildir: Path, seq: int, data: bytes | Iterable[bytes], uid: int, gid: int) -> Path:
    """Deliver one message as number ``seq``: written in ``tmp/``, given to the mail
    account, renamed into ``new/``, as a delivery agent does. Returns the new path."""
    name = f"{_SEQ_BASE + seq}.M{seq}P{os.getpid()}Q{seq}.nxpop3"
    tmp_path = maildir / "tmp" / name
    chunks = [data] if isinstance(data, (bytes, bytearray, memoryview)) else data
    with open(tmp_path, "wb") as out:
        out.writelines(chunks)
        os.fchown(out.fileno(), uid, gid)
        os.fchmod(out.fileno(), 0o600)
    new_path = maildir / "new" / name
    os.rename(tmp_path, new_path)
    return new_path
