"""What a fault of the test server is: its knobs, which replies it bends, how faults merge.

A :class:`Fault` is made by :meth:`nxpop3.testing.Pop3Server.fault` and kept in the
server's :class:`FaultList`. For each reply the listener takes the matching faults and
merges them into one :class:`Effect`. The effect rewrites the reply's bytes (``err``,
``lines``, ``status_line``, ``raw``, ``inject``: :meth:`Effect.refusal`,
:meth:`Effect.rewrite`) and tells the listener how to put it on the wire (``split``,
``pause``, ``delay``, ``close_after``, ``reset``, ``silent``).

On a TLS server the pseudo-command :data:`HANDSHAKE` names the server's side of each TLS
handshake (POP3S: before the greeting; STLS: after its ``+OK``): the wire knobs act on the
handshake's bytes there (see ``docs/testing.md``). ``"*"`` does not match it.

In an ``AUTH`` exchange (RFC 5034) the reply to the ``AUTH`` line matches ``"AUTH"`` (or
``"AUTH MECH"``: the initial response is not matched), and the reply to each later line
of the client matches the pseudo-command :data:`SASL` (``"SASL MECH"``). The SASL knobs
(``challenge``, ``challenge_size``, ``signature``, ``server_error``, ``auth_err``,
``extra_challenge``) are read from the faults on ``AUTH`` and bend the whole exchange
that line starts (:meth:`Effect.deviations`); ``endless_challenge`` answers ``AUTH``
with a continuation line that never ends.

A new knob is a field of :class:`Knobs` (checked in ``__post_init__``), a parameter of
``Pop3Server.fault``, and the code that acts on it: here when it changes the bytes, in
``nxpop3.testing.server.Session`` when it changes how they are sent.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields

from nxpop3.testing.sasl import SaslDeviations

__all__ = [
    "HANDSHAKE",
    "SASL",
    "SASL_KNOBS",
    "Effect",
    "Fault",
    "FaultList",
    "Knobs",
    "LineRewrite",
    "rewrite_lines",
]

HANDSHAKE = "HANDSHAKE"
"""The pseudo-command of a fault on the server's TLS handshake; ``"*"`` leaves it alone."""

SASL = "SASL"
"""The pseudo-command of the replies to the client's lines inside an ``AUTH`` exchange
(after the ``AUTH`` line); its argument is the mechanism (``"SASL SCRAM-SHA-256"``)."""

SASL_KNOBS = (
    "challenge",
    "challenge_size",
    "signature",
    "server_error",
    "auth_err",
    "extra_challenge",
)
"""The knobs that bend an ``AUTH`` exchange (fields of :class:`SaslDeviations`)."""

LineRewrite = Mapping[int, bytes | str | None] | Callable[[list[bytes]], list[bytes]]
"""The ``lines`` knob: ``{k: replacement}`` (line ``k`` of the body, 1-based, negative
from the end; ``None`` removes it) or a function from the body lines to new lines."""


@dataclass
class Knobs:
    """The ways a reply can be bent (see :meth:`nxpop3.testing.Pop3Server.fault`)."""

    err: str | None = None
    raw: bytes | None = None
    status_line: bytes | None = None
    lines: LineRewrite | None = None
    split: int | tuple[int, ...] | None = None
    pause: float | None = None
    delay: float | None = None
    close_after: int | None = None
    reset: bool = False
    silent: bool = False
    inject: bytes | None = None
    challenge: bytes | None = None
    challenge_size: int | None = None
    signature: str | None = None
    server_error: str | None = None
    auth_err: str | None = None
    extra_challenge: bytes | None = None
    endless_challenge: bool = False

    def __post_init__(self) -> None:
        self.deviations()  # checks the SASL knobs
        for name in ("challenge", "extra_challenge"):
            value = getattr(self, name)
            if value is not None:
                text = isinstance(value, str)
                setattr(self, name, value.encode("utf-8") if text else bytes(value))
        if self.inject is not None:
            self.inject = bytes(self.inject)
        if isinstance(self.status_line, str):
            self.status_line = self.status_line.encode("utf-8")
        if self.raw is not None:
            self.raw = bytes(self.raw)
        if self.split is not None:
            sizes = (self.split,) if isinstance(self.split, int) else tuple(self.split)
            if not sizes or any(s < 1 for s in sizes):
                raise ValueError("split sizes must be positive")
            if not isinstance(self.split, int):
                self.split = sizes
        if self.close_after is not None and self.close_after < 0:
            raise ValueError("close_after must be >= 0")
        if self.lines is not None and not callable(self.lines):
            self.lines = _line_map(self.lines)

    def deviations(self) -> SaslDeviations | None:
        """The SASL knobs as the :class:`SaslDeviations` of one exchange; None when none
        is set."""
        values = {name: getattr(self, name) for name in SASL_KNOBS}
        if all(value is None for value in values.values()):
            return None
        return SaslDeviations(**values)


def _line_map(lines: Mapping[int, bytes | str | None]) -> dict[int, bytes | None]:
    checked: dict[int, bytes | None] = {}
    for key, value in dict(lines).items():
        if not isinstance(key, int) or isinstance(key, bool) or key == 0:
            raise ValueError("lines keys are line numbers: 1, 2, ... or -1, -2, ...")
        if isinstance(value, str):
            value = value.encode("utf-8")
        if value is not None and not isinstance(value, (bytes, bytearray)):
            raise TypeError("a replacement line is bytes, text or None")
        checked[key] = None if value is None else bytes(value)
    return checked


def _with_line_end(line: bytes) -> bytes:
    return line if line.endswith(b"\n") else line + b"\r\n"


def rewrite_lines(reply: bytes, rewrite: LineRewrite) -> bytes:
    """``reply`` with the body lines of a multi-line ``+OK`` reply rewritten.

    The lines are the body as sent (dot-stuffed), between the status line and the
    terminating ``.``, without their CRLF. A replacement gets CRLF added unless it ends
    in LF; so does each line a function returns. A single-line reply, a ``-ERR`` and a
    line number past the body leave the reply unchanged.
    """
    status_end = reply.find(b"\r\n")
    if status_end < 0 or not reply.startswith(b"+OK"):
        return reply
    status, rest = reply[: status_end + 2], reply[status_end + 2 :]
    if rest == b".\r\n":
        body: list[bytes] = []
    elif rest.endswith(b"\r\n.\r\n"):
        body = rest[:-3].split(b"\r\n")[:-1]
    else:
        return reply
    if callable(rewrite):
        out = b"".join(_with_line_end(bytes(line)) for line in rewrite(list(body)))
    else:
        sent = [line + b"\r\n" for line in body]
        for key, value in _line_map(rewrite).items():
            index = key - 1 if key > 0 else len(body) + key
            if 0 <= index < len(body):
                sent[index] = b"" if value is None else _with_line_end(value)
        out = b"".join(sent)
    return status + out + b".\r\n"


@dataclass(kw_only=True)
class Fault(Knobs):
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
    _owner: FaultList | None = field(default=None, repr=False, compare=False)

    @property
    def active(self) -> bool:
        """False once the fault has been used ``times`` times or removed."""
        return self._owner is not None and (self.times is None or self.hits < self.times)

    def remove(self) -> None:
        """Stop applying this fault."""
        if self._owner is not None:
            self._owner.remove(self)

    def matches(self, keyword: str, args: str) -> bool:
        """True when this fault is about the reply to ``keyword args``."""
        pattern = self.command
        if pattern == "*":
            return keyword != HANDSHAKE
        word, _, want = pattern.partition(" ")
        if word.upper() != keyword:
            return False
        return not want or want.split() == args.split()


@dataclass
class Effect(Knobs):
    """The knobs of every fault matching one reply, merged: each from the latest
    fault that sets it; ``reset`` and ``silent`` when any fault sets them."""

    @classmethod
    def merge(cls, faults: Sequence[Fault]) -> Effect:
        effect = cls()
        for fault in faults:
            for knob in fields(Knobs):
                value = getattr(fault, knob.name)
                if isinstance(value, bool):
                    value = value or getattr(effect, knob.name)
                if value is not None:
                    setattr(effect, knob.name, value)
        return effect

    @property
    def plain(self) -> bool:
        """True when no knob changes how the reply goes on the wire (only its bytes)."""
        return (
            self.split is None
            and not self.pause
            and not self.delay
            and self.close_after is None
            and not self.reset
            and not self.silent
            and not self.endless_challenge
        )

    def refusal(self) -> bytes:
        """The ``-ERR`` line sent instead of carrying out the command (``err`` is set)."""
        text = self.err or ""
        return b"-ERR" + (b" " + text.encode("utf-8") if text else b"") + b"\r\n"

    def rewrite(self, reply: bytes) -> bytes:
        """The reply with ``lines``, ``status_line``, ``raw`` and ``inject`` applied, in
        that order."""
        if self.lines is not None:
            reply = rewrite_lines(reply, self.lines)
        if self.status_line is not None:
            line_end = reply.find(b"\r\n")
            rest = reply[line_end + 2 :] if line_end >= 0 else b""
            status = self.status_line
            reply = status + (b"" if status.endswith(b"\n") else b"\r\n") + rest
        if self.raw is not None:
            reply = self.raw
        if self.inject is not None:
            reply += self.inject
        return reply

    def segments(self, data: bytes) -> Iterator[bytes]:
        """``data`` cut as ``split`` says: one ``send`` per segment."""
        split = self.split
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


class FaultList:
    """The faults of one server, in the order they were added. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Start applying ``fault``; returns it."""
        with self._lock:
            fault._owner = self
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            fault._owner = None
            self._faults = [f for f in self._faults if f is not fault]

    def clear(self) -> None:
        with self._lock:
            for fault in self._faults:
                fault._owner = None
            self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def take(self, keyword: str, args: str) -> Effect:
        """The merged effect of the faults that bend this reply; counts their hits."""
        taken = []
        with self._lock:
            for fault in self._faults:
                if not fault.active or not fault.matches(keyword, args):
                    continue
                if fault._skipped < fault.skip:
                    fault._skipped += 1
                    continue
                fault.hits += 1
                taken.append(fault)
        return Effect.merge(taken)
