"""One POP3 session without a socket: command lines in, reply bytes out.

RFC 1939 with the RFC 2449 extensions (``CAPA``, response codes, ``LOGIN-DELAY``,
``EXPIRE``), the RFC 3206 codes, RFC 6856 ``UTF8``, RFC 2595 ``STLS`` (the session
accepts it; the listener does the TLS handshake and then calls :meth:`Pop3Session.start_tls`)
and RFC 5034 ``AUTH`` with the mechanisms of :mod:`nxpop3.testing.sasl`.

:class:`Pop3Session` holds the state machine (AUTHORIZATION, TRANSACTION, UPDATE) over
the server's mailboxes and decides every reply. It never reads or writes a socket and
knows nothing of faults: :class:`nxpop3.testing.Pop3Server` runs one per connection and
bends what it answers on the way out.

>>> from nxpop3.testing.mailstore import Mailbox
>>> session = Pop3Session({"alice": Mailbox("alice", "secret", [b"hi"])})
>>> session.handle("USER alice")
b'+OK send the password for alice\\r\\n'
>>> session.handle("PASS secret")
b'+OK maildrop has 1 messages (4 octets)\\r\\n'
>>> session.state
<State.TRANSACTION: 'TRANSACTION'>

A new command is one method ``_name(self, args) -> bytes`` and one row of
:attr:`Pop3Session.COMMANDS` saying in which states it is allowed.
"""
from __future__ import annotations

import enum
import hashlib
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from nxpop3.testing import sasl as _sasl
from nxpop3.testing.mailstore import Mailbox, Message
from nxpop3.testing.sasl import AuthExchange, AuthRecord, SaslDeviations, ScramCredential

__all__ = [
    "CRLF",
    "DEFAULT_CAPABILITIES",
    "capability_name",
    "default_capabilities",
    "IN_AUTHORIZATION",
    "SASL_MECHANISMS",
    "IN_EITHER",
    "IN_TRANSACTION",
    "Command",
    "Pop3Session",
    "State",
    "apop_digest",
    "dot_stuff",
    "parse_command",
]

CRLF = b"\r\n"

DEFAULT_CAPABILITIES = (
    "TOP",
    "UIDL",
    "USER",
    "RESP-CODES",
    "AUTH-RESP-CODE",
    "PIPELINING",
    "UTF8",
    "IMPLEMENTATION nxpop3-testing",
)
"""What ``CAPA`` lists by default, in both states (see :func:`default_capabilities` for
what APOP, ``login_delay`` and ``expire`` add)."""

Expire = int | str
"""An RFC 2449 ``EXPIRE`` policy: days (0 and up) or ``"NEVER"``."""

DEFAULT_GREETING = "nxpop3 test server ready"

SASL_MECHANISMS = _sasl.SASL_MECHANISMS
"""Every SASL mechanism the session can offer (``sasl=SASL_MECHANISMS`` offers them all)."""


class State(enum.Enum):
    """The RFC 1939 session states."""

    AUTHORIZATION = "AUTHORIZATION"
    TRANSACTION = "TRANSACTION"
    UPDATE = "UPDATE"
    """Entered by ``QUIT`` (from either state here): the session is over."""


IN_AUTHORIZATION = frozenset({State.AUTHORIZATION})
IN_TRANSACTION = frozenset({State.TRANSACTION})
IN_EITHER = IN_AUTHORIZATION | IN_TRANSACTION

_WRONG_STATE = {
    State.AUTHORIZATION: "not logged in",
    State.TRANSACTION: "already logged in",
}


def default_capabilities(
    *,
    apop: bool = False,
    login_delay: int | None = None,
    expire: Expire | None = None,
    stls: bool = False,
    sasl: Sequence[str] = (),
) -> list[str]:
    """The ``CAPA`` lines of a server configured so: :data:`DEFAULT_CAPABILITIES`, with
    ``APOP`` first when APOP is on, ``STLS`` after ``USER`` when ``stls`` (a server that
    offers STLS, before TLS has started), ``SASL m1 m2...`` after those when ``sasl``
    names mechanisms, and ``LOGIN-DELAY n`` / ``EXPIRE n`` before ``IMPLEMENTATION``
    when set."""
    caps = list(DEFAULT_CAPABILITIES)
    if stls:
        caps.insert(caps.index("USER") + 1, "STLS")
    if sasl:
        caps.insert(caps.index("STLS" if stls else "USER") + 1, "SASL " + " ".join(sasl))
    policies = []
    if login_delay is not None:
        policies.append(f"LOGIN-DELAY {login_delay}")
    if expire is not None:
        policies.append(f"EXPIRE {expire}")
    caps[-1:-1] = policies
    if apop:
        caps.insert(0, "APOP")
    return caps


def capability_name(line: str) -> str:
    """The tag of one ``CAPA`` line, upper case: ``"LOGIN-DELAY 900"`` -> ``"LOGIN-DELAY"``."""
    return line.split(" ", 1)[0].upper()


def _check_policies(login_delay: int | None, expire: Expire | None) -> None:
    if login_delay is not None and (isinstance(login_delay, bool) or login_delay < 0):
        raise ValueError("login_delay must be a number of seconds >= 0")
    if expire is None or expire == "NEVER":
        return
    if not isinstance(expire, int) or isinstance(expire, bool) or expire < 0:
        raise ValueError('expire must be a number of days >= 0 or "NEVER"')


@dataclass(frozen=True)
class Command:
    """One row of the command table: the method that answers it, the states allowing it."""

    method: str
    states: frozenset[State]


def parse_command(line: str | bytes) -> tuple[str, str]:
    """``(KEYWORD, args)`` of one command line: the keyword upper-cased, the line end
    (CRLF or a bare LF) removed. Bytes are decoded as UTF-8, undecodable bytes kept."""
    if isinstance(line, (bytes, bytearray)):
        line = bytes(line).decode("utf-8", "surrogateescape")
    keyword, _, args = line.rstrip("\r\n").partition(" ")
    return keyword.upper(), args


class Pop3Session:
    """The POP3 state machine of one connection, over a set of mailboxes.

    Args:
        mailboxes: user name to :class:`Mailbox`; read at login, so mailboxes added to the
            mapping later can log in.
        apop: put a timestamp in the greeting and accept ``APOP``.
        timestamp: the APOP timestamp (``<...>``); a new one per session when None.
        greeting: the text of the ``+OK`` greeting.
        capabilities: the ``CAPA`` lines (used verbatim); :func:`default_capabilities`
            when None.
        capabilities_after_login: the ``CAPA`` lines in the TRANSACTION state (RFC 2449
            lets them differ); the same as ``capabilities`` when None.
        capa: False makes an RFC 1939 server that knows no ``CAPA``: it answers ``-ERR``,
            advertises nothing, so sends no response codes, and does not know ``UTF8``.
        login_delay: seconds required between two logins to one maildrop (RFC 2449
            ``LOGIN-DELAY``); a login sooner is refused with ``[LOGIN-DELAY]``.
        expire: days the server keeps a message after it was retrieved, or ``"NEVER"``
            (RFC 2449 ``EXPIRE``; only advertised).
        clock: the time source of ``login_delay`` (seconds, monotonic).
        starttls: offer ``STLS`` (RFC 2595): listed in the default ``CAPA`` before login
            until TLS has started, and accepted once, in AUTHORIZATION.
        tls: the connection is encrypted already (POP3S): ``STLS`` is refused.
        sasl: the SASL mechanisms offered by ``AUTH`` (RFC 5034) and listed in ``CAPA``
            (``SASL ...``), in this order: names from :data:`SASL_MECHANISMS`, or one
            string of names separated by spaces. Empty (the default): ``AUTH`` is an
            unknown command.
        tokens: user name to OAuth bearer token, for XOAUTH2 and OAUTHBEARER; read at
            each exchange.
        cram_md5_challenge: the CRAM-MD5 challenge (``<...>``); a new one per exchange
            when None.
        scram_nonce: the server's part of the SCRAM nonce; a new random one per exchange
            when None.
        continuation_space: an empty challenge is ``+ `` (RFC 5034); False sends ``+``
            alone, as some servers do.

    ``AUTH`` (RFC 5034): ``AUTH MECH`` starts an exchange (``+ challenge`` lines, each
    answered by one base64 line), ``AUTH MECH response`` gives the first response at
    once (``=``: an empty one), ``*`` cancels, a response that is not base64 ends the
    exchange with ``-ERR``; bare ``AUTH`` lists the mechanisms (multi-line, as Dovecot
    does). While an exchange runs, :attr:`authenticating` is True and every line is a
    response (:meth:`respond`). :attr:`authentications` records each exchange.

    Response codes (``[AUTH]``, ``[IN-USE]``, ``[LOGIN-DELAY]``, ``[SYS/TEMP]``) go in a
    refusal only when the capabilities of the present state allow them: ``[AUTH]`` with
    ``AUTH-RESP-CODE`` (RFC 3206), the others with ``RESP-CODES`` (RFC 2449).

    Call :meth:`greet` once for the greeting, then :meth:`handle` for each command line.
    After ``QUIT`` the state is UPDATE (:attr:`ended`) and the connection should close
    once the reply is sent; a connection that ends without it calls :meth:`close`.
    After ``+OK`` to ``STLS``, :attr:`tls_pending` is True: the connection must do the TLS
    handshake and then call :meth:`start_tls` (or close).
    """

    COMMANDS: ClassVar[Mapping[str, Command]] = {
        "CAPA": Command("_capa", IN_EITHER),
        "QUIT": Command("_quit", IN_EITHER),
        "UTF8": Command("_utf8", IN_AUTHORIZATION),
        "STLS": Command("_stls", IN_AUTHORIZATION),
        "USER": Command("_user", IN_AUTHORIZATION),
        "PASS": Command("_pass", IN_AUTHORIZATION),
        "APOP": Command("_apop", IN_AUTHORIZATION),
        "AUTH": Command("_auth", IN_AUTHORIZATION),
        "STAT": Command("_stat", IN_TRANSACTION),
        "LIST": Command("_list", IN_TRANSACTION),
        "UIDL": Command("_uidl", IN_TRANSACTION),
        "RETR": Command("_retr", IN_TRANSACTION),
        "TOP": Command("_top", IN_TRANSACTION),
        "DELE": Command("_dele", IN_TRANSACTION),
        "RSET": Command("_rset", IN_TRANSACTION),
        "NOOP": Command("_noop", IN_TRANSACTION),
    }
    """Keyword to :class:`Command`: the only place that lists what the session speaks."""

    def __init__(
        self,
        mailboxes: Mapping[str, Mailbox],
        *,
        apop: bool = False,
        timestamp: str | None = None,
        greeting: str = DEFAULT_GREETING,
        capabilities: Sequence[str] | None = None,
        capabilities_after_login: Sequence[str] | None = None,
        capa: bool = True,
        login_delay: int | None = None,
        expire: Expire | None = None,
        clock: Callable[[], float] = time.monotonic,
        starttls: bool = False,
        tls: bool = False,
        sasl: Sequence[str] | str = (),
        tokens: Mapping[str, str] | None = None,
        cram_md5_challenge: str | None = None,
        scram_nonce: str | None = None,
        continuation_space: bool = True,
    ) -> None:
        _check_policies(login_delay, expire)
        self.sasl = _sasl.check_mechanisms(sasl)
        if scram_nonce is not None and not _sasl._printable_nonce(scram_nonce):
            raise ValueError("scram_nonce must be printable ASCII without ','")
        self.tokens: Mapping[str, str] = {} if tokens is None else tokens
        self.cram_md5_challenge = cram_md5_challenge
        self.scram_nonce = scram_nonce
        self.continuation_space = continuation_space
        self.auth: AuthExchange | None = None
        """The ``AUTH`` exchange in progress (None between commands)."""
        self.authentications: list[AuthRecord] = []
        """Every ``AUTH`` exchange of the session, in order (:class:`AuthRecord`)."""
        self.sasl_deviations: SaslDeviations | None = None
        """How the next ``AUTH`` exchange departs from the protocol; taken (and reset to
        None) by the next ``AUTH`` command. The listener sets it from its faults."""
        self.mailboxes = mailboxes
        self.apop = apop
        self.greeting = greeting
        self.capabilities = None if capabilities is None else list(capabilities)
        self.capabilities_after_login = (
            None if capabilities_after_login is None else list(capabilities_after_login)
        )
        self.capa = capa
        self.login_delay = login_delay
        self.expire = expire
        self.clock = clock
        self.starttls = starttls
        self.tls = tls
        """True while the connection is encrypted (POP3S, or after :meth:`start_tls`)."""
        self.tls_pending = False
        """True between ``+OK`` to ``STLS`` and :meth:`start_tls`."""
        self.utf8 = False
        """True once ``UTF8`` was accepted (RFC 6856)."""
        self.state = State.AUTHORIZATION
        self.timestamp: str | None = None
        """The APOP timestamp of the greeting, once sent (None without APOP)."""
        self.user: str | None = None
        self.mailbox: Mailbox | None = None
        """The locked maildrop while in TRANSACTION."""
        self._fixed_timestamp = timestamp
        self._snapshot: list[Message] = []
        self._deleted: set[int] = set()  # 0-based indexes into _snapshot
        self._pending_user: str | None = None

    @property
    def logged_in(self) -> bool:
        return self.mailbox is not None

    @property
    def authenticating(self) -> bool:
        """True while an ``AUTH`` exchange waits for the client's next response."""
        return self.auth is not None

    @property
    def ended(self) -> bool:
        """True once ``QUIT`` was answered: the connection should close."""
        return self.state is State.UPDATE

    def advertised(self, state: State | None = None) -> list[str]:
        """The ``CAPA`` lines of ``state`` (default: the present one); empty without CAPA."""
        if not self.capa:
            return []
        state = self.state if state is None else state
        if state is State.TRANSACTION and self.capabilities_after_login is not None:
            return list(self.capabilities_after_login)
        if self.capabilities is not None:
            return list(self.capabilities)
        return default_capabilities(
            apop=self.apop,
            login_delay=self.login_delay,
            expire=self.expire,
            stls=self.starttls and not self.tls and state is State.AUTHORIZATION,
            sasl=self.sasl,
        )

    def advertises(self, name: str, state: State | None = None) -> bool:
        """True when ``CAPA`` in ``state`` (default: the present one) lists tag ``name``."""
        name = name.upper()
        return any(capability_name(line) == name for line in self.advertised(state))

    def refusal(self, code: str, text: str) -> bytes:
        """``-ERR [code] text``, or ``-ERR text`` when the capabilities of the present state
        do not allow the code: ``AUTH`` needs ``AUTH-RESP-CODE``, the others ``RESP-CODES``."""
        needs = "AUTH-RESP-CODE" if code.upper() == "AUTH" else "RESP-CODES"
        return _err(f"[{code}] {text}" if self.advertises(needs) else text)

    # -- the entry points -----------------------------------------------------------------
    def greet(self) -> bytes:
        """The greeting line; with APOP it holds this session's timestamp."""
        text = self.greeting
        if self.apop:
            self.timestamp = self._fixed_timestamp or _make_timestamp()
            text = f"{text} {self.timestamp}"
        return b"+OK " + text.encode("utf-8") + CRLF

    def handle(self, line: str | bytes) -> bytes:
        """The reply to one line (its line end optional): a command, or the client's
        response while an ``AUTH`` exchange runs."""
        if self.authenticating:
            return self.respond(line)
        keyword, args = parse_command(line)
        return self.execute(keyword, args)

    def execute(self, keyword: str, args: str) -> bytes:
        """The reply to ``keyword`` (upper case) with its argument text."""
        if self.ended:
            raise RuntimeError("the session has ended (QUIT was answered)")
        if self.tls_pending:
            raise RuntimeError("STLS was accepted: start_tls() (after the handshake) comes first")
        if self.authenticating:
            raise RuntimeError("an AUTH exchange runs: respond() takes the next line")
        command = self.COMMANDS.get(keyword)
        if command is None:
            return _err(f"unknown command {keyword[:40]}")
        if self.state not in command.states:
            return _err(_WRONG_STATE[self.state])
        handler: Callable[[str], bytes] = getattr(self, command.method)
        return handler(args)

    def start_tls(self) -> None:
        """The TLS handshake after ``+OK`` to ``STLS`` succeeded: the session is encrypted
        from now on. A ``USER`` sent before it is forgotten (RFC 2595: the client starts
        over); the state stays AUTHORIZATION."""
        if not self.tls_pending:
            raise RuntimeError("start_tls() without an accepted STLS")
        self.tls_pending = False
        self.tls = True
        self._pending_user = None

    def respond(self, line: str | bytes) -> bytes:
        """The reply to the client's response line in an ``AUTH`` exchange: the next
        ``+`` challenge, or the ``+OK`` / ``-ERR`` that ends it."""
        exchange = self.auth
        if exchange is None:
            raise RuntimeError("no AUTH exchange runs")
        if isinstance(line, (bytes, bytearray)):
            line = bytes(line).decode("utf-8", "surrogateescape")
        return self._auth_turn(exchange, exchange.respond(line.rstrip("\r\n")))

    def abandon_auth(self) -> None:
        """End the ``AUTH`` exchange in progress without a login (a fault answered the
        client's response instead of the session); the next line is a command."""
        if self.auth is not None:
            self.auth.abandon()
            self.auth = None

    def close(self) -> None:
        """The connection ended without ``QUIT``: unlock the maildrop, delete nothing."""
        self.abandon_auth()
        if self.mailbox is not None:
            self.mailbox.release(self)
            self.mailbox = None
        self.state = State.UPDATE

    # -- AUTHORIZATION --------------------------------------------------------------------
    def _user(self, args: str) -> bytes:
        if not args:
            return _err("USER needs a name")
        self._pending_user = args
        return _ok(f"send the password for {args[:40]}")

    def _pass(self, args: str) -> bytes:
        user, self._pending_user = self._pending_user, None
        if user is None:
            return _err("send USER first")
        box = self.mailboxes.get(user)
        if box is None or box.password != args:
            return self.refusal("AUTH", "invalid user name or password")
        return self._login(box)

    def _apop(self, args: str) -> bytes:
        if not self.apop or self.timestamp is None:
            return _err("APOP not available")
        user, _, digest = args.rpartition(" ")
        box = self.mailboxes.get(user)
        if box is None or digest != apop_digest(self.timestamp, box.password):
            return self.refusal("AUTH", "invalid user name or digest")
        return self._login(box)

    def _auth(self, args: str) -> bytes:
        deviations, self.sasl_deviations = self.sasl_deviations, None
        if not self.sasl:
            return _err("unknown command AUTH")
        if not args:  # the mechanisms, as a multi-line reply (Dovecot's habit)
            lines = [name.encode("ascii") + CRLF for name in self.sasl]
            return _multi(b"+OK SASL mechanisms follow", lines)
        name, separator, initial = args.partition(" ")
        mechanism = name.upper()
        if mechanism not in self.sasl:
            return _err(f"unsupported authentication mechanism {name[:40]}")
        if separator and (not initial or " " in initial):
            return _err("malformed AUTH command")
        exchange = AuthExchange(
            mechanism,
            self,
            cram_md5_challenge=self.cram_md5_challenge,
            scram_nonce=self.scram_nonce,
            deviations=deviations,
        )
        self.authentications.append(exchange.record)
        return self._auth_turn(exchange, exchange.begin(initial if separator else None))

    def _auth_turn(self, exchange: AuthExchange, turn: _sasl.Turn) -> bytes:
        """The reply of one turn of ``exchange``."""
        if isinstance(turn, _sasl.Continue):
            self.auth = exchange
            if not turn.payload:
                return b"+ " + CRLF if self.continuation_space else b"+" + CRLF
            return b"+ " + turn.payload + CRLF
        self.auth = None
        record = exchange.record
        if isinstance(turn, _sasl.Fail):
            return self.refusal(turn.code, turn.text) if turn.code else _err(turn.text)
        box = self.mailboxes.get(turn.user)
        if box is None:  # a token for a user without a maildrop
            record.outcome = "refused"
            return self.refusal("AUTH", "no maildrop for this user")
        reply = self._login(box)
        record.outcome = "success" if self.logged_in else "refused"
        return reply

    # -- what the SASL mechanisms ask about a user (nxpop3.testing.sasl.Accounts) ------------
    def password(self, user: str) -> str | None:
        """The password of ``user``; None for an unknown user."""
        box = self.mailboxes.get(user)
        return None if box is None else box.password

    def scram(self, user: str) -> ScramCredential | None:
        """The stored SCRAM-SHA-256 credential of ``user``; None for an unknown user."""
        box = self.mailboxes.get(user)
        return None if box is None else box.scram

    def token(self, user: str) -> str | None:
        """The OAuth bearer token of ``user``; None when it has none."""
        return self.tokens.get(user)

    def token_owner(self, token: str) -> str | None:
        """The user whose token ``token`` is (OAUTHBEARER without ``a=``)."""
        owners = [user for user, known in self.tokens.items() if known == token]
        return owners[0] if len(owners) == 1 else None

    def _login(self, box: Mailbox) -> bytes:
        snapshot = box.acquire(self)
        if snapshot is None:
            return self.refusal("IN-USE", "maildrop already locked")
        now = self.clock()
        last = box.last_login
        if self.login_delay and last is not None and now - last < self.login_delay:
            box.release(self)
            return self.refusal(
                "LOGIN-DELAY", f"wait {self.login_delay} seconds between logins"
            )
        box.last_login = now
        self.mailbox, self.user, self._snapshot = box, box.user, snapshot
        self.state = State.TRANSACTION
        count, octets = self._totals()
        return _ok(f"maildrop has {count} messages ({octets} octets)")

    # -- either state ---------------------------------------------------------------------
    def _capa(self, args: str) -> bytes:
        if not self.capa:
            return _err("unknown command CAPA")
        lines = [c.encode("utf-8") + CRLF for c in self.advertised()]
        return _multi(b"+OK capability list follows", lines)

    def _utf8(self, args: str) -> bytes:
        if not self.advertises("UTF8"):
            return _err("unknown command UTF8")
        if args:
            return _err("UTF8 takes no argument")
        self.utf8 = True
        return _ok("UTF8 enabled")

    def _stls(self, args: str) -> bytes:
        if not self.starttls and not self.tls:
            return _err("unknown command STLS")
        if self.tls:
            return _err("command not permitted when TLS active")
        if args:
            return _err("STLS takes no argument")
        self.tls_pending = True
        return _ok("Begin TLS negotiation")

    def _quit(self, args: str) -> bytes:
        self.state = State.UPDATE
        if self.mailbox is None:
            return _ok("nxpop3 test server signing off")
        box, self.mailbox = self.mailbox, None
        left = box.release(self, [self._snapshot[i] for i in self._deleted])
        return _ok(f"nxpop3 test server signing off ({left} messages left)")

    # -- TRANSACTION ----------------------------------------------------------------------
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

    def _listing(self, args: str, entry: Callable[[int, Message], str]) -> bytes:
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
        return _multi(f"+OK {count} messages ({octets} octets)".encode(), lines)

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


def _multi(status: bytes, lines: list[bytes]) -> bytes:
    return _body(status, b"".join(lines))


def apop_digest(timestamp: str, password: str) -> str:
    """RFC 1939 APOP digest: MD5 of the timestamp (brackets included) and the secret."""
    return hashlib.md5((timestamp + password).encode("utf-8")).hexdigest()


def _make_timestamp() -> str:
    return f"<{os.getpid()}.{time.monotonic_ns()}@{socket.gethostname() or 'localhost'}>"
