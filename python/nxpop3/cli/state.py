"""What ``nxpop3 fetch`` has stored from each account: the unique-ids (UIDL) of the
messages on disk and when each was stored, one file per account beside the destination
(as getmail's ``oldmail`` files).

The file is line-based text, so that recording a message is one appended line and one
``fsync``, whatever the number of messages already recorded::

    # nxpop3 fetch state 1 for alice@pop.example.test:995
    1717171717 1.8f2a9c0d1e2f3a4b
    1717171718 2.0b1c2d3e4f5a6b7c

Each line is the time the message was stored (seconds since the epoch, UTC) and its
unique-id (RFC 1939: 1 to 70 characters from 0x21 to 0x7E, so no space). A line is
appended only after the message is on disk, so the file never names a message that is
not there; a crash between the two leaves the message stored and not recorded (it is
stored again by the next run). At the end of a run the file is rewritten atomically
(a temporary file, ``fsync``, ``os.replace``, ``fsync`` of the folder) without the
unique-ids the server no longer has. A line cut short by a crash is dropped when the
file is read (its message is fetched again), never guessed at.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

from .storage import fsync_dir

STATE_VERSION = 1
MAILDIR_STATE_DIR = "nxpop3-state"
"""Inside a Maildir, the folder of the state files. Not a dot-folder: Maildir++ readers
(Dovecot, Courier, Python's ``mailbox``) take a ``.name`` folder for a mail folder."""
MBOX_STATE_SUFFIX = ".nxpop3-state"
"""Beside an mbox ``DIR/NAME``, the folder ``DIR/.NAME.nxpop3-state``."""

clock: Callable[[], float] = time.time
"""The clock stored times come from; the tests set it to age the records."""

_LINE = re.compile(r"(\d{1,12}) ([\x21-\x7e]{1,70})")
_HEADER = "# nxpop3 fetch state {version} for {account}\n"


class StateError(Exception):
    """The state file cannot be read or written; the message says which and why."""


def account_key(user: str, host: str, port: int) -> str:
    """``alice@pop.example.test:995``, ``alice@[::1]:110``: what the state is kept under.

    The host as given (lower case, IPv6 in brackets), not the address it resolved to."""
    host = host.strip("[]").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{user}@{host}:{port}"


def state_folder(destination: Path, kind: str) -> Path:
    """The folder of the state files for a Maildir or an mbox destination."""
    if kind == "maildir":
        return destination / MAILDIR_STATE_DIR
    return destination.parent / f".{destination.name}{MBOX_STATE_SUFFIX}"


def state_file_name(account: str) -> str:
    """A file name for ``account``: characters other than letters, digits and
    ``@:[]+-._`` are %-escaped, so a user name holding ``/`` stays one file."""
    return quote(account, safe="@:[]+-._") + ".state"


class FetchState:
    """The unique-ids stored from one account into one destination, with their times.

    ``record`` appends and ``fsync``s one line; ``save`` rewrites the whole file
    atomically. Reading a file with a cut or foreign line drops that line and rewrites
    the file at once, so later appends never extend a cut line.
    """

    def __init__(self, folder: Path, account: str) -> None:
        self.folder = folder
        self.account = account
        self.path = folder / state_file_name(account)
        self.stored: dict[str, float] = {}
        """unique-id -> when it was stored (seconds since the epoch)."""
        self.dropped = 0
        """Lines of the file that could not be read (cut by a crash, or edited)."""
        self._append: int | None = None  # file descriptor, opened at the first record
        self._remove_leftovers()
        try:
            # latin-1 reads any byte: a line that is not ASCII is dropped below.
            text = self.path.read_bytes().decode("latin-1")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StateError(f"cannot read the fetch state {self.path}: {exc}") from None
        lines = text.split("\n")
        if lines[-1]:  # no line end: cut short by a crash
            self.dropped += 1
        for line in lines[:-1]:
            if line.startswith("#"):
                continue
            match = _LINE.fullmatch(line)
            if match is None:
                self.dropped += 1
                continue
            self.stored.setdefault(match[2], float(match[1]))
        if self.dropped:
            self.save()

    def __contains__(self, uid: object) -> bool:
        return uid in self.stored

    def __len__(self) -> int:
        return len(self.stored)

    def stored_before(self, uid: str, cutoff: float) -> bool:
        """Whether ``uid`` is recorded as stored at ``cutoff`` or earlier."""
        when = self.stored.get(uid)
        return when is not None and when <= cutoff

    def record(self, uid: str) -> None:
        """Record ``uid`` as stored now; returns once the line is on disk. Call it only
        once the message itself is on disk."""
        if not _LINE.fullmatch(f"0 {uid}"):
            raise StateError(f"cannot record the unique-id {uid!r}: not an RFC 1939 one")
        if uid in self.stored:
            return
        when = int(clock())
        try:
            if self._append is None:
                self._open_for_append()
            assert self._append is not None
            _write_all(self._append, f"{when} {uid}\n".encode("ascii"))
            os.fsync(self._append)
        except OSError as exc:
            raise StateError(f"cannot write the fetch state {self.path}: {exc}") from None
        self.stored[uid] = float(when)

    def save(self, keep: Iterable[str] | None = None) -> None:
        """Rewrite the file atomically; with ``keep``, only the unique-ids in it."""
        if keep is not None:
            wanted = set(keep)
            self.stored = {uid: t for uid, t in self.stored.items() if uid in wanted}
        self.close()
        lines = [_HEADER.format(version=STATE_VERSION, account=_printable(self.account))]
        lines += [f"{int(when)} {uid}\n" for uid, when in self.stored.items()]
        data = "".join(lines).encode("ascii")
        try:
            self._make_folder()
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=self._temporary_prefix)
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.replace(temporary, self.path)
            except OSError:
                os.unlink(temporary)
                raise
            fsync_dir(self.folder)
        except OSError as exc:
            raise StateError(f"cannot write the fetch state {self.path}: {exc}") from None

    def close(self) -> None:
        if self._append is not None:
            os.close(self._append)
            self._append = None

    @property
    def _temporary_prefix(self) -> str:
        return f".{self.path.name}.tmp-"

    def _remove_leftovers(self) -> None:
        """Delete the temporary files of a rewrite of this account's file that a crash
        interrupted (the file itself was left whole by it)."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if name.startswith(self._temporary_prefix):
                try:
                    os.unlink(self.folder / name)
                except OSError:
                    pass

    def _open_for_append(self) -> None:
        self._make_folder()
        created = not self.path.exists()
        self._append = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if created:
            header = _HEADER.format(version=STATE_VERSION, account=_printable(self.account))
            _write_all(self._append, header.encode("ascii"))
            os.fsync(self._append)
            fsync_dir(self.folder)  # the new file's name is on disk too

    def _make_folder(self) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fsync_dir(self.folder.parent)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # bounded: each write takes at least one byte or raises
        written = os.write(fd, view)
        view = view[written:]


def _printable(text: str) -> str:
    """``text`` in printable ASCII, for the comment line that names the account."""
    return "".join(c if " " <= c <= "~" else f"\\x{ord(c):02x}" if ord(c) < 0x100
                   else f"\\u{ord(c):04x}" for c in text)
