"""A scriptable POP3 server (RFC 1939 plus CAPA) for tests, in pure Python.

Every reply can be bent by a :class:`Fault`: split into segments, delayed, refused with
``-ERR``, cut short by closing the connection, replaced with raw bytes, or never sent.
See ``docs/testing.md`` for the guide.
"""
from __future__ import annotations

import hashlib
import os
import selectors
import socket
import struct
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from nxpop3.testing.mailstore import Mailbox, Message, MessageSource

if TYPE_CHECKING:
    from typing import Self

CRLF = b"\r\n"
MAX_COMMAND_LINE = 8192
"""Longest command line read (octets, CRLF included) before the server answers -ERR and
closes; RFC 2449 allows clients 255, this is generous so a test can send longer ones."""

DEFAULT_CAPABILITIES = (
    "TOP",
    "UIDL",
    "USER",
    "RESP-CODES",
    "AUTH-RESP-CODE",
    "PIPELINING",
    "IMPLEMENTATION nxpop3-testing",
)

_RECV_SIZE = 65536
_JOIN_TIMEOUT = 5.0  # seconds close() waits for each server thread


@dataclass
class _Knobs:
    """The ways a reply can be bent (see :meth:`Pop3Server.fault`)."""

    err: str | None = None
    raw: bytes | None = None
    status_line: bytes | None = None
    split: int | tuple[int, ...] | None = None
    pause: float | None = None
    delay: float | None = None
    close_after: int | None = None
    reset: bool = False
    silent: bool = False


@dataclass(kw_only=True)
class Fault(_Knobs):
    """How to bend the replies to one command. Made by :meth:`Pop3Server.fault`.

    ``command`` is a keyword (``"RETR"``), a keyword with its arguments (``"RETR 3"``),
    ``"GREETING"`` for the greeting, or ``"*"`` for every reply including the greeting.
    When several faults match a reply, each knob comes from the most recently added
    fault that sets it. See :meth:`Pop3Server.fault` for the knobs.
    """

    command: str
    times: int | None = None
    skip: int = 0
    hits: int = 0
    """How many replies this fault has bent so far."""
    _skipped: int = field(default=0, repr=False)
    _server: Pop3Server | None = field(default=None, repr=False, compare=False)

    @property
    def active(self) -> bool:
        """False once the fault has been used ``times`` times or removed."""
        return self._server is not None and (self.times is None or self.hits < self.times)

    def remove(self) -> None:
        """Stop applying this fault."""
        if self._server is not None:
            self._server._remove_fault(self)
            self._server = None

    def _matches(self, keyword: str, args: str) -> bool:
        pattern = self.command
        if pattern == "*":
            return True
        word, _, want = pattern.partition(" ")
        if word.upper() != keyword:
            return False
        return not want or want.split() == args.split()


@dataclass
class _Effect(_Knobs):
    """The knobs of every fault matching one reply, merged: each from the latest
    fault that sets it; ``reset`` and ``silent`` when any fault sets them."""

    @classmethod
    def merge(cls, faults: Sequence[Fault]) -> _Effect:
        effect = cls()
        for fault in faults:
            for knob in fields(_Knobs):
                value = getattr(fault, knob.name)
                if isinstance(value, bool):
                    value = value or getattr(effect, knob.name)
                if value is not None:
                    setattr(effect, knob.name, value)
        return effect


class _CloseSession(Exception):
    """Raised inside a session to end it after the current reply."""


class Session:
    """One client connection: its transcript and state. Read-only for tests."""

    def __init__(self, server: Pop3Server, conn: socket.socket, peer: Any) -> None:
        self.server = server
        self.peer = peer
        self.commands: list[str] = []
        """Command lines received, without their line end, in order."""
        self.received = bytearray()
        """Every byte the client sent, verbatim."""
        self.sent = bytearray()
        """Every byte the server sent (or was sending when the connection failed)."""
        self.writes: list[int] = []
        """The size of each ``send`` the server made, in order (see ``split``)."""
        self.timestamp: str | None = None
        self.user: str | None = None
        self.mailbox: Mailbox | None = None
        self.closed = threading.Event()
        self._conn = conn
        self._snapshot: list[Message] = []
        self._deleted: set[int] = set()  # 0-based indexes into _snapshot
        self._pending_user: str | None = None
        self._silent = False

    @property
    def logged_in(self) -> bool:
        return self.mailbox is not None

    # -- I/O --------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self._serve()
        except OSError:
            pass  # the client went away or close() shut the socket: a normal end
        except Exception:  # noqa: BLE001 - a server bug: make it visible to the test
            self.server._record_error(traceback.format_exc())
        finally:
            self._finish()

    def _serve(self) -> None:
        try:
            self._reply("GREETING", "", self._greeting)
        except _CloseSession:
            return
        buffer = bytearray()
        stop = self.server._stopping
        while not stop.is_set():
            newline = buffer.find(b"\n")
            if newline < 0:
                if len(buffer) >= MAX_COMMAND_LINE:
                    self._send_plain(b"-ERR command line too long" + CRLF)
                    return
                chunk = self._conn.recv(_RECV_SIZE)
                if not chunk:
                    return
                self.received += chunk
                buffer += chunk
                continue
            raw = bytes(buffer[: newline + 1])
            del buffer[: newline + 1]
            line = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
            self.commands.append(line)
            self.server._record_command(line)
            keyword, _, args = line.partition(" ")
            keyword = keyword.upper()
            if self._silent:
                continue
            try:
                self._reply(keyword, args, lambda k=keyword, a=args: self._handle(k, a))
            except _CloseSession:
                return

    def _finish(self) -> None:
        if self.mailbox is not None:
            self.mailbox.release(self)  # no QUIT: nothing is deleted
        try:
            self._conn.close()
        except OSError:
            pass
        self.closed.set()

    def _reply(self, keyword: str, args: str, handler: Any) -> None:
        """Build the reply to one command through the faults, then send it."""
        effect = _Effect.merge(self.server._take_faults(keyword, args))
        if effect.silent:
            self._silent = True
            return
        end_session = False
        if effect.err is not None:
            reply = b"-ERR" + (b" " + effect.err.encode("utf-8") if effect.err else b"") + CRLF
            end_session = keyword in ("QUIT", "GREETING")
        else:
            try:
                reply = handler()
            except _CloseSession as close:
                reply = close.args[0]
                end_session = True
        if effect.status_line is not None:
            line_end = reply.find(CRLF)
            rest = reply[line_end + 2 :] if line_end >= 0 else b""
            status = effect.status_line
            reply = status + (b"" if status.endswith(b"\n") else CRLF) + rest
        if effect.raw is not None:
            reply = effect.raw
        if effect.delay:
            self.server._stopping.wait(effect.delay)
        if effect.close_after is not None:
            self._send(reply[: effect.close_after], effect)
            self._abort(effect.reset)
            raise _CloseSession()
        self._send(reply, effect)
        if effect.reset:
            self._abort(True)
            raise _CloseSession()
        if end_session:
            raise _CloseSession()

    def _send(self, data: bytes, effect: _Effect) -> None:
        pause = self.server.pause if effect.pause is None else effect.pause
        for index, segment in enumerate(_segments(data, effect.split)):
            if index and pause:  # between segments, not before the first
                self.server._stopping.wait(pause)
            self._send_plain(segment)

    def _send_plain(self, data: bytes) -> None:
        if data:
            self.sent += data  # first, so a test that got the bytes also finds them here
            self.writes.append(len(data))
            self._conn.sendall(data)

    def _abort(self, reset: bool) -> None:
        if reset:  # SO_LINGER 0: close() sends RST instead of FIN
            self._conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            try:
                self._conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    # -- the protocol -----------------------------------------------------------------
    def _greeting(self) -> bytes:
        text = self.server.greeting
        if self.server.apop:
            self.timestamp = self.server.timestamp or _make_timestamp()
            text = f"{text} {self.timestamp}"
        return b"+OK " + text.encode("utf-8") + CRLF

    def _handle(self, keyword: str, args: str) -> bytes:
        if keyword == "CAPA":
            return self._multi(b"+OK capability list follows", self._capabilities())
        if keyword == "QUIT":
            return self._quit()
        if not self.logged_in:
            handler = {"USER": self._user, "PASS": self._pass, "APOP": self._apop}.get(keyword)
            if handler is None:
                if keyword in _TRANSACTION_COMMANDS:
                    return _err("not logged in")
                return _err(f"unknown command {keyword[:40]}")
            return handler(args)
        method = _TRANSACTION_COMMANDS.get(keyword)
        if method is None:
            if keyword in ("USER", "PASS", "APOP"):
                return _err("already logged in")
            return _err(f"unknown command {keyword[:40]}")
        return getattr(self, method)(args)

    def _capabilities(self) -> list[bytes]:
        caps = self.server.capabilities
        if caps is None:
            caps = list(DEFAULT_CAPABILITIES)
            if self.server.apop:
                caps.insert(0, "APOP")
        return [c.encode("utf-8") + CRLF for c in caps]

    def _user(self, args: str) -> bytes:
        if not args:
            return _err("USER needs a name")
        self._pending_user = args
        return _ok(f"send the password for {args[:40]}")

    def _pass(self, args: str) -> bytes:
        user, self._pending_user = self._pending_user, None
        if user is None:
            return _err("send USER first")
        box = self.server.mailboxes.get(user)
        if box is None or box.password != args:
            return _err("[AUTH] invalid user name or password")
        return self._login(box)

    def _apop(self, args: str) -> bytes:
        if not self.server.apop or self.timestamp is None:
            return _err("APOP not available")
        user, _, digest = args.rpartition(" ")
        box = self.server.mailboxes.get(user)
        if box is None:
            return _err("[AUTH] invalid user name or digest")
        expected = apop_digest(self.timestamp, box.password)
        if digest != expected:
            return _err("[AUTH] invalid user name or digest")
        return self._login(box)

    def _login(self, box: Mailbox) -> bytes:
        snapshot = box.acquire(self)
        if snapshot is None:
            return _err("[IN-USE] maildrop already locked")
        self.mailbox, self.user, self._snapshot = box, box.user, snapshot
        count, octets = self._totals()
        return _ok(f"maildrop has {count} messages ({octets} octets)")

    def _totals(self) -> tuple[int, int]:
        live = [m for i, m in enumerate(self._snapshot) if i not in self._deleted]
        return len(live), sum(m.size for m in live)

    def _message(self, arg: str) -> tuple[int, Message | None, bytes]:
        """Resolve a message number: (index, message, error reply if any)."""
        if not arg.isdigit() or not arg.isascii():
            return -1, None, _err(f"invalid message number {arg[:40]!r}")
        number = int(arg)
        if not 1 <= number <= len(self._snapshot):
            return -1, None, _err(f"no such message {number}")
        if number - 1 in self._deleted:
            return -1, None, _err(f"message {number} already deleted")
        return number - 1, self._snapshot[number - 1], b""

    def _stat(self, args: str) -> bytes:
        count, octets = self._totals()
        return _ok(f"{count} {octets}")

    def _list(self, args: str) -> bytes:
        return self._listing(args, lambda n, m: f"{n} {m.size}")

    def _uidl(self, args: str) -> bytes:
        return self._listing(args, lambda n, m: f"{n} {m.uid}")

    def _listing(self, args: str, entry: Any) -> bytes:
        if args:
            index, message, error = self._message(args.split()[0])
            if message is None:
                return error
            return _ok(entry(index + 1, message))
        count, octets = self._totals()
        lines = [
            entry(i + 1, m).encode() + CRLF
            for i, m in enumerate(self._snapshot)
            if i not in self._deleted
        ]
        return self._multi(f"+OK {count} messages ({octets} octets)".encode(), lines)

    def _retr(self, args: str) -> bytes:
        _, message, error = self._message(args.split()[0] if args else "")
        if message is None:
            return error
        return _body(f"+OK {message.size} octets".encode(), message.data)

    def _top(self, args: str) -> bytes:
        parts = args.split()
        if len(parts) != 2 or not (parts[1].isascii() and parts[1].isdigit()):
            return _err("usage: TOP msg n")
        _, message, error = self._message(parts[0])
        if message is None:
            return error
        return _body(b"+OK top of message follows", message.top(int(parts[1])))

    def _dele(self, args: str) -> bytes:
        index, message, error = self._message(args.split()[0] if args else "")
        if message is None:
            return error
        self._deleted.add(index)
        return _ok(f"message {index + 1} deleted")

    def _rset(self, args: str) -> bytes:
        self._deleted.clear()
        count, octets = self._totals()
        return _ok(f"maildrop has {count} messages ({octets} octets)")

    def _noop(self, args: str) -> bytes:
        return b"+OK" + CRLF

    def _quit(self) -> bytes:
        if self.mailbox is None:
            raise _CloseSession(_ok("nxpop3 test server signing off"))
        box, self.mailbox = self.mailbox, None
        left = box.release(self, [self._snapshot[i] for i in self._deleted])
        raise _CloseSession(_ok(f"nxpop3 test server signing off ({left} messages left)"))

    @staticmethod
    def _multi(status: bytes, lines: list[bytes]) -> bytes:
        return _body(status, b"".join(lines))


_TRANSACTION_COMMANDS = {
    "STAT": "_stat",
    "LIST": "_list",
    "UIDL": "_uidl",
    "RETR": "_retr",
    "TOP": "_top",
    "DELE": "_dele",
    "RSET": "_rset",
    "NOOP": "_noop",
}


def _ok(text: str) -> bytes:
    return b"+OK " + text.encode("utf-8", "surrogateescape") + CRLF


def _err(text: str) -> bytes:
    return b"-ERR " + text.encode("utf-8", "surrogateescape") + CRLF


def dot_stuff(data: bytes) -> bytes:
    """Prefix every line that starts with ``.`` with another ``.`` (RFC 1939 byte-stuffing)."""
    stuffed = data.replace(b"\n.", b"\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


def _body(status: bytes, data: bytes) -> bytes:
    stuffed = dot_stuff(data)
    if stuffed and not stuffed.endswith(CRLF):
        stuffed += CRLF  # the terminator must start a line
    return status + CRLF + stuffed + b"." + CRLF


def _segments(data: bytes, split: int | tuple[int, ...] | None) -> Iterator[bytes]:
    if split is None or not data:
        yield data
        return
    if isinstance(split, int):
        for start in range(0, len(data), split):
            yield data[start : start + split]
        return
    start = 0
    for size in split:
        if start >= len(data):
            return
        yield data[start : start + size]
        start += size
    if start < len(data):
        yield data[start:]


def apop_digest(timestamp: str, password: str) -> str:
    """RFC 1939 APOP digest: MD5 of the timestamp (brackets included) and the secret."""
    return hashlib.md5((timestamp + password).encode("utf-8")).hexdigest()


def _make_timestamp() -> str:
    return f"<{os.getpid()}.{time.monotonic_ns()}@{socket.gethostname() or 'localhost'}>"


class Pop3Server:
    """A POP3 server on a loopback address and an ephemeral port, for tests.

    >>> with Pop3Server([b"Subject: hi\\r\\n\\r\\nHello\\r\\n"]) as server:
    ...     server.port > 0
    True

    ``messages`` fills the mailbox of ``user``/``password``: a list of bytes, text,
    ``.eml`` paths or :class:`Message`, or the path of a Maildir or ``.eml`` folder.
    ``mailboxes`` adds more users: ``{"bob": ("pw", [b"..."])}``.
    """

    def __init__(
        self,
        messages: Iterable[MessageSource] | str | os.PathLike[str] | None = None,
        *,
        user: str = "alice",
        password: str = "secret",
        mailboxes: Mapping[str, tuple[str, Iterable[MessageSource]]] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        apop: bool = False,
        timestamp: str | None = None,
        greeting: str = "nxpop3 test server ready",
        capabilities: Sequence[str] | None = None,
        timeout: float = 10.0,
        pause: float = 0.0,
        nodelay: bool = True,
        max_connections: int = 32,
    ) -> None:
        self.user = user
        self.password = password
        self.mailboxes: dict[str, Mailbox] = {}
        self.add_mailbox(user, password, messages or ())
        for name, (secret, items) in (mailboxes or {}).items():
            self.add_mailbox(name, secret, items)
        self.host = host
        self._requested_port = port
        self.port = 0
        self.apop = apop
        self.timestamp = timestamp
        self.greeting = greeting
        self.capabilities = None if capabilities is None else list(capabilities)
        self.timeout = timeout
        self.pause = pause
        self.nodelay = nodelay
        self.max_connections = max_connections
        self.sessions: list[Session] = []
        self.commands: list[str] = []
        """Every command line received, all sessions, in arrival order (line end removed)."""
        self.errors: list[str] = []
        """Tracebacks of unexpected exceptions in server threads (empty when healthy)."""
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._threads: list[threading.Thread] = []

    # -- life cycle ---------------------------------------------------------------------
    def start(self) -> Self:
        """Bind, listen and start serving; returns ``self``."""
        if self._listener is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((self.host, self._requested_port))
            listener.listen(16)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"pop3-accept-{self.port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def close(self) -> None:
        """Stop serving: close the listener and every connection, join every thread."""
        if self._listener is None or self._stopping.is_set():
            return
        self._stopping.set()
        assert self._wake_w is not None
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        threads = [self._accept_thread] if self._accept_thread else []
        if self._accept_thread is not None:
            self._accept_thread.join(_JOIN_TIMEOUT)  # no new session after this
        with self._lock:
            sessions = list(self.sessions)
            threads += self._threads
        for session in sessions:
            try:
                session._conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in threads:
            thread.join(_JOIN_TIMEOUT)
            if thread.is_alive():
                self._record_error(f"server thread {thread.name} did not stop")
        self._listener.close()
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._listener is not None and not self._stopping.is_set()

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` to connect to."""
        if self._listener is None:
            raise RuntimeError("the server is not started")
        return (self.host, self.port)

    # -- mailboxes ------------------------------------------------------------------------
    def add_mailbox(
        self,
        user: str,
        password: str,
        messages: Iterable[MessageSource] | str | os.PathLike[str] = (),
    ) -> Mailbox:
        """Create (or replace) the maildrop of ``user``."""
        box = Mailbox(user, password)
        box.add_messages(messages)
        self.mailboxes[user] = box
        return box

    def mailbox(self, user: str | None = None) -> Mailbox:
        """The maildrop of ``user`` (default: the user given to the constructor)."""
        return self.mailboxes[self.user if user is None else user]

    @property
    def messages(self) -> list[bytes]:
        """The default user's messages now: after a QUIT, without the deleted ones."""
        return self.mailbox().messages

    def add_message(self, message: MessageSource, user: str | None = None) -> Message:
        """Append one message to a maildrop (default: the constructor's user)."""
        return self.mailbox(user).add(message)

    # -- faults ----------------------------------------------------------------------------
    def fault(
        self,
        command: str = "*",
        *,
        err: str | None = None,
        raw: bytes | None = None,
        status_line: bytes | str | None = None,
        split: int | Sequence[int] | None = None,
        pause: float | None = None,
        delay: float | None = None,
        close_after: int | None = None,
        reset: bool = False,
        silent: bool = False,
        times: int | None = None,
        once: bool = False,
        skip: int = 0,
    ) -> Fault:
        """Bend the replies to ``command``; returns the :class:`Fault` (``.hits``, ``.remove()``).

        - ``err="[IN-USE] busy"``: answer ``-ERR [IN-USE] busy`` (``err=""``: a bare ``-ERR``)
          and do not carry out the command. On QUIT and GREETING the connection then closes.
        - ``raw=b"..."``: send these bytes instead of the reply (the command still takes effect).
        - ``status_line=b"+OK ..."``: replace the first line of the reply, any length; CRLF is
          added unless it ends in LF.
        - ``split=[1, 1, 5]``: send the reply in segments of these sizes, the rest as one more;
          ``split=1`` sends it one byte at a time. ``pause`` seconds between segments
          (default: the server's ``pause``).
        - ``delay=0.2``: wait before replying.
        - ``close_after=100``: send the first 100 bytes of the reply, then close the
          connection (``reset=True``: with an RST instead of a FIN).
        - ``silent=True``: never answer this command nor any later one; keep reading.
        - ``times=N`` / ``once=True``: apply N times / once, then become inactive (default:
          always); ``skip=N``: let the first N matching replies through untouched.
        """
        if once:
            times = 1
        if isinstance(status_line, str):
            status_line = status_line.encode("utf-8")
        if split is not None:
            sizes = (split,) if isinstance(split, int) else tuple(split)
            if not sizes or any(s < 1 for s in sizes):
                raise ValueError("split sizes must be positive")
            split = split if isinstance(split, int) else sizes
        if close_after is not None and close_after < 0:
            raise ValueError("close_after must be >= 0")
        made = Fault(
            command=command,
            err=err,
            raw=bytes(raw) if raw is not None else None,
            status_line=status_line,
            split=split,
            pause=pause,
            delay=delay,
            close_after=close_after,
            reset=reset,
            silent=silent,
            times=times,
            skip=skip,
        )
        made._server = self
        with self._lock:
            self._faults.append(made)
        return made

    def clear_faults(self) -> None:
        """Remove every fault."""
        with self._lock:
            for fault in self._faults:
                fault._server = None
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def _remove_fault(self, fault: Fault) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if f is not fault]

    def _take_faults(self, keyword: str, args: str) -> list[Fault]:
        taken = []
        with self._lock:
            for fault in self._faults:
                if not fault.active or not fault._matches(keyword, args):
                    continue
                if fault._skipped < fault.skip:
                    fault._skipped += 1
                    continue
                fault.hits += 1
                taken.append(fault)
        return taken

    # -- helpers for tests ---------------------------------------------------------------------
    def client_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for ``nxpop3.Client`` pointing at this server."""
        kwargs: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "apop": self.apop,
        }
        kwargs.update(overrides)
        return kwargs

    def client(self, **overrides: Any) -> Any:
        """An ``nxpop3.Client`` logged in to this server (needs the C extension)."""
        import nxpop3

        return nxpop3.Client(**self.client_kwargs(**overrides))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every connection so far has ended; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            sessions = list(self.sessions)
        for session in sessions:
            if not session.closed.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Pop3Server {self.host!r} port {self.port} {state}>"

    # -- internals ---------------------------------------------------------------------------
    def _record_command(self, line: str) -> None:
        with self._lock:
            self.commands.append(line)

    def _record_error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)

    def _accept_loop(self) -> None:
        assert self._listener is not None and self._wake_r is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not selector.select(timeout=1.0):
                    continue
                if self._stopping.is_set():
                    return
                try:
                    conn, peer = self._listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError as exc:
                    if not self._stopping.is_set():  # e.g. out of file descriptors
                        self._record_error(f"accept() failed, no longer accepting: {exc!r}")
                    return
                try:
                    self._start_session(conn, peer)
                except OSError:  # the client reset the connection at once
                    conn.close()

    def _start_session(self, conn: socket.socket, peer: Any) -> None:
        conn.setblocking(True)
        conn.settimeout(self.timeout)
        if self.nodelay:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            busy = len(self._threads) >= self.max_connections
        if busy:
            try:
                conn.sendall(b"-ERR [SYS/TEMP] too many connections" + CRLF)
            except OSError:
                pass
            conn.close()
            return
        session = Session(self, conn, peer)
        thread = threading.Thread(
            target=session.run, name=f"pop3-session-{self.port}-{peer[1]}", daemon=True
        )
        with self._lock:
            self.sessions.append(session)
            self._threads.append(thread)
        thread.start()
