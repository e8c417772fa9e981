"""Messages and mailboxes served by :class:`nxpop3.testing.Pop3Server`.

A message is stored the way a POP3 server holds it: CRLF line ends, ending in CRLF, so
the octet counts in ``STAT`` and ``LIST`` are exact and a client that unstuffs correctly
gets back these very bytes.
"""
from __future__ import annotations

import hashlib
import mailbox
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Union

from nxpop3.testing.sasl import SCRAM_ITERATIONS, ScramCredential

MessageSource = Union[bytes, bytearray, str, "os.PathLike[str]", "Message"]
"""What a mailbox accepts as one message: bytes or text (line ends converted to CRLF),
the path of an ``.eml`` file, or a :class:`Message` (taken verbatim)."""

MAX_UID_LENGTH = 70  # RFC 1939: a unique-id is 1 to 70 characters in 0x21..0x7E


def to_crlf(data: bytes) -> bytes:
    """Return ``data`` with every line ending in CRLF (bare LF converted), ending in CRLF.

    An empty message stays empty.
    """
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if data and not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def valid_uid(uid: str) -> bool:
    """True when ``uid`` is a legal RFC 1939 unique-id (1-70 chars in 0x21..0x7E)."""
    return 0 < len(uid) <= MAX_UID_LENGTH and all(0x21 <= ord(c) <= 0x7E for c in uid)


@dataclass(frozen=True)
class Message:
    """One stored message: its exact bytes and its UIDL unique-id.

    Build one directly to serve bytes verbatim (no CRLF conversion), e.g. a message with
    bare LF line ends or none at the end; the server still ends the body with CRLF.CRLF.
    """

    data: bytes
    uid: str

    @property
    def size(self) -> int:
        """Octets as counted by STAT and LIST."""
        return len(self.data)

    def top(self, lines: int) -> bytes:
        """What ``TOP n lines`` sends, before stuffing: the header, the empty line ending
        it and the first ``lines`` lines of the body, as stored (a prefix of :attr:`data`).

        Lines end at LF (CRLF or a bare LF). A message without an empty line is all
        header; a body shorter than ``lines`` comes whole, final line end or not.
        """
        data = self.data
        end = _header_end(data)
        if end is None:
            return data
        for _ in range(max(lines, 0)):
            if end >= len(data):
                break
            newline = data.find(b"\n", end)
            end = len(data) if newline < 0 else newline + 1
        return data[:end]


def _header_end(data: bytes) -> int | None:
    """The offset just past the empty line that ends the header; None without one."""
    start = 0
    while start < len(data):
        newline = data.find(b"\n", start)
        if newline < 0:
            return None
        if data[start:newline] in (b"", b"\r"):
            return newline + 1
        start = newline + 1
    return None


class Mailbox:
    """A user's maildrop: credentials and an ordered list of messages.

    Thread-safe. The server takes a snapshot at login and removes the messages deleted
    in a session only when that session ends with ``QUIT``, as RFC 1939 requires.

    :attr:`scram` is the user's SCRAM-SHA-256 credential, derived from the password here
    (``scram_salt``: random when None; ``scram_iterations``: PBKDF2 rounds). It does
    not follow a later change of :attr:`password`: call :meth:`set_password`.
    """

    def __init__(
        self,
        user: str,
        password: str,
        messages: Iterable[MessageSource] = (),
        *,
        scram_salt: bytes | None = None,
        scram_iterations: int = SCRAM_ITERATIONS,
    ) -> None:
        self.user = user
        self.password = password
        self.scram = ScramCredential.derive(password, scram_salt, scram_iterations)
        """What SCRAM-SHA-256 checks: salt, iteration count, StoredKey, ServerKey."""
        self._lock = threading.Lock()
        self._items: list[Message] = []
        self._counter = 0
        self._holder: object | None = None  # the session that has it locked
        self.last_login: float | None = None
        """When a session last logged in (its clock, seconds), for ``LOGIN-DELAY``;
        set it to None to allow the next login at once."""
        self.add_messages(messages)

    def set_password(
        self, password: str, *, scram_salt: bytes | None = None,
        scram_iterations: int | None = None,
    ) -> None:
        """Change the password, and derive the SCRAM credential again (a new random salt
        unless given; the iteration count kept unless given)."""
        iterations = self.scram.iterations if scram_iterations is None else scram_iterations
        self.scram = ScramCredential.derive(password, scram_salt, iterations)
        self.password = password

    # -- contents ---------------------------------------------------------------------
    @property
    def messages(self) -> list[bytes]:
        """A copy of the current contents, as the bytes the server sends."""
        with self._lock:
            return [m.data for m in self._items]

    @property
    def entries(self) -> list[Message]:
        """A copy of the current contents as :class:`Message` objects (bytes and uid)."""
        with self._lock:
            return list(self._items)

    @property
    def octets(self) -> int:
        """Total octets, as STAT reports them before any deletion."""
        with self._lock:
            return sum(m.size for m in self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def add(self, message: MessageSource, uid: str | None = None) -> Message:
        """Append one message and return it as stored."""
        if isinstance(message, Message):
            item = message
        else:
            data, name = _read_source(message)
            with self._lock:
                self._counter += 1
                counter = self._counter
            item = Message(data, uid or _make_uid(data, name, counter))
        if not valid_uid(item.uid):
            raise ValueError(f"invalid UIDL unique-id {item.uid!r}")
        with self._lock:
            if any(m.uid == item.uid for m in self._items):
                raise ValueError(f"duplicate unique-id {item.uid!r} in mailbox {self.user!r}")
            self._items.append(item)
        return item

    def add_messages(self, messages: Iterable[MessageSource] | str | os.PathLike[str]) -> None:
        """Append several messages, or every message of a Maildir or folder of ``.eml``."""
        if isinstance(messages, (str, os.PathLike)) and Path(messages).is_dir():
            messages = load_messages(messages)
        elif isinstance(messages, (bytes, bytearray, str, os.PathLike, Message)):
            messages = [messages]
        for message in messages:
            self.add(message)

    def clear(self) -> None:
        """Remove every message."""
        with self._lock:
            self._items.clear()

    # -- used by the POP3 session -------------------------------------------------------
    def acquire(self, session: object) -> list[Message] | None:
        """Lock the maildrop for ``session`` (any object standing for one login: the
        :class:`~nxpop3.testing.session.Pop3Session`); the snapshot, or None when another
        session holds the lock."""
        with self._lock:
            if self._holder is not None and self._holder is not session:
                return None
            self._holder = session
            return list(self._items)

    def release(self, session: object, deleted: Iterable[Message] = ()) -> int:
        """Remove ``deleted`` (by identity) and unlock; the count of messages left."""
        with self._lock:
            gone = {id(m) for m in deleted}
            if gone:
                self._items = [m for m in self._items if id(m) not in gone]
            if self._holder is session:
                self._holder = None
            return len(self._items)

    @property
    def locked(self) -> bool:
        """True while a session is logged in to this maildrop."""
        with self._lock:
            return self._holder is not None

    def __repr__(self) -> str:
        return f"Mailbox(user={self.user!r}, messages={len(self)})"


def _read_source(message: MessageSource) -> tuple[bytes, str | None]:
    if isinstance(message, (bytes, bytearray)):
        return to_crlf(bytes(message)), None
    if isinstance(message, str):
        return to_crlf(message.encode("utf-8")), None
    if isinstance(message, os.PathLike):
        path = Path(message)
        return to_crlf(path.read_bytes()), path.stem
    raise TypeError(f"cannot serve a message of type {type(message).__name__}")


def _make_uid(data: bytes, name: str | None, counter: int) -> str:
    if name and valid_uid(name):
        return name
    digest = hashlib.sha1(data).hexdigest()[:16]
    return f"{counter}.{digest}"


def load_messages(path: str | os.PathLike[str]) -> list[Message]:
    """Read every message of a Maildir (``cur/`` and ``new/``) or a folder of ``.eml`` files.

    Messages come back sorted by file name, with CRLF line ends; the unique-id is the
    Maildir key or the file name without ``.eml`` (a digest when that is not a legal id).
    """
    root = Path(path)
    found: list[tuple[str, bytes]] = []
    if (root / "cur").is_dir() and (root / "new").is_dir():
        maildir = mailbox.Maildir(root, factory=None, create=False)
        for key in maildir.iterkeys():
            found.append((key, maildir.get_bytes(key)))
    else:
        for file in root.iterdir():
            if file.suffix.lower() == ".eml" and file.is_file():
                found.append((file.stem, file.read_bytes()))
    found.sort(key=lambda item: item[0])
    result = []
    for counter, (name, raw) in enumerate(found, start=1):
        data = to_crlf(raw)
        result.append(Message(data, _make_uid(data, name, counter)))
    return result


def sample_messages() -> list[Message]:
    """The bundled sample maildrop (``nxpop3/sample_maildrop``): a few varied messages.

    A plain text message, a multipart one, a body line starting with ``.``, lines of
    several kilobytes and a non-ASCII (RFC 2047) header.
    """
    folder = resources.files("nxpop3") / "sample_maildrop"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".eml"):
            found.append((entry.name[: -len(".eml")], entry.read_bytes()))
    found.sort(key=lambda item: item[0])
    return [Message(to_crlf(raw), name) for name, raw in found]
