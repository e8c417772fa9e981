"""A drop-in for Python's ``poplib`` over the C client: ``from nxpop3 import poplib``.

``POP3`` and ``POP3_SSL`` take the same arguments as the standard library's, their
methods return the same shapes (status lines as bytes, ``(response, lines, octets)``
for the multi-line replies) and raise ``error_proto`` where poplib does. Underneath,
every command goes through :class:`nxpop3.Client` (the C client), over a Python
socket (``ssl`` for POP3S and STLS) that also keeps each command's status line as
the server sent it, so the responses are the server's bytes.

Where poplib is unsafe this module is not; ``docs/poplib.md`` lists each difference:
an argument holding CR, LF or NUL (or that is not a message number) is refused before
anything is sent (:class:`error_refused`, an ``error_proto`` and a ``ValueError``); a
status line that is not exactly ``+OK`` or ``-ERR`` (``+ERR``, ``+OKAY``) is an
``error_proto``, not a success; the timeout bounds each whole status line, so a server
trickling a byte at a time cannot hold the client forever; certificates and host names
are verified by default (poplib's default context checks neither); ``apop()`` never
falls back to sending the password in clear; ``rpop()`` sends nothing.
"""
from __future__ import annotations

import re
import socket
import ssl
import sys
import warnings
from collections import deque
from collections.abc import Iterator
from typing import Any

from . import codes
from ._binding import ffi, lib
from .client import Client
from .errors import (
    BadArgument,
    ConnectionClosed,
    InvalidState,
    Pop3Error,
    Pop3Timeout,
    ProtocolError,
    TLSError,
)
from .pool import PacketPool
from .tls import SocketTransport

__all__ = ["POP3", "POP3_SSL", "error_proto", "error_refused"]

HAVE_SSL = True
POP3_PORT = 110
POP3_SSL_PORT = 995
CR = b"\r"
LF = b"\n"
CRLF = CR + LF

# The longest wait the client takes (a day): what timeout=None (poplib: wait
# forever) becomes.
_LONGEST_WAIT = 86400.0
# Status lines kept, newest last: enough for STLS (CAPA, STLS, CAPA) and a login.
_KEPT_REPLIES = 8
# The longest status line kept (poplib's own limit: 2048 octets).
_MAX_LINE = 2048
# The pieces retr() splits into lines while the rest arrives.
_CHUNK = 1 << 20
# The client's packets: 64 KiB, so a megabyte is 16 receives from Python's socket.
_PACKET_PAYLOAD = 1 << 16
_PACKETS = 8
_TIMESTAMP = re.compile(rb"\+OK.[^<]*(<.*>)")
_NUMBER = re.compile(r"[0-9]+")
# The command each Client method sends, for the messages of refusals.
_VERBS = {"login": "USER/PASS", "stat": "STAT", "size": "LIST", "list": "LIST", "retr": "RETR",
          "delete": "DELE", "noop": "NOOP", "reset": "RSET", "quit": "QUIT", "top": "TOP",
          "uidl": "UIDL", "utf8": "UTF8", "capa": "CAPA", "retrieve": "RETR",
          "_stream_lines": "RETR"}


class error_proto(Exception):  # noqa: N801 - poplib's name
    """What poplib raises: a -ERR reply (``args[0]`` is the status line, bytes),
    a reply that breaks the protocol, or the end of the connection (``'-ERR EOF'``)."""


class error_refused(error_proto, ValueError):  # noqa: N801 - poplib's naming
    """An argument refused before anything was sent: it holds CR, LF or NUL, is not
    a message number, or is over the C client's limits (a name over 40 bytes, a
    password over 20). An ``error_proto`` (poplib would have sent it and had -ERR
    back) and a ``ValueError`` (the argument is wrong)."""


def _seconds(timeout: Any) -> float:
    """poplib's timeout as the client's: the global default when not given, None
    (wait forever) as a day; 0 is refused as poplib refuses it."""
    if timeout is socket._GLOBAL_DEFAULT_TIMEOUT:  # type: ignore[attr-defined]
        timeout = socket.getdefaulttimeout()
    if timeout is None:
        return _LONGEST_WAIT
    if not timeout:
        raise ValueError("Non-blocking socket (timeout=0) is not supported")
    if timeout < 0:
        raise ValueError("Timeout value out of range")
    return min(float(timeout), _LONGEST_WAIT)


def _number(value: Any, what: str = "message number") -> int:
    """A message number (or a line count) as poplib takes them: an int or its
    decimal digits as str or bytes. Anything else is refused, nothing sent."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise error_refused(f"-ERR nxpop3: {what} {value!r} is not a decimal number; nothing sent")


def _text(value: Any, what: str, limit: int) -> str:
    """A name or password: a str without CR, LF or NUL, within the C client's limit."""
    if not isinstance(value, str):
        raise error_refused(f"-ERR nxpop3: the {what} must be a str; nothing sent")
    if any(c in value for c in "\r\n\0"):
        raise error_refused(f"-ERR nxpop3: the {what} holds CR, LF or NUL; nothing sent")
    if len(value.encode("utf-8")) > limit:
        raise error_refused(f"-ERR nxpop3: the {what} is longer than {limit} bytes "
                            "(the C client's limit); nothing sent")
    return value


def _split_lines(data: bytes) -> tuple[list[bytes], int]:
    """A message as poplib returns it: its lines without their ends, and its size
    in octets (line ends included, dot-stuffing already removed)."""
    if not data:
        return [], 0
    lines = data.split(b"\r\n")
    if data.count(b"\n") == len(lines) - 1:  # every line ends in CRLF
        if lines[-1] == b"":
            lines.pop()
        return lines, len(data)
    # Some line ends in a bare LF: poplib's rule, line by line.
    lines = []
    for line in _lf_lines(data):
        if line[-2:] == CRLF:
            lines.append(line[:-2])
        elif line[:1] == CR:
            lines.append(line[1:-1])
        else:
            lines.append(line[:-1] if line[-1:] == LF else line)
    return lines, len(data)


def _stream_lines(chunks: Iterator[bytes]) -> tuple[list[bytes], int]:
    """``_split_lines`` of the chunks joined, split as they arrive: the splitting
    of one chunk overlaps the server sending the next."""
    lines: list[bytes] = []
    octets = 0
    rest = b""  # the start of a line the last chunk cut (it may end in the CR of a CRLF)
    for chunk in chunks:
        octets += len(chunk)
        if rest[-1:] == CR and chunk[:1] == LF:  # a CRLF cut in two
            lines.append(rest[:-1])
            rest, chunk = b"", chunk[1:]
        if not chunk:
            continue
        # splitlines() ends a line at CRLF, at a bare CR and at a bare LF; it is
        # faster than split(CRLF), and the lengths tell whether every end it took
        # was a CRLF (each is one or two bytes), with no pass over the chunk to
        # count LFs. A bare CR or LF falls back to poplib's rule on the whole.
        parts = chunk.splitlines()
        last = chunk[-1:]
        if last == LF:
            cut = b""  # the chunk ends at a line end
        elif last == CR:
            cut = parts.pop() + CR  # its CR may be the first half of a CRLF
        else:
            cut = parts.pop()  # a line the next chunk goes on with
        if len(chunk) - len(cut) - len(b"".join(parts)) != 2 * len(parts):
            head = b"".join(line + CRLF for line in lines)
            return _split_lines(head + rest + chunk + b"".join(chunks))
        if not parts:
            rest += cut
            continue
        if rest:
            parts[0] = rest + parts[0]
        rest = cut
        lines += parts
    if rest:
        lines.append(rest)  # a last line without its end (not from a server that ends
        #                     the body with CRLF.CRLF, as RFC 1939 asks)
    return lines, octets


def _lf_lines(data: bytes) -> list[bytes]:
    """``data`` cut after each LF (the last piece may have none)."""
    pieces = data.split(b"\n")
    lines = [piece + b"\n" for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


class _Wire(SocketTransport):
    """The facade's connection: a :class:`SocketTransport` (plain until STLS, or
    POP3S) that connects as ``socket.create_connection`` does (every address in
    turn, keeping the error), keeps the status line that answers each command, as
    sent, and prints the debugging output poplib prints."""

    def __init__(self, context: ssl.SSLContext | None, server_hostname: str,
                 addresses: list[tuple[Any, ...]], *, implicit: bool) -> None:
        super().__init__(context, server_hostname, implicit=implicit)  # type: ignore[arg-type]
        self._addresses = addresses
        self.connect_error: OSError | None = None
        self.io_error: OSError | None = None  # a reset or a broken pipe, as raised
        self.replies: deque[tuple[bytes, bytes]] = deque(maxlen=_KEPT_REPLIES)
        self.debuglevel = 0
        self.owner: Any = None
        self._verb = b""
        self._line = bytearray()
        self._capturing = False
        self._line_sent = True  # the last send ended a command line

    def reply(self, verb: bytes | None = None) -> bytes | None:
        """The status line that answered the last ``verb`` (the last command when
        None), without its CRLF; None when none was read."""
        for sent, line in reversed(self.replies):
            if verb is None or sent == verb:
                return line
        return None

    def _expect(self, verb: bytes) -> None:
        self._verb = verb
        self._line.clear()
        self._capturing = True

    def _connect(self, server: Any, port: int, wait_ticks: int) -> int:
        self.tls_error = None
        self.connect_error = None
        timeout = wait_ticks / lib.NX_IP_PERIODIC_RATE
        error: OSError | None = None
        for family, kind, proto, _, address in self._addresses:
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(timeout)
                sock.connect(address)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = sock
            break
        else:
            self.connect_error = error or OSError("getaddrinfo returns an empty list")
            if isinstance(error, TimeoutError):
                return int(lib.NX_TRANSPORT_TIMEOUT)
            return int(lib.NX_TRANSPORT_CLOSED)
        if self.implicit:
            result = self._handshake(wait_ticks)
            if result != lib.NX_TRANSPORT_OK:
                self._close()
                return int(lib.NX_TRANSPORT_ERROR if result == lib.NX_TRANSPORT_CLOSED
                           else result)
        self._expect(b"GREETING")
        return int(lib.NX_TRANSPORT_OK)

    def _send(self, data: Any, wait_ticks: int) -> int:
        if self._line_sent:
            line = data[:]
            verb = line.split(b" ", 1)[0].rstrip(b"\r\n").upper()
            if self.owner is not None:
                sys.audit("poplib.putline", self.owner, line[:-2])
            if self.debuglevel:
                shown = line[:-2]
                if verb == b"PASS":
                    shown = b"PASS ********"  # never the password, at any level
                print("*cmd*", repr(shown.decode("utf-8", "replace")))
                if self.debuglevel > 1:
                    print("*put*", repr(shown))
            self._expect(verb)
        sent = self._write(data, wait_ticks)
        if sent > 0:
            self._line_sent = data[sent - 1:sent] == b"\n"
        return sent

    # SocketTransport's send and receive, keeping the socket's error (a reset is
    # ConnectionResetError, as poplib raises it; an orderly close is '-ERR EOF').
    def _write(self, data: Any, wait_ticks: int) -> int:
        assert self.sock is not None
        try:
            self.sock.settimeout(wait_ticks / lib.NX_IP_PERIODIC_RATE)
            return self.sock.send(data)
        except (TimeoutError, BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            return 0
        except OSError as exc:
            self.io_error = exc
            return int(lib.NX_TRANSPORT_CLOSED if isinstance(exc, ConnectionError)
                       else lib.NX_TRANSPORT_ERROR)

    def _read(self, buffer: Any, size: int, wait_ticks: int) -> int:
        assert self.sock is not None
        try:
            self.sock.settimeout(wait_ticks / lib.NX_IP_PERIODIC_RATE)
            count = self.sock.recv_into(ffi.buffer(buffer, size))
        except (TimeoutError, BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return 0
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
            return int(lib.NX_TRANSPORT_CLOSED)
        except OSError as exc:
            self.io_error = exc
            return int(lib.NX_TRANSPORT_CLOSED if isinstance(exc, ConnectionError)
                       else lib.NX_TRANSPORT_ERROR)
        return count if count > 0 else int(lib.NX_TRANSPORT_CLOSED)

    def _receive(self, buffer: Any, size: int, wait_ticks: int) -> int:
        count = self._read(buffer, size, wait_ticks)
        if count > 0 and self._capturing:
            # Only the start of a reply is looked at: one search per command.
            piece = ffi.buffer(buffer, min(count, _MAX_LINE + 2))[:]
            end = piece.find(b"\n")
            self._line += piece if end < 0 else piece[:end + 1]
            if end >= 0 or len(self._line) > _MAX_LINE:
                self._capturing = False
                line = bytes(self._line)
                line = line[:-2] if line[-2:] == CRLF else line.rstrip(b"\n")
                self.replies.append((self._verb, line))
                if self.debuglevel > 1:
                    print("*get*", repr(bytes(self._line)))
                    print("*resp*", repr(line))
        return count


class POP3:
    """A POP3 session as ``poplib.POP3``: connects and reads the greeting.

    ``POP3(host, port=110, timeout=...)``; every method sends one command and
    returns the server's status line as bytes, or ``(response, lines, octets)``.
    Failures raise ``error_proto`` (a -ERR, a broken reply, the end of the
    connection), ``TimeoutError`` and the ``OSError`` of the connect, as poplib does.
    """

    encoding = "UTF-8"

    def __init__(self, host: str, port: int = POP3_PORT,
                 timeout: float | None = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
                 ) -> None:
        self.host = host
        self.port = port
        self._debugging = 0
        self._user: str | None = None
        self._tls_established = False
        sys.audit("poplib.connect", self, host, port)
        self._client = self._connect(timeout, None, implicit=False)
        self.welcome: bytes = self._wire.reply(b"GREETING") or b"+OK"

    # The connection.
    def _connect(self, timeout: Any, context: ssl.SSLContext | None, *,
                 implicit: bool) -> Client:
        seconds = _seconds(timeout)
        addresses = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM)
        self._wire = _Wire(context, self.host, addresses, implicit=implicit)
        self._wire.owner = self
        first = addresses[0][4]
        try:
            return Client(first[0], int(first[1]), tls=implicit, timeout=seconds,
                          transport=self._wire,
                          pool=PacketPool(payload_size=_PACKET_PAYLOAD, count=_PACKETS))
        except Pop3Error as exc:
            if self._wire.connect_error is not None:
                raise self._wire.connect_error from None
            raise self._failure(exc) from exc

    def _failure(self, exc: Pop3Error, verb: str | None = None) -> BaseException:
        """poplib's exception for a failure of the client (``verb``: the command)."""
        if isinstance(exc, BadArgument):
            return error_refused(f"-ERR nxpop3: {exc}; nothing sent")
        cause = exc.__cause__
        if isinstance(exc, TLSError) and isinstance(cause, (OSError, ValueError)):
            return cause  # the ssl module's own error, as poplib raises it
        if isinstance(exc, Pop3Timeout):
            return TimeoutError("timed out")
        line = self._wire.reply()
        if exc.status == codes.NX_POP3_SERVER_ERROR_STATUS and line is not None and \
                line.startswith(b"-ERR"):  # a ServerError, or a TLSError for -ERR to STLS
            return error_proto(line)
        if isinstance(exc, ProtocolError):
            if exc.status == codes.NX_POP3_REPLY_TOO_LONG:
                return error_proto("line too long")
            if line is not None and not (line == b"+OK" or line.startswith((b"+OK ", b"-ERR"))):
                return error_proto(line)  # the status line the client refused
        if isinstance(exc, ConnectionClosed):
            if self._wire.io_error is not None:
                return self._wire.io_error
            return error_proto("-ERR EOF")
        if isinstance(exc, InvalidState):
            if exc.status == codes.NX_POP3_CLIENT_INVALID_STATE:
                return error_proto(f"-ERR nxpop3: {verb or exc.command or 'this command'} is "
                                   "not allowed in this state; nothing sent")
            return error_proto("-ERR nxpop3: the connection is closed")
        return error_proto(f"-ERR nxpop3: {exc}")

    def _run(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except Pop3Error as exc:
            raise self._failure(exc, _VERBS.get(method.__name__)) from exc

    def _response(self, verb: bytes) -> bytes:
        return self._wire.reply(verb) or b"+OK"

    # These can be useful.
    def getwelcome(self) -> bytes:
        """The greeting line, as the server sent it."""
        return self.welcome

    def set_debuglevel(self, level: int) -> None:
        """1: print each command; 2: also each status line. A password is never
        printed (poplib prints it)."""
        self._debugging = level
        self._wire.debuglevel = level

    # The commands.
    def user(self, user: str) -> bytes:
        """Keeps the name for ``pass_()``: the C client sends USER and PASS as one
        step, so nothing is sent now and a -ERR to USER is raised by ``pass_()``."""
        self._user = _text(user, "user name", codes.NX_POP3_MAX_USERNAME)
        return b"+OK nxpop3: USER goes out with PASS"

    def pass_(self, pswd: str) -> bytes:
        """USER (the name given to ``user()``) then PASS; returns the reply to PASS."""
        name, self._user = self._user, None
        secret = _text(pswd, "password", codes.NX_POP3_MAX_PASSWORD)
        if name is None:
            raise error_proto("-ERR nxpop3: user() comes before pass_() (USER and PASS "
                              "go out together); nothing sent")
        # USER/PASS as named, in clear as poplib sends them (stls() first to encrypt).
        self._run(self._client.login, name, secret, mechanism="USER", allow_plaintext=True)
        return self._response(b"PASS")

    def apop(self, user: str, password: str) -> bytes:
        """APOP with the greeting's timestamp. A refusal never falls back to USER
        and PASS: it raises ``error_proto``, and the session goes on, as poplib's."""
        name = _text(user, "user name", codes.NX_POP3_MAX_USERNAME)
        secret = _text(password, "password", codes.NX_POP3_MAX_PASSWORD)
        if not _TIMESTAMP.match(self.welcome):
            raise error_proto("-ERR APOP not supported by server")
        try:
            self._client.login(name, secret, mechanism="APOP")  # APOP or nothing
        except Pop3Error as exc:
            if exc.status == codes.NX_POP3_MECHANISM_NOT_OFFERED:
                # The timestamp was not one the client takes: nothing was sent.
                raise error_proto("-ERR APOP not supported by server") from exc
            raise self._failure(exc) from exc
        return self._response(b"APOP")

    def rpop(self, user: str) -> bytes:
        """RPOP was removed from POP3 in 1993 (RFC 1460): refused, nothing sent."""
        raise error_proto("-ERR nxpop3: RPOP is not supported (removed from POP3 by "
                          "RFC 1460); nothing sent")

    def stat(self) -> tuple[int, int]:
        """``(message count, maildrop size in octets)``."""
        count, octets = self._run(self._client.stat)
        if self._debugging:
            print("*stat*", repr(self._response(b"STAT").split()))
        return count, octets

    def list(self, which: Any = None) -> Any:
        """LIST: ``(response, [b"n octets", ...], octets)``; with ``which``, the
        reply to ``LIST which`` (``b"+OK n octets"``)."""
        if which is not None:
            self._run(self._client.size, _number(which))
            return self._response(b"LIST")
        entries = self._run(self._client.list)
        lines = [b"%d %d" % entry for entry in entries]
        return self._response(b"LIST"), lines, sum(len(line) + 2 for line in lines)

    def retr(self, which: Any) -> tuple[bytes, list[bytes], int]:
        """RETR: ``(response, lines, octets)``, the lines without their ends and
        without dot-stuffing."""
        stream = self._run(self._client.retrieve, _number(which), _CHUNK)
        lines, octets = self._run(_stream_lines, stream)
        return self._response(b"RETR"), lines, octets

    def dele(self, which: Any) -> bytes:
        """DELE: marks message ``which`` deleted (applied at QUIT)."""
        self._run(self._client.delete, _number(which))
        return self._response(b"DELE")

    def noop(self) -> bytes:
        """NOOP."""
        self._run(self._client.noop)
        return self._response(b"NOOP")

    def rset(self) -> bytes:
        """RSET: unmarks every deletion."""
        self._run(self._client.reset)
        return self._response(b"RSET")

    def quit(self) -> bytes:
        """QUIT (the server applies the deletions), then closes."""
        self._run(self._client.quit)
        return self._response(b"QUIT")

    def close(self) -> None:
        """Closes the connection without QUIT."""
        self._client.close()

    def top(self, which: Any, howmuch: Any) -> tuple[bytes, list[bytes], int]:
        """TOP: the headers and ``howmuch`` body lines, as ``retr``."""
        data = self._run(self._client.top, _number(which), _number(howmuch, "line count"))
        return (self._response(b"TOP"), *_split_lines(data))

    def uidl(self, which: Any = None) -> Any:
        """UIDL: ``(response, [b"n uid", ...], octets)``; with ``which``, the reply
        to ``UIDL which`` (``b"+OK n uid"``)."""
        if which is not None:
            self._run(self._client.uidl, _number(which))
            return self._response(b"UIDL")
        entries = self._run(self._client.uidl)
        lines = [b"%d %s" % (n, uid.encode("ascii")) for n, uid in entries]
        return self._response(b"UIDL"), lines, sum(len(line) + 2 for line in lines)

    def utf8(self) -> bytes:
        """UTF8 (RFC 6856), before login."""
        self._run(self._client.utf8)
        return self._response(b"UTF8")

    def capa(self) -> dict[str, list[str]]:
        """CAPA as a dict: each capability's name and its arguments. A -ERR (or any
        failure but a timeout) is ``error_proto('-ERR CAPA not supported by server')``."""
        try:
            capabilities = self._run(self._client.capa)
        except error_proto:
            raise error_proto("-ERR CAPA not supported by server") from None
        reply = self._wire.reply(b"CAPA")
        if reply is not None and reply.startswith(b"-ERR"):
            raise error_proto("-ERR CAPA not supported by server")
        return capabilities

    def stls(self, context: ssl.SSLContext | None = None) -> bytes:
        """STLS (RFC 2595): CAPA, STLS, the handshake (verified as ``context``
        says; by default ``ssl.create_default_context()``: chain and host name),
        then CAPA again. Returns the reply to STLS."""
        if self._tls_established:
            raise error_proto("-ERR TLS session already established")
        if context is None:
            context = ssl.create_default_context()
        try:
            self._client.stls(context)
        except TLSError as exc:
            if exc.status == codes.NX_NOT_SUPPORTED and exc.command is None:
                capa = self._wire.reply(b"CAPA")
                if capa is None or capa.startswith(b"-ERR"):
                    raise error_proto("-ERR CAPA not supported by server") from exc
                raise error_proto("-ERR STLS not supported by server") from exc
            if exc.status == codes.NX_POP3_UNEXPECTED_DATA:
                raise error_proto("-ERR nxpop3: plain text came after the +OK to STLS (a "
                                  "STARTTLS injection); the connection is closed") from exc
            raise self._failure(exc) from exc
        except Pop3Error as exc:
            raise self._failure(exc) from exc
        self._tls_established = True
        return self._response(b"STLS")


class POP3_SSL(POP3):  # noqa: N801 - poplib's name
    """POP3 over TLS from the first byte (POP3S, port 995) as ``poplib.POP3_SSL``.

    ``context`` defaults to ``ssl.create_default_context()`` (the certificate
    chain and the host name verified); ``keyfile``/``certfile`` (deprecated, as
    in poplib) load a client certificate into it.
    """

    def __init__(self, host: str, port: int = POP3_SSL_PORT, keyfile: str | None = None,
                 certfile: str | None = None,
                 timeout: float | None = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
                 context: ssl.SSLContext | None = None) -> None:
        if context is not None and keyfile is not None:
            raise ValueError("context and keyfile arguments are mutually exclusive")
        if context is not None and certfile is not None:
            raise ValueError("context and certfile arguments are mutually exclusive")
        if keyfile is not None or certfile is not None:
            warnings.warn("keyfile and certfile are deprecated, use a custom context instead",
                          DeprecationWarning, 2)
        self.keyfile = keyfile
        self.certfile = certfile
        if context is None:
            context = ssl.create_default_context()
            if certfile is not None:
                context.load_cert_chain(certfile, keyfile)
        self.context = context
        self.host = host
        self.port = port
        self._debugging = 0
        self._user = None
        self._tls_established = True
        sys.audit("poplib.connect", self, host, port)
        self._client = self._connect(timeout, context, implicit=True)
        self.welcome = self._wire.reply(b"GREETING") or b"+OK"

    def stls(self, keyfile: str | None = None, certfile: str | None = None,  # type: ignore[override]
             context: ssl.SSLContext | None = None) -> bytes:
        """Always raises: the session is encrypted from the start."""
        raise error_proto("-ERR TLS session already established")
