"""Where ``nxpop3 fetch`` puts messages: a Maildir or an mbox, each message fsynced."""
from __future__ import annotations

import mailbox
import os
from pathlib import Path


class Store:
    """A Maildir or an mbox; ``add`` returns only once the message is on disk (fsync)."""

    def __init__(self, path: Path, kind: str, lf: bool) -> None:
        self.path = path
        self.kind = kind
        self.lf = lf or kind == "mbox"  # mbox is a Unix format: LF line ends
        self.count = 0
        self.octets = 0
        self._box: mailbox.Mailbox
        if kind == "maildir":
            path.parent.mkdir(parents=True, exist_ok=True)
            self._box = mailbox.Maildir(str(path), factory=None, create=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            created = not path.exists()
            self._box = mailbox.mbox(str(path), factory=None, create=True)
            if created:
                fsync_dir(path.parent)  # the new mbox's name is on disk
            self._box.lock()

    def add(self, data: bytes) -> None:
        """Store one message; returns only once it is on disk, whole."""
        if self.lf:
            data = data.replace(b"\r\n", b"\n")
        # Maildir: written in tmp/ and fsynced there, then linked into new/ (mailbox).
        key = self._box.add(data)
        if isinstance(self._box, mailbox.Maildir):
            _fsync_file(self.path / "new" / key)  # whatever the mailbox module does
            fsync_dir(self.path / "new")  # the name in new/ is on disk
        else:
            self._box.flush()  # writes and fsyncs the mbox file
        self.count += 1
        self.octets += len(data)

    def close(self) -> None:
        if isinstance(self._box, mailbox.mbox):
            self._box.unlock()
        self._box.close()

    def describe(self) -> str:
        return f"{self.path} ({'Maildir' if self.kind == 'maildir' else 'mbox'})"


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def fsync_dir(path: Path) -> None:
    """``fsync`` a folder, so that the names created or renamed in it are on disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # not every platform opens directories
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
