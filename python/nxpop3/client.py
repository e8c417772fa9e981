"""``Client``: a Pythonic POP3 client over the C client, one C call per command
and per megabyte of message, never per packet."""
from __future__ import annotations

import io
import math
import secrets
import ssl
import threading
import warnings
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

from . import codes, login_policy
from ._binding import ffi, lib
from .address import ResolveError, resolve, strip_brackets
from .errors import _PROTOCOL, BadArgument, InvalidState, Pop3Error, TLSError, error_for
from .pool import PacketPool
from .tls import SocketTransport
from .transport import PosixTransport, ScriptedTransport

Transport = PosixTransport | ScriptedTransport | SocketTransport

# Statuses that come from an exchange with the server (a command was sent).
_EXCHANGE_STATUSES = frozenset({
    codes.NX_NO_PACKET, codes.NX_NOT_CONNECTED, codes.NX_WINDOW_OVERFLOW,
    codes.NX_POP3_SERVER_ERROR_STATUS, *_PROTOCOL,
})
# Statuses whose error carries the server's last reply text.
_REPLY_STATUSES = frozenset({codes.NX_POP3_SERVER_ERROR_STATUS, *_PROTOCOL})

_STREAM_CHUNK = 1 << 16
# Bytes retr() copies per C call, into a buffer the client reuses.
_RETR_CHUNK = 1 << 20


def _credential(value: str, what: str, limit: int) -> bytes:
    if not isinstance(value, str):
        raise BadArgument(codes.NX_POP3_PARAM_ERROR, message=f"{what} must be a str")
    data = value.encode("utf-8")
    if any(c in data for c in (b"\r", b"\n", b"\0")):
        raise BadArgument(codes.NX_POP3_PARAM_ERROR, message=f"{what} holds CR, LF or NUL")
    if len(data) > limit:
        raise BadArgument(codes.NX_POP3_PARAM_ERROR, message=f"{what} is longer than {limit} bytes")
    return data


def _address(host: str, port: int) -> tuple[ffi.CData, bool]:
    """The first address of ``host`` as the C client's NXD_ADDRESS, and whether
    it is a loopback address."""
    if not isinstance(host, str) or not host:
        raise BadArgument(codes.NX_IP_ADDRESS_ERROR, message="host must be a non-empty str")
    try:
        ip = resolve(host, port)[0]
    except ResolveError as exc:
        raise Pop3Error(codes.NX_IP_ADDRESS_ERROR, message=str(exc)) from None
    address = ffi.new("NXD_ADDRESS *")
    if ip.version == 4:
        address.nxd_ip_version = lib.NX_IP_VERSION_V4
        address.nxd_ip_address.v4 = int(ip)
    else:
        address.nxd_ip_version = lib.NX_IP_VERSION_V6
        value = int(ip)
        for i in range(4):
            address.nxd_ip_address.v6[i] = (value >> (96 - 32 * i)) & 0xFFFFFFFF
    return address, ip.is_loopback


# The longest secret a login takes: a SASL secret (an OAuth token); USER/PASS
# and APOP have the C client's shorter NX_POP3_MAX_PASSWORD, checked there.
_SECRET_LIMIT = max(int(lib.NX_POP3_MAX_PASSWORD), int(lib.NX_POP3_MAX_SASL_SECRET))


def _mechanism(mechanism: str | None, apop: bool) -> str | None:
    """The mechanism named, checked; ``apop=True`` names APOP."""
    name = login_policy.normalize(mechanism) if mechanism is not None else None
    if apop:
        if name not in (None, "APOP"):
            raise BadArgument(codes.NX_OPTION_ERROR,
                              message=f"apop=True and mechanism={name!r} exclude each other")
        name = "APOP"
    return name


def _index(n: int) -> int:
    if not isinstance(n, int) or isinstance(n, bool):
        raise BadArgument(codes.NX_POP3_CLIENT_INVALID_INDEX, message="message numbers are int")
    if n < 1:
        raise BadArgument(codes.NX_POP3_CLIENT_INVALID_INDEX, message="message numbers start at 1")
    if n > 0xFFFFFFFF:
        raise BadArgument(codes.NX_POP3_INVALID_MAIL_ITEM, message="message number out of range")
    return n


class Client:
    """A POP3 session: connects and logs in on construction.

    ``timeout`` (seconds) bounds the connect, each whole status line and each
    body packet. The messages come back exactly as stored: CRLF line ends,
    dot-stuffing removed. Leaving a ``with`` block sends QUIT (applying
    deletions) unless an exception is on its way, then closes.

    A failure in the middle of a message body (a timeout included) ends the
    session: the connection is closed, the exception's ``partial`` holds the
    bytes received and not yet handed out, and every later command raises
    ``InvalidState``. Leaving a ``with`` block normally after that, while
    deletions were made, raises ``InvalidState`` saying they were not applied.
    """

    def __init__(self, host: str, port: int | None = None, user: str = "", password: str = "",
                 *, tls: bool = False, starttls: bool = False,
                 context: ssl.SSLContext | None = None, server_hostname: str | None = None,
                 apop: bool = False, mechanism: str | None = None,
                 allow_plaintext: bool = False,
                 timeout: float = 10.0, pool: PacketPool | None = None,
                 transport: Transport | None = None) -> None:
        if tls and starttls:
            raise BadArgument(codes.NX_OPTION_ERROR, message="tls and starttls exclude each other")
        if context is not None and not isinstance(context, ssl.SSLContext):
            raise BadArgument(codes.NX_OPTION_ERROR, message="context must be an ssl.SSLContext")
        if port is None:
            port = 995 if tls else 110
        if not isinstance(port, int) or not 1 <= port <= 0xFFFF:
            raise BadArgument(codes.NX_POP3_PARAM_ERROR, message="port must be 1..65535")
        if not isinstance(timeout, (int, float)) or not 0 < timeout <= 86400:
            raise BadArgument(codes.NX_OPTION_ERROR,
                              message="timeout must be > 0 and at most a day (seconds)")
        name = _credential(user, "user", int(lib.NX_POP3_MAX_USERNAME))
        secret = _credential(password, "password", _SECRET_LIMIT)
        mechanism = _mechanism(mechanism, apop)
        address, self._loopback = _address(host, port)
        self._allow_plaintext = bool(allow_plaintext)
        self._mechanism: str | None = None

        self._lock = threading.Lock()
        self.pool = pool if pool is not None else PacketPool(payload_size=16384, count=8)
        if transport is None and (tls or starttls or context is not None):
            # TLS through Python's ssl module; verification on unless the context
            # says otherwise.
            # server_hostname: the name the certificate must carry when host is
            # an address the caller resolved (default: host itself).
            transport = SocketTransport(context or ssl.create_default_context(),
                                        server_hostname or strip_brackets(host), implicit=tls)
        self.transport: Transport = transport if transport is not None else PosixTransport()
        self._ip = ffi.new("NX_IP *")
        self._client = ffi.new("NX_POP3_CLIENT *")
        self._reader = ffi.new("NX_POP3_READER *")
        self._ip_name = ffi.new("char[]", b"nxpop3")
        self._created = False
        self._downloading = False
        # The error that ended the session, if one did; later commands name it.
        self._failure: Pop3Error | None = None
        # Messages marked deleted (DELE +OK) and not yet applied by QUIT.
        self._deleted: set[int] = set()
        self._buffer: ffi.CData | None = None
        # Out-parameters of the C calls, allocated once: retr() runs per message.
        self._size = ffi.new("ULONG64 *")
        self._got = ffi.new("ULONG *")
        self._done = ffi.new("UINT *")
        self._item = ffi.new("UINT *")

        self._check(lib.nx_ip_create(self._ip, self._ip_name, 0, 0, self.pool.pool,
                                     self.transport.nx_transport, ffi.NULL, 0, 0), "nx_ip_create")
        self._check(lib.nx_tcp_enable(self._ip), "nx_tcp_enable")
        ticks = max(1, math.ceil(timeout * lib.NX_IP_PERIODIC_RATE))
        # The greeting's APOP timestamp, hashed as it arrives, for a later login.
        self._stamp = ffi.new("NX_POP3_APOP_STAMP *")
        # A pipelined batch in progress (retr_many), and what it keeps alive.
        self._batch: tuple[ffi.CData, ffi.CData] | None = None
        status = lib.nxd_pop3_client_connect(self._client, self._ip, self.pool.pool, address,
                                             port, ticks, ticks, self._stamp)
        if status != lib.NX_SUCCESS:
            cause = getattr(self.transport, "tls_error", None)
            error = (TLSError(codes.NX_POP3_TLS_FAILED, message=f"POP3S: {cause}")
                     if tls and cause is not None else self._error(status))
            lib.nx_ip_delete(self._ip)
            raise error from cause
        self._created = True
        try:
            if starttls:
                with self._lock:
                    self._stls()
            if name:
                with self._lock:
                    self._login(name, secret, mechanism, self._allow_plaintext)
        except Pop3Error:
            self._close_locked()  # as NetX's create: a failed login leaves nothing
            raise

    # Errors.
    def _error(self, status: int, message: str | None = None) -> Pop3Error:
        # The command and the server's text belong to errors of an exchange;
        # an argument refused before anything was sent has neither.
        command = None
        reply = None
        if status in _EXCHANGE_STATUSES:
            command = codes.COMMAND_NAMES.get(int(self._client.nx_pop3_client_last_command))
        if status in _REPLY_STATUSES:
            text = ffi.string(self._client.nx_pop3_client_reply_text)
            reply = text.decode("utf-8", "replace") or None
        return error_for(status, reply=reply, command=command, message=message)

    def _check(self, status: int, message: str | None = None) -> None:
        if status != lib.NX_SUCCESS:
            error = self._error(status, message)
            if self._created and \
                    int(self._client.nx_pop3_client_state) == codes.NX_POP3_STATE_CLOSED:
                self._failure = error  # the C client closed the connection
            raise error

    def _body_failure(self, status: int, received: bytes) -> Pop3Error:
        """A failure in the middle of a body: the session ends here, loudly.

        The connection is closed, so no half-read body can be resumed by
        accident; the bytes received and not handed out go with the error."""
        command = codes.COMMAND_NAMES.get(int(self._client.nx_pop3_client_last_command), "RETR")
        error = self._error(status, f"{command}: the message stopped after {len(received)} "
                                    "bytes (in .partial); the connection is closed")
        error.partial = received
        self._failure = error
        self._close_locked()
        return error

    def _session(self) -> None:
        """Raises InvalidState when no command may go out now (nothing is sent)."""
        if self._failure is not None:
            raise InvalidState(codes.NX_NOT_CONNECTED,
                               message="the connection is closed: the session ended with "
                                       f"an earlier error, {self._failure.name}") \
                from self._failure
        if not self._created:
            raise InvalidState(codes.NX_NOT_CONNECTED, message="the client is closed")
        if self._downloading:
            raise InvalidState(codes.NX_POP3_CLIENT_INVALID_STATE,
                               message="a message is being streamed; finish or close it")
        if self._batch is not None:
            raise InvalidState(codes.NX_POP3_CLIENT_INVALID_STATE,
                               message="a retr_many batch is being read; finish or close it")
        if int(self._client.nx_pop3_client_state) == codes.NX_POP3_STATE_CLOSED:
            raise InvalidState(codes.NX_NOT_CONNECTED,
                               message="the connection ended with an earlier error")

    # Information.
    @property
    def apop_used(self) -> bool:
        """True when the login used APOP."""
        return bool(self._client.nx_pop3_client_enable_APOP_authentication)

    @property
    def last_reply(self) -> str:
        """The text of the server's last status line, as sent (control characters
        included: show it through ``nxpop3.server_text.printable``)."""
        with self._lock:  # a command in another thread may be writing it
            return ffi.string(self._client.nx_pop3_client_reply_text).decode("utf-8", "replace")

    @property
    def state(self) -> str:
        """The session's state: ``"AUTHORIZATION"`` (connected, not logged in),
        ``"TRANSACTION"``, ``"DOWNLOADING"`` (a body is being read), ``"QUIT"`` or
        ``"CLOSED"``."""
        if not self._created:
            return "CLOSED"
        return codes.STATE_NAMES[int(self._client.nx_pop3_client_state)]

    @property
    def tls(self) -> bool:
        """True when the session is encrypted (POP3S, or after STLS)."""
        return bool(getattr(self.transport, "tls", False)) and self._created

    def peer_certificate(self, binary_form: bool = False) -> Any:
        """The server's certificate as ``ssl.SSLSocket.getpeercert`` gives it (a
        dict, or DER bytes with ``binary_form``); None without TLS."""
        peer = getattr(self.transport, "peer_certificate", None)
        return peer(binary_form) if peer is not None else None

    def stls(self, context: ssl.SSLContext | None = None) -> None:
        """STLS (RFC 2595) by hand, in the AUTHORIZATION state: CAPA, STLS, TLS
        (verified as ``context`` says; the client's context by default), CAPA
        again. ``TLSError`` when TLS cannot be had (no STLS in CAPA, -ERR, a
        failed handshake or verification, plain text injected after the +OK); the
        connection is then closed unless nothing was sent. Needs a client made
        with ``tls``, ``starttls`` or ``context`` (its transport does TLS)."""
        if context is not None and not isinstance(context, ssl.SSLContext):
            raise BadArgument(codes.NX_OPTION_ERROR, message="context must be an ssl.SSLContext")
        with self._lock:
            if context is not None and isinstance(self.transport, SocketTransport):
                self.transport.context = context
            self._stls()

    def _stls(self) -> None:
        """CAPA, STLS, TLS, CAPA (the lock held)."""
        self._session()
        if int(self._client.nx_pop3_client_state) != codes.NX_POP3_STATE_AUTHORIZATION:
            raise InvalidState(codes.NX_POP3_CLIENT_INVALID_STATE,
                               message="STLS is for the AUTHORIZATION state, before login")
        if not isinstance(self.transport, SocketTransport):
            raise TLSError(codes.NX_NOT_SUPPORTED,
                           message="this client's transport has no TLS: make it with "
                                   "starttls=True or context=")
        self._check(lib.nx_pop3_client_capabilities_get(self._client, ffi.NULL, ffi.NULL))
        if not self.capabilities & codes.NX_POP3_CAPABILITY_STLS:
            raise TLSError(codes.NX_NOT_SUPPORTED,
                           message="the server does not offer STLS (not in CAPA); nothing sent")
        status = lib.nx_pop3_client_stls(self._client)
        if status != lib.NX_SUCCESS:
            cause = self.transport.tls_error
            error = self._error(status, f"STLS: {cause}" if cause is not None else None)
            if not isinstance(error, TLSError):
                error = TLSError(status, reply=error.reply, command="STLS",
                                 message=str(cause) if cause is not None else None)
            if int(self._client.nx_pop3_client_state) == codes.NX_POP3_STATE_CLOSED:
                self._failure = error
            raise error from cause
        # RFC 2595: the capabilities before TLS are forgotten; ask again.
        self._check(lib.nx_pop3_client_capabilities_get(self._client, ffi.NULL, ffi.NULL))

    @property
    def capabilities(self) -> int:
        """The ``NX_POP3_CAPABILITY_*`` bits of the last ``capa()`` (0 before one)."""
        return int(self._client.nx_pop3_client_capabilities)

    # Login.
    @property
    def mechanism(self) -> str | None:
        """How this session logged in ("SCRAM-SHA-256", "APOP", "USER", ...), or None."""
        return self._mechanism

    def login(self, user: str, password: str, *, mechanism: str | None = None,
              apop: bool = False, allow_plaintext: bool | None = None) -> None:
        """Logs in from the AUTHORIZATION state (a client made without a user).

        With no ``mechanism``, the strongest the server offers (its CAPA, asked
        first, and its greeting): SCRAM-SHA-256, CRAM-MD5, APOP, then PLAIN,
        LOGIN or USER/PASS, which send the password in clear and are used only
        over TLS, to a loopback address, or with ``allow_plaintext`` (default: the
        constructor's). A ``mechanism`` named (or ``apop=True``, which is
        ``mechanism="APOP"``) is the only one tried: one the server does not offer
        raises ``AuthenticationError`` before anything is sent. A refusal raises
        ``AuthenticationError`` (with ``mechanism`` and ``code``) and leaves the
        client in AUTHORIZATION: another ``login`` or ``quit`` may follow."""
        name = _credential(user, "user", int(lib.NX_POP3_MAX_USERNAME))
        secret = _credential(password, "password", _SECRET_LIMIT)
        chosen = _mechanism(mechanism, apop)
        allow = self._allow_plaintext if allow_plaintext is None else bool(allow_plaintext)
        with self._lock:
            self._login(name, secret, chosen, allow)

    def auth(self, mechanism: str, user: str, secret: str) -> None:
        """Logs in with one SASL mechanism (or "APOP", "USER"), named: ``secret`` is
        the password, or the OAuth access token for XOAUTH2 and OAUTHBEARER.
        The rules of ``login`` apply (offered, not in clear without TLS)."""
        if mechanism is None:
            raise BadArgument(codes.NX_OPTION_ERROR, message="auth() needs a mechanism")
        self.login(user, secret, mechanism=mechanism)

    def _login(self, name: bytes, secret: bytes, mechanism: str | None, allow: bool) -> None:
        """Chooses by the policy (nxpop3.login_policy) and runs that one mechanism."""
        self._session()
        if int(self._client.nx_pop3_client_state) != codes.NX_POP3_STATE_AUTHORIZATION:
            raise InvalidState(codes.NX_POP3_CLIENT_INVALID_STATE,
                               message="already logged in (login is for the AUTHORIZATION state)")
        # What the server offers: CAPA, unless the choice needs none (APOP and
        # USER named: the greeting or RFC 1939 say it all).
        if mechanism not in ("APOP", "USER") and \
                not self.capabilities & codes.NX_POP3_CAPABILITY_ASKED:
            self._check(lib.nx_pop3_client_capabilities_get(self._client, ffi.NULL, ffi.NULL))
        available = login_policy.offered(
            self.capabilities, int(self._client.nx_pop3_client_sasl_mechanisms),
            bool(lib._nx_pop3_apop_stamp_found(self._stamp)))
        chosen = login_policy.choose(available, mechanism, encrypted=self.tls,
                                     loopback=self._loopback, allow_plaintext=allow)
        c_name = ffi.new("char[]", name)
        c_secret = ffi.new("char[]", secret)
        try:
            if chosen == "APOP":
                status = lib.nx_pop3_client_apop(self._client, self._stamp, c_name, c_secret)
            elif chosen == "USER":
                status = lib.nx_pop3_client_user_pass(self._client, c_name, c_secret)
            else:
                # SCRAM's client nonce: fresh from the OS's CSPRNG for each exchange.
                nonce = ffi.new("char[]", secrets.token_urlsafe(24).encode())
                status = lib.nx_pop3_client_auth(self._client, login_policy.SASL_CODES[chosen],
                                                 c_name, c_secret, nonce)
        finally:
            ffi.memmove(c_secret, b"\0" * len(secret), len(secret))
        try:
            self._check(status)
        except Pop3Error as error:
            error.mechanism = chosen
            raise
        self._mechanism = chosen

    # The extensions (RFC 2449, 6856).
    def capa(self) -> dict[str, list[str]]:
        """CAPA: each capability (upper case) with its arguments. ``{}`` from an old
        server that answers -ERR (no capabilities). Allowed before and after login."""
        lines: dict[str, list[str]] = {}
        handle = ffi.new_handle(lines)
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_capabilities_get(self._client, lib.nxpop3_capa_line,
                                                            handle))
        return lines

    def list(self) -> list[tuple[int, int]]:
        """LIST: ``(number, octets)`` of every message not deleted, in the
        server's order."""
        entries: list[tuple[int, int]] = []
        handle = ffi.new_handle(entries)
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_mail_items_list(self._client, lib.nxpop3_list_entry,
                                                           handle))
        return entries

    def uidl(self, n: int | None = None) -> str | list[tuple[int, str]]:
        """UIDL: message ``n``'s unique-id, or ``(number, uid)`` of every message."""
        if n is None:
            entries: list[tuple[int, str]] = []
            handle = ffi.new_handle(entries)
            with self._lock:
                self._session()
                self._check(lib.nx_pop3_client_mail_items_uidl(self._client,
                                                               lib.nxpop3_uidl_entry, handle))
            return entries
        uid = ffi.new("CHAR[]", int(lib.NX_POP3_MAX_UID) + 1)
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_mail_item_uid_get(self._client, _index(n), uid,
                                                             len(uid)))
        return ffi.string(uid).decode("ascii")

    def top(self, n: int, lines: int) -> bytes:
        """TOP: message ``n``'s headers, the blank line and its first ``lines``
        body lines, exactly as stored (as ``retr``)."""
        if not isinstance(lines, int) or isinstance(lines, bool) or not 0 <= lines <= 0xFFFFFFFF:
            raise BadArgument(codes.NX_POP3_PARAM_ERROR, message="lines must be 0..2**32-1")
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_mail_item_top_get(self._client, _index(n), lines))
            return self._read_body()

    def utf8(self) -> None:
        """UTF8 (RFC 6856), before login only: the server may then send UTF-8."""
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_utf8(self._client))

    def retr_many(self, numbers: Iterable[int]) -> Iterator[bytes]:
        """The messages ``numbers``, in that order, each whole, through one
        pipelined batch of RETRs when the last ``capa()`` listed PIPELINING (one
        at a time otherwise): 2000 small messages in a few round trips.

        Until the iterator is exhausted or closed, other commands raise
        ``InvalidState``. A -ERR for a message raises ``ServerError`` there, after
        the rest of the batch has been read and dropped (the session stays
        usable); closing the iterator early does the same."""
        wanted = [_index(n) for n in numbers]
        items = ffi.new("UINT[]", wanted) if wanted else ffi.new("UINT[]", 1)
        pipeline = ffi.new("NX_POP3_PIPELINE *")
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_pipeline_start(self._client, pipeline, items,
                                                          len(wanted)))
            self._batch = (pipeline, items)
        return self._batch_messages()

    def _batch_messages(self) -> Iterator[bytes]:
        finished = False
        try:
            while True:
                with self._lock:
                    data = self._batch_next()
                if data is None:
                    finished = True
                    return
                yield data
        finally:
            if not finished:
                with self._lock:
                    self._batch_drain()

    def _batch_next(self) -> bytes | None:
        """The next message of the batch, or None when it is over (the lock held)."""
        if self._batch is None:
            self._session()
            return None
        status = lib.nx_pop3_client_pipeline_next(self._client, self._item, self._size)
        if status == lib.NX_NO_MORE_ENTRIES:
            self._batch = None
            return None
        if status != lib.NX_SUCCESS:
            if int(self._client.nx_pop3_client_state) == codes.NX_POP3_STATE_CLOSED:
                self._batch = None
            self._check(status)
        return self._read_body()

    def _batch_drain(self) -> None:
        """Reads the rest of the batch and drops it, so the session goes on.
        Bounded by the batch: each call ends one message or the batch."""
        for _ in range(len(self._batch[1]) + 1 if self._batch else 0):
            if self._batch is None:
                return
            try:
                self._batch_next()
            except Pop3Error:
                if self._failure is not None or not self._created:
                    self._batch = None
                    return

    # Commands.
    def stat(self) -> tuple[int, int]:
        """(message count, maildrop size in octets)."""
        count = ffi.new("UINT *")
        octets = ffi.new("ULONG64 *")
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_mail_items_get64(self._client, count, octets))
        return int(count[0]), int(octets[0])

    def size(self, n: int) -> int:
        """Size in octets of message ``n`` (LIST n)."""
        octets = ffi.new("ULONG64 *")
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_mail_item_size_get64(self._client, _index(n), octets))
        return int(octets[0])

    def retr(self, n: int) -> bytes:
        """Message ``n``, whole, exactly as stored."""
        with self._lock:
            self._session()
            self._start(n)
            return self._read_body()

    def _read_body(self) -> bytes:
        """The multi-line body now being received, whole (the lock held)."""
        buffer = self._chunk_buffer(_RETR_CHUNK)
        out: io.BytesIO | None = None
        # Bounded: each call fills the buffer or ends the message. A message
        # under _RETR_CHUNK takes one call and one copy; a longer one goes
        # straight from the C buffer into one growing BytesIO (no list of
        # pieces to join). Nothing is set aside for the size the server claims.
        while True:
            status = lib.nx_pop3_client_message_read(self._client, self._reader, buffer,
                                                     _RETR_CHUNK, self._got, self._done)
            piece = ffi.buffer(buffer, int(self._got[0]))
            if status != lib.NX_SUCCESS:
                received = piece[:] if out is None else out.getvalue() + piece[:]
                raise self._body_failure(status, received)
            if self._done[0] and out is None:
                return piece[:]
            if out is None:
                out = io.BytesIO()
            out.write(piece)
            if self._done[0]:
                return out.getvalue()

    def retrieve(self, n: int, chunk_size: int = _STREAM_CHUNK) -> Iterator[bytes]:
        """Message ``n`` as an iterator of chunks, in constant memory.

        RETR is sent now. Until the iterator is exhausted or closed, other
        commands raise ``InvalidState`` (NX_POP3_CLIENT_INVALID_STATE); closing
        it early reads the rest of the message and drops it. A failure while it
        runs ends the session (see the class); the exception's ``partial`` holds
        the bytes received after the last chunk it yielded.
        """
        if not isinstance(chunk_size, int) or not 1 <= chunk_size <= (1 << 30):
            raise BadArgument(codes.NX_SIZE_ERROR, message="chunk_size must be 1..2**30")
        with self._lock:
            self._session()
            self._start(n)
            self._downloading = True
        return _MessageStream(self, chunk_size)

    def delete(self, n: int) -> None:
        """Marks message ``n`` deleted (DELE); the server applies it at QUIT."""
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_mail_item_delete(self._client, _index(n)))
            self._deleted.add(n)

    def noop(self) -> None:
        """NOOP."""
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_noop(self._client))

    def reset(self) -> None:
        """RSET: unmarks every deletion of this session."""
        with self._lock:
            self._session()
            self._check(lib.nx_pop3_client_reset(self._client))
            self._deleted.clear()

    def quit(self) -> None:
        """QUIT: the server applies the deletions; the connection then closes."""
        with self._lock:
            try:
                self._session()
            except InvalidState:
                if self._created and not self._downloading:
                    self._close_locked()  # the connection had ended already: free the client
                raise
            try:
                self._check(lib.nx_pop3_client_quit(self._client))
                self._deleted.clear()
            finally:
                self._close_locked()

    def close(self) -> None:
        """Drops the connection without QUIT (deletions are not applied)."""
        with self._lock:
            self._deleted.clear()  # dropped on purpose
            self._close_locked()

    # Internals.
    def _start(self, n: int) -> int:
        self._check(lib.nx_pop3_client_mail_item_get64(self._client, _index(n), self._size))
        return int(self._size[0])

    def _chunk_buffer(self, size: int) -> ffi.CData:
        """The reused C buffer, at least ``size`` bytes (retr and streaming share it)."""
        if self._buffer is None or len(self._buffer) < size:
            self._buffer = ffi.new("UCHAR[]", size)
        return self._buffer

    def _read_chunk(self, chunk_size: int) -> tuple[bytes, bool]:
        with self._lock:
            if not self._downloading:
                self._session()  # ended or closed: says which
                raise InvalidState(codes.NX_POP3_CLIENT_INVALID_STATE,
                                   message="no message is being streamed")
            buffer = self._chunk_buffer(chunk_size)
            got, done = self._got, self._done
            status = lib.nx_pop3_client_message_read(self._client, self._reader, buffer,
                                                     chunk_size, got, done)
            data = ffi.buffer(buffer, int(got[0]))[:]
            if status != lib.NX_SUCCESS:
                raise self._body_failure(status, data)
            if done[0]:
                self._downloading = False
            return data, bool(done[0])

    def _unapplied_deletions(self) -> str | None:
        """What to tell the caller when the session ends without QUIT while
        deletions were made: they were not applied."""
        if not self._deleted:
            return None
        numbers = ", ".join(str(n) for n in sorted(self._deleted))
        cause = f" (the session ended with {self._failure.name})" if self._failure else ""
        return f"QUIT was not sent{cause}: the deletions of messages {numbers} were NOT applied"

    def _close_locked(self) -> None:
        self._batch = None
        if self._created:
            lib.nx_pop3_client_message_reader_release(self._reader)
            lib.nx_pop3_client_delete(self._client)
            lib.nx_ip_delete(self._ip)
            self._created = False
            self._downloading = False

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is None and self._created and self._batch is not None:
            with self._lock:
                self._batch_drain()  # a retr_many left unfinished: its rest is dropped
        if exc is None and self._created and self._failure is None and self._downloading:
            try:
                self._drain()  # a stream left open: its rest is read and dropped
            except Pop3Error:
                pass  # the session has ended; said below if deletions are lost
        if exc is None and self._created and self._failure is None and \
                int(self._client.nx_pop3_client_state) in (lib.NX_POP3_STATE_TRANSACTION,
                                                           lib.NX_POP3_STATE_AUTHORIZATION):
            self.quit()
            return
        with self._lock:
            lost = self._unapplied_deletions()
            self._deleted.clear()
            self._close_locked()
        if lost is None:
            return
        if exc is None:
            raise InvalidState(codes.NX_NOT_CONNECTED, message=lost) from self._failure
        if hasattr(exc, "add_note"):  # Python 3.11+: shown with the traceback
            exc.add_note(f"nxpop3: {lost}")
        else:
            warnings.warn(f"nxpop3: {lost}", RuntimeWarning, stacklevel=2)

    def _drain(self) -> None:
        """Reads the streamed message to its end and drops it. Bounded: each
        chunk is non-empty or ends the message, or raises."""
        while self._downloading:
            self._read_chunk(_STREAM_CHUNK)

    def __del__(self) -> None:
        if getattr(self, "_created", False):
            self._close_locked()


class _MessageStream:
    """The iterator ``Client.retrieve`` returns."""

    def __init__(self, client: Client, chunk_size: int) -> None:
        self._client = client
        self._chunk_size = chunk_size
        self._done = False
        self._failed = False

    def __iter__(self) -> _MessageStream:
        return self

    def __next__(self) -> bytes:
        # Bounded: each call returns a non-empty chunk or ends the message
        # (message_read only returns short when the message ends).
        if self._done:
            raise StopIteration
        try:
            data, final = self._client._read_chunk(self._chunk_size)
        except Pop3Error:
            # Never a silent end: every later next() raises InvalidState.
            self._failed = True
            raise
        if final:
            self._done = True
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        """Reads and drops the rest of the message, keeping the session usable.

        Does nothing once the stream failed or the client was closed: there is
        no message left to read. A failure while draining ends the session."""
        # Bounded: each chunk is non-empty or ends the message, or raises.
        while not self._done and not self._failed and self._client._downloading:
            try:
                _, self._done = self._client._read_chunk(_STREAM_CHUNK)
            except Pop3Error:
                self._failed = True
                raise

    def __enter__(self) -> _MessageStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not self._done and not self._failed and self._client._downloading:
            try:
                self.close()
            except Pop3Error:
                pass


# The listings' callbacks: the C client calls one per line with the handle of
# the Python list or dict the method collects into.
@ffi.def_extern()
def nxpop3_capa_line(context: Any, name: Any, arguments: Any) -> None:
    lines = ffi.from_handle(context)
    lines[ffi.string(name).decode("utf-8", "replace")] = \
        ffi.string(arguments).decode("utf-8", "replace").split()


@ffi.def_extern()
def nxpop3_list_entry(context: Any, mail_item: int, size: int) -> None:
    ffi.from_handle(context).append((int(mail_item), int(size)))


@ffi.def_extern()
def nxpop3_uidl_entry(context: Any, mail_item: int, uid: Any) -> None:
    ffi.from_handle(context).append((int(mail_item), ffi.string(uid).decode("ascii")))
