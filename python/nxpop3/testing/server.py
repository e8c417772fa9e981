"""The scriptable POP3 test server's listener: sockets, threads and transcripts.

:class:`Pop3Server` accepts connections on a loopback port and runs one thread per
connection. Each connection (:class:`Session`) reads command lines, asks its
socket-free :class:`~nxpop3.testing.session.Pop3Session` for the reply, passes the
reply through the faults (:mod:`nxpop3.testing.faults`) and sends it, recording every
byte both ways. With ``tls=`` (POP3S) or ``starttls=`` (``STLS``) the bytes go through TLS
(:mod:`nxpop3.testing.channel`); the transcript says which commands came under TLS. With
``sasl=`` it offers ``AUTH`` (RFC 5034, :mod:`nxpop3.testing.sasl`). See
``docs/testing.md`` for the guide.
"""
from __future__ import annotations

import os
import select
import selectors
import socket
import ssl
import struct
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from nxpop3.testing import channel as _channel
from nxpop3.testing import faults as _faults
from nxpop3.testing import sasl as _sasl
from nxpop3.testing import session as _session
from nxpop3.testing.mailstore import Mailbox, Message, MessageSource

if TYPE_CHECKING:
    from typing import Self

    from nxpop3.testing.faults import Effect, Fault, LineRewrite
    from nxpop3.testing.sasl import AuthRecord
    from nxpop3.testing.session import Pop3Session

__all__ = ["MAX_AUTH_LINE", "MAX_COMMAND_LINE", "CommandRecord", "Pop3Server", "Session"]

MAX_COMMAND_LINE = 8192
"""Longest command line read (octets, CRLF included) before the server answers -ERR and
closes; RFC 2449 allows clients 255, this is generous so a test can send longer ones."""

MAX_AUTH_LINE = 65536
"""The same limit for an ``AUTH`` line and the client's lines in its exchange (RFC 5034
sets none: an OAuth token can be several kilobytes)."""

ENDLESS_PAUSE = 0.05
"""Seconds between the octets of an ``endless_challenge`` when no ``pause`` is set."""

_LINE_TOO_LONG = b"-ERR command line too long\r\n"
_JOIN_TIMEOUT = 5.0  # seconds close() waits for each server thread

# Public names that lived here before the split: module, new home.
_MOVED = {
    "Fault": "nxpop3.testing.faults",
    "CRLF": "nxpop3.testing.session",
    "DEFAULT_CAPABILITIES": "nxpop3.testing.session",
    "apop_digest": "nxpop3.testing.session",
    "dot_stuff": "nxpop3.testing.session",
}


def __getattr__(name: str) -> Any:
    """Old imports from this module keep working for one release, with a warning."""
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"nxpop3.testing.server.{name} moved to {home}.{name} (or import it from "
        "nxpop3.testing); the old name goes in the next release",
        DeprecationWarning,
        stacklevel=2,
    )
    module = _faults if home == _faults.__name__ else _session
    return getattr(module, name)


class CommandRecord(NamedTuple):
    """One command line as received: its text (line end removed) and whether it came
    inside TLS."""

    line: str
    tls: bool


class Session:
    """One client connection: its transcript and state. Read-only for tests.

    The POP3 state is its :attr:`protocol` (a :class:`~nxpop3.testing.session.Pop3Session`);
    ``timestamp``, ``user``, ``mailbox`` and ``logged_in`` read it.

    ``received``, ``sent`` and ``writes`` are POP3 bytes: on a TLS connection, the
    plaintext the records carried. ``wire_received`` is what came over TCP.
    """

    def __init__(self, server: Pop3Server, conn: socket.socket, peer: Any) -> None:
        self.server = server
        self.peer = peer
        self.commands: list[str] = []
        """Command lines received, without their line end, in order."""
        self.command_records: list[CommandRecord] = []
        """The same lines with whether each came inside TLS."""
        self.received = bytearray()
        """Every POP3 byte the client sent, verbatim (decrypted under TLS)."""
        self.received_in_clear = 0
        """How many octets of ``received`` came outside TLS (all of them without TLS,
        those before ``STLS``'s handshake with it, 0 on POP3S)."""
        self.wire_received = bytearray()
        """Every byte that came over TCP: TLS records as they were, clear text as it was."""
        self.sent = bytearray()
        """Every POP3 byte the server sent (or was sending when the connection failed),
        before encryption; bytes a ``HANDSHAKE`` fault sent in clear too."""
        self.writes: list[int] = []
        """The size of each ``send`` of POP3 bytes, in order (see ``split``); under TLS,
        each is one TLS record (or more past 16 KiB) in one TCP send."""
        self.tls_error: str | None = None
        """Why TLS failed on this connection (a handshake refused by the client or cut by
        a fault, plain text after ``STLS``, a TLS error later); None when it did not."""
        self.protocol: Pop3Session = server._new_protocol()
        self.closed = threading.Event()
        self._conn = conn
        self._channel: _channel.PlainChannel | _channel.TlsChannel = _channel.PlainChannel(
            conn, self.wire_received
        )
        self._silent = False
        self._inbox = bytearray()  # bytes read and not yet taken as lines
        self._abrupt = False  # the connection was cut: no TLS close_notify
        self._pending = bytearray()  # replies held back by coalesce, sent before reading

    @property
    def tls(self) -> bool:
        """True once the TLS handshake completed (POP3S, or after ``STLS``)."""
        return self.protocol.tls

    @property
    def tls_version(self) -> str | None:
        """The TLS version in use (``"TLSv1.3"``...); None without TLS."""
        return self._channel.version if isinstance(self._channel, _channel.TlsChannel) else None

    @property
    def tls_cipher(self) -> str | None:
        """The cipher suite in use; None without TLS."""
        return self._channel.cipher if isinstance(self._channel, _channel.TlsChannel) else None

    @property
    def server_name(self) -> str | None:
        """The host name the client sent in its TLS handshake (SNI); None without one."""
        if isinstance(self._channel, _channel.TlsChannel):
            return self._channel.server_name
        return None

    @property
    def commands_in_clear(self) -> list[str]:
        """The command lines that came outside TLS."""
        return [record.line for record in self.command_records if not record.tls]

    @property
    def clear_received(self) -> bytes:
        """The POP3 bytes the client sent outside TLS (``received[:received_in_clear]``)."""
        return bytes(self.received[: self.received_in_clear])

    @property
    def timestamp(self) -> str | None:
        """The APOP timestamp of the greeting (None without APOP)."""
        return self.protocol.timestamp

    @property
    def user(self) -> str | None:
        return self.protocol.user

    @property
    def mailbox(self) -> Mailbox | None:
        return self.protocol.mailbox

    @property
    def logged_in(self) -> bool:
        return self.protocol.logged_in

    @property
    def utf8(self) -> bool:
        """True once the client's ``UTF8`` was accepted (RFC 6856)."""
        return self.protocol.utf8

    @property
    def authentications(self) -> list[AuthRecord]:
        """Every ``AUTH`` exchange of the connection (:class:`~nxpop3.testing.sasl.AuthRecord`:
        mechanism, initial response, responses, outcome)."""
        return list(self.protocol.authentications)

    def run(self) -> None:
        try:
            self._serve()
        except ssl.SSLError as exc:  # a bad record, an alert from the client
            self.tls_error = f"TLS error: {exc}"
            self._abrupt = True
        except OSError:
            self._abrupt = True  # the client went away or close() shut the socket
        except Exception:  # noqa: BLE001 - a server bug: make it visible to the test
            self.server._record_error(traceback.format_exc())
        finally:
            self._finish()

    def _serve(self) -> None:
        if self.server.tls is not None and not self._start_tls(self.server.tls):
            return
        if self._reply("GREETING", "", self.protocol.greet):
            return
        buffer = self._inbox
        stop = self.server._stopping
        while not stop.is_set():
            newline = buffer.find(b"\n")
            if newline < 0:
                self._flush()  # every command read so far is answered before waiting
                if len(buffer) >= self._line_limit(buffer):
                    self._send_plain(_LINE_TOO_LONG)
                    return
                chunk = self._channel.recv()
                if not chunk:
                    return
                self.received += chunk
                if not self._channel.tls:
                    self.received_in_clear = len(self.received)
                buffer += chunk
                continue
            raw = bytes(buffer[: newline + 1])
            del buffer[: newline + 1]
            line = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
            record = CommandRecord(line, self.tls)
            self.commands.append(line)
            self.command_records.append(record)
            self.server._record_command(record)
            if self._silent:
                continue
            if self._answer(line):
                return
            if self.protocol.tls_pending and not self._stls(buffer):
                return

    def _line_limit(self, buffer: bytearray) -> int:
        """The longest line allowed for what ``buffer`` starts."""
        if self.protocol.authenticating or bytes(buffer[:5]).upper() == b"AUTH ":
            return MAX_AUTH_LINE
        return MAX_COMMAND_LINE

    def _answer(self, line: str) -> bool:
        """Reply to one line: a command, or a response in an ``AUTH`` exchange; True when
        the connection ends."""
        exchange = self.protocol.auth
        if exchange is not None:  # matched as "SASL MECH"
            return self._reply(
                _faults.SASL, exchange.record.mechanism, lambda: self.protocol.respond(line)
            )
        keyword, args = _session.parse_command(line)
        answer = lambda: self.protocol.execute(keyword, args)  # noqa: E731
        if keyword == "AUTH":  # matched as "AUTH MECH": never on the initial response
            return self._reply(keyword, args.partition(" ")[0], answer)
        return self._reply(keyword, args, answer)

    def _stls(self, buffer: bytearray) -> bool:
        """The TLS handshake after ``+OK`` to ``STLS``; False when the connection ends."""
        self._flush()
        if buffer:  # sent before the client could have seen the +OK (RFC 2595 forbids it)
            self.tls_error = (
                f"the client sent {len(buffer)} octets of plain text after STLS "
                "before the handshake"
            )
            return False
        assert self.server.starttls is not None
        return self._start_tls(self.server.starttls)

    def _start_tls(self, context: ssl.SSLContext) -> bool:
        """Run the server's handshake (bent by the ``HANDSHAKE`` faults); True when the
        connection is encrypted, False when it ends."""
        channel = _channel.TlsChannel(self._conn, context, self.wire_received)
        self._channel = channel
        effect = self.server._faults.take(_faults.HANDSHAKE, "")
        pause = self.server.pause if effect.pause is None else effect.pause
        try:
            channel.handshake(effect, pause, self.server._stopping, self._record_clear_sent)
        except _channel.HandshakeFailed as failure:
            self.tls_error = failure.reason
            self._abrupt = True
            if failure.cut:
                self._abort(effect.reset)
            return False
        if self.protocol.tls_pending:
            self.protocol.start_tls()
        else:  # POP3S: encrypted from the first byte
            self.protocol.tls = True
        if effect.reset:
            self._abort(True)
            return False
        return True

    def _record_clear_sent(self, data: bytes) -> None:
        self.sent += data
        self.writes.append(len(data))

    def _finish(self) -> None:
        self.protocol.close()  # without QUIT: nothing is deleted
        if not self._abrupt:
            try:
                self._channel.close_notify()
            except OSError:
                pass
        try:
            self._conn.close()
        except OSError:
            pass
        self.closed.set()

    def _reply(self, keyword: str, args: str, answer: Callable[[], bytes]) -> bool:
        """Send the reply to one command through the faults; True when the connection
        ends with it."""
        effect = self.server._faults.take(keyword, args)
        if effect.silent:
            self._silent = True
            return False
        if keyword == "AUTH" and effect.endless_challenge and effect.err is None:
            return self._endless_challenge(effect)
        if effect.err is not None:  # refused: the session never sees the command
            reply = effect.refusal()
            end_session = keyword in ("QUIT", "GREETING")
            if keyword == _faults.SASL:
                self.protocol.abandon_auth()
        else:
            if keyword == "AUTH":  # the SASL knobs bend the exchange this line starts
                self.protocol.sasl_deviations = effect.deviations()
            reply = answer()
            end_session = self.protocol.ended
        reply = effect.rewrite(reply)
        if self.server.coalesce and not end_session and effect.plain:
            self._pending += reply
            return False
        self._flush()
        if effect.delay:
            self.server._stopping.wait(effect.delay)
        if effect.close_after is not None:
            self._send(reply[: effect.close_after], effect)
            self._abort(effect.reset)
            return True
        self._send(reply, effect)
        if effect.reset:
            self._abort(True)
            return True
        return end_session

    def _endless_challenge(self, effect: Effect) -> bool:
        """``+ `` and then base64 octets (``split`` at a time, default 1) every ``pause``
        seconds, never a line end, until the client sends something or closes (then its
        lines are read and recorded, never answered) or the server's ``timeout`` passes
        (then the connection closes). The session never sees the ``AUTH``. True when the
        connection ends here."""
        self._flush()
        size = effect.split if isinstance(effect.split, int) else 1
        pause = effect.pause or self.server.pause or ENDLESS_PAUSE
        deadline = time.monotonic() + self.server.timeout
        self._send_plain(b"+ ")
        while not self.server._stopping.is_set() and time.monotonic() < deadline:
            if self._inbox or select.select([self._conn], [], [], pause)[0]:
                self._silent = True  # the client gave up: read on, answer nothing
                return False
            self._send_plain(b"A" * size)
        self._abort(False)
        return True

    def _send(self, data: bytes, effect: Effect) -> None:
        pause = self.server.pause if effect.pause is None else effect.pause
        for index, segment in enumerate(effect.segments(data)):
            if index and pause:  # between segments, not before the first
                self.server._stopping.wait(pause)
            self._send_plain(segment)

    def _flush(self) -> None:
        if self._pending:
            pending, self._pending = bytes(self._pending), bytearray()
            self._send_plain(pending)

    def _send_plain(self, data: bytes) -> None:
        if data:
            self.sent += data  # first, so a test that got the bytes also finds them here
            self.writes.append(len(data))
            self._channel.send(data)

    def _abort(self, reset: bool) -> None:
        self._abrupt = True  # no close_notify: the cut is the point
        if reset:  # SO_LINGER 0: close() sends RST instead of FIN
            self._conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            try:
                self._conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass


class Pop3Server:
    """A POP3 server on a loopback address and an ephemeral port, for tests.

    >>> with Pop3Server([b"Subject: hi\\r\\n\\r\\nHello\\r\\n"]) as server:
    ...     server.port > 0
    True

    ``messages`` fills the mailbox of ``user``/``password``: a list of bytes, text,
    ``.eml`` paths or :class:`Message`, or the path of a Maildir or ``.eml`` folder.
    ``mailboxes`` adds more users: ``{"bob": ("pw", [b"..."])}``.

    ``capabilities`` (the ``CAPA`` lines, verbatim), ``capabilities_after_login``,
    ``capa``, ``login_delay`` and ``expire`` are those of
    :class:`~nxpop3.testing.session.Pop3Session`; like ``apop`` and ``greeting`` they are
    attributes too, read by each new connection.

    ``tls=context`` (a server-side ``ssl.SSLContext``) makes a POP3S server: TLS from the
    first byte, the greeting after the handshake. ``starttls=context`` offers ``STLS``
    (RFC 2595) on a plain connection. ``client_context`` is what :meth:`client_kwargs`
    passes as ``context=`` (the pytest fixtures set one that trusts the test CA).

    ``sasl=("SCRAM-SHA-256", "PLAIN")`` offers ``AUTH`` (RFC 5034) with these mechanisms
    (any of :data:`~nxpop3.testing.session.SASL_MECHANISMS`) and lists them in ``CAPA``;
    ``tokens={"alice": "tok"}`` are the OAuth bearer tokens of XOAUTH2 and OAUTHBEARER.
    Each mailbox keeps a SCRAM-SHA-256 credential derived when it is added (``scram_salt``,
    random per user when None; ``scram_iterations``). ``cram_md5_challenge`` and
    ``scram_nonce`` (the server's nonce part) fix what is random otherwise, for golden
    transcripts; ``continuation_space=False`` sends an empty challenge as ``+`` alone.
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
        greeting: str = _session.DEFAULT_GREETING,
        capabilities: Sequence[str] | None = None,
        capabilities_after_login: Sequence[str] | None = None,
        capa: bool = True,
        login_delay: int | None = None,
        expire: int | str | None = None,
        timeout: float = 10.0,
        pause: float = 0.0,
        nodelay: bool = True,
        coalesce: bool = False,
        max_connections: int = 32,
        tls: ssl.SSLContext | None = None,
        starttls: ssl.SSLContext | None = None,
        client_context: ssl.SSLContext | None = None,
        sasl: Sequence[str] | str = (),
        tokens: Mapping[str, str] | None = None,
        cram_md5_challenge: str | None = None,
        scram_nonce: str | None = None,
        scram_salt: bytes | None = None,
        scram_iterations: int = _sasl.SCRAM_ITERATIONS,
        continuation_space: bool = True,
    ) -> None:
        if tls is not None and starttls is not None:
            raise ValueError("tls (POP3S) and starttls (STLS) exclude each other")
        for context in (tls, starttls):
            if context is not None:
                if not isinstance(context, ssl.SSLContext):
                    raise TypeError("tls and starttls take an ssl.SSLContext (server side)")
                _channel.watch_server_name(context)
        self.tls = tls
        """The POP3S context (None: no TLS from the first byte)."""
        self.starttls = starttls
        """The context of ``STLS`` (None: ``STLS`` is an unknown command)."""
        self.client_context = client_context
        self.user = user
        self.password = password
        self.scram_salt = scram_salt
        """The salt of the SCRAM credentials :meth:`add_mailbox` derives (None: a random
        one per user)."""
        self.scram_iterations = scram_iterations
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
        self.capabilities_after_login = (
            None if capabilities_after_login is None else list(capabilities_after_login)
        )
        self.capa = capa
        self.login_delay = login_delay
        self.expire = expire
        self.sasl = sasl
        self.tokens: dict[str, str] = dict(tokens or {})
        """User name to OAuth bearer token (XOAUTH2, OAUTHBEARER); change it any time."""
        self.cram_md5_challenge = cram_md5_challenge
        self.scram_nonce = scram_nonce
        self.continuation_space = continuation_space
        self._new_protocol()  # checks the options now rather than at the first connection
        self.timeout = timeout
        self.pause = pause
        self.nodelay = nodelay
        self.coalesce = coalesce
        """Send the replies to commands that arrived together (pipelined) in one ``send``,
        as servers that buffer their output do; a reply with a wire fault (``split``,
        ``pause``, ``delay``, ``close_after``, ``reset``) still goes out on its own."""
        self.max_connections = max_connections
        self.sessions: list[Session] = []
        self.commands: list[str] = []
        """Every command line received, all sessions, in arrival order (line end removed)."""
        self.command_records: list[CommandRecord] = []
        """The same lines with whether each came inside TLS."""
        self.errors: list[str] = []
        """Tracebacks of unexpected exceptions in server threads (empty when healthy)."""
        self._lock = threading.Lock()
        self._faults = _faults.FaultList()
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
        *,
        scram_salt: bytes | None = None,
        scram_iterations: int | None = None,
    ) -> Mailbox:
        """Create (or replace) the maildrop of ``user``, with its SCRAM-SHA-256 credential
        (``scram_salt`` and ``scram_iterations`` default to the server's)."""
        box = Mailbox(
            user,
            password,
            scram_salt=self.scram_salt if scram_salt is None else scram_salt,
            scram_iterations=(
                self.scram_iterations if scram_iterations is None else scram_iterations
            ),
        )
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
        lines: LineRewrite | None = None,
        split: int | Sequence[int] | None = None,
        pause: float | None = None,
        delay: float | None = None,
        close_after: int | None = None,
        reset: bool = False,
        silent: bool = False,
        inject: bytes | None = None,
        challenge: bytes | str | None = None,
        challenge_size: int | None = None,
        signature: str | None = None,
        server_error: str | None = None,
        auth_err: str | None = None,
        extra_challenge: bytes | str | None = None,
        endless_challenge: bool = False,
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
        - ``lines={2: b"2 bad uid"}``: replace line 2 of a multi-line reply's body (1-based,
          ``-1`` the last; ``None`` removes the line); or ``lines=function`` taking the body
          lines (as sent, without CRLF) and returning new ones. See
          :func:`~nxpop3.testing.faults.rewrite_lines`.
        - ``split=[1, 1, 5]``: send the reply in segments of these sizes, the rest as one more;
          ``split=1`` sends it one byte at a time. ``pause`` seconds between segments
          (default: the server's ``pause``).
        - ``delay=0.2``: wait before replying.
        - ``close_after=100``: send the first 100 bytes of the reply, then close the
          connection (``reset=True``: with an RST instead of a FIN).
        - ``silent=True``: never answer this command nor any later one; keep reading.
        - ``inject=b"..."``: send these bytes right after the reply, in the same segment
          (on ``STLS``: in clear, before the handshake, the STARTTLS injection attack).
        - ``command="HANDSHAKE"``: the server's TLS handshake (POP3S: before the greeting;
          after ``+OK`` to ``STLS``). ``close_after=N`` sends N octets of it, then closes
          (``reset=True``: RST); ``split``/``pause`` cut each flight into TCP segments;
          ``delay`` waits before the first flight; ``silent`` never answers;
          ``err``/``raw`` answer the ClientHello in clear instead and close. ``"*"``
          does not match it.
        - ``command="AUTH"`` (or ``"AUTH PLAIN"``) bends the reply to the ``AUTH`` line;
          ``command="SASL"`` (or ``"SASL PLAIN"``) the replies to the client's later lines
          in the exchange (``err`` there ends the exchange). On ``AUTH``, these knobs
          bend the whole exchange: ``challenge=b"%%"`` is sent after ``+ `` instead of
          every challenge (not base64); ``challenge_size=100_000``: every challenge is
          valid base64 of that size; ``signature="wrong"`` (SCRAM: a ``v=`` that does not
          verify) or ``"missing"`` (``+OK`` right after the client-final message);
          ``server_error="invalid-proof"`` (SCRAM: ``e=invalid-proof`` as the
          server-final message, then ``-ERR``); ``auth_err="[SYS/TEMP] later"``: ``-ERR``
          with this text where the exchange would succeed; ``extra_challenge=b"more"``:
          one more challenge where it would succeed, then ``-ERR``;
          ``endless_challenge=True``: ``+ `` then base64 octets (``split`` at a time,
          every ``pause`` s, default 0.05), never a line end, until the client sends
          something or closes, or the server's ``timeout`` passes.
        - ``times=N`` / ``once=True``: apply N times / once, then become inactive (default:
          always); ``skip=N``: let the first N matching replies through untouched.
        """
        made = _faults.Fault(
            command=command,
            err=err,
            raw=raw,
            status_line=status_line,
            lines=lines,
            split=split,
            pause=pause,
            delay=delay,
            close_after=close_after,
            reset=reset,
            silent=silent,
            inject=inject,
            challenge=challenge,
            challenge_size=challenge_size,
            signature=signature,
            server_error=server_error,
            auth_err=auth_err,
            extra_challenge=extra_challenge,
            endless_challenge=endless_challenge,
            times=1 if once else times,
            skip=skip,
        )
        return self._faults.add(made)

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        return list(self._faults)

    # -- TLS ----------------------------------------------------------------------------------
    @property
    def commands_in_clear(self) -> list[str]:
        """The command lines of every session that came outside TLS, in arrival order:
        where a credential must never be."""
        with self._lock:
            return [record.line for record in self.command_records if not record.tls]

    def sent_in_clear(self, secret: bytes | str) -> bool:
        """True when ``secret`` appears in what any client sent outside TLS: its clear POP3
        bytes, or anywhere in the raw TCP bytes (a client that sends it before or
        instead of a handshake)."""
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        with self._lock:
            sessions = list(self.sessions)
        return any(
            secret in session.clear_received or secret in session.wire_received
            for session in sessions
        )

    # -- helpers for tests ---------------------------------------------------------------------
    def client_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for ``nxpop3.Client`` pointing at this server (with
        ``tls=True`` / ``starttls=True`` and ``context=client_context`` on a TLS server)."""
        kwargs: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "apop": self.apop,
        }
        if self.tls is not None:
            kwargs["tls"] = True
        if self.starttls is not None:
            kwargs["starttls"] = True
        if self.client_context is not None and (self.tls or self.starttls):
            kwargs["context"] = self.client_context
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
    def _new_protocol(self) -> Pop3Session:
        """The POP3 state machine of one new connection, as the server is configured now."""
        return _session.Pop3Session(
            self.mailboxes,
            apop=self.apop,
            timestamp=self.timestamp,
            greeting=self.greeting,
            capabilities=self.capabilities,
            capabilities_after_login=self.capabilities_after_login,
            capa=self.capa,
            login_delay=self.login_delay,
            expire=self.expire,
            starttls=self.starttls is not None,
            sasl=self.sasl,
            tokens=self.tokens,
            cram_md5_challenge=self.cram_md5_challenge,
            scram_nonce=self.scram_nonce,
            continuation_space=self.continuation_space,
        )

    def _record_command(self, record: CommandRecord) -> None:
        with self._lock:
            self.commands.append(record.line)
            self.command_records.append(record)

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
            try:  # a POP3S client would take clear text for a broken handshake: say nothing
                if self.tls is None:
                    conn.sendall(
                        self._new_protocol().refusal("SYS/TEMP", "too many connections")
                    )
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
