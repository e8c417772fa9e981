"""The server side of SASL (RFC 4422) for the test server's ``AUTH`` command (RFC 5034).

Each mechanism is a small state machine over decoded octets: :meth:`start` takes the
initial response (None when the client sent none), :meth:`step` each later response, and
both answer a :class:`Challenge` (send it, wait for the next response), a
:class:`Verified` (the client proved who it is; ``final`` is the server's last word, sent
as one more challenge before ``+OK``, as RFC 5034 carries "success with additional
data") or a :class:`Refused`. :class:`AuthExchange` drives one mechanism through one
``AUTH`` command: base64 both ways, ``*`` to cancel, the empty response after a final
challenge, the client's answer to an error challenge, and the ways a faulty server
departs from all that (:class:`SaslDeviations`, set by the listener's faults).

Nothing here reads a socket; :class:`nxpop3.testing.session.Pop3Session` owns the
exchange and decides the ``+OK`` / ``-ERR`` lines.

SCRAM-SHA-256 (RFC 5802, RFC 7677) keeps no password: a :class:`ScramCredential` (salt,
iteration count, StoredKey, ServerKey) is derived when the user is added.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "SASL_MECHANISMS",
    "SCRAM_ITERATIONS",
    "AuthExchange",
    "AuthRecord",
    "Challenge",
    "Continue",
    "Fail",
    "Login",
    "Refused",
    "SaslDeviations",
    "ScramCredential",
    "Verified",
    "check_mechanisms",
    "cram_md5_digest",
    "make_cram_md5_challenge",
    "oauth_error",
]

SASL_MECHANISMS = ("SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER")
"""Every mechanism the test server can offer, strongest first."""

SCRAM_ITERATIONS = 4096
"""The PBKDF2 iteration count of a new SCRAM credential (RFC 7677's minimum)."""

_SCRAM_NONCE_OCTETS = 18  # random octets of the server's nonce part (24 base64 characters)
_SCRAM_SALT_OCTETS = 16
OAUTH_SCOPE = "pop3"
"""The ``scope`` of the OAuth error challenges."""


def check_mechanisms(names: Iterable[str] | str) -> tuple[str, ...]:
    """The mechanism names upper-cased, in order, each known and listed once;
    a string is a space-separated list (``"SCRAM-SHA-256 PLAIN"``)."""
    if isinstance(names, str):
        names = names.split()
    checked: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError("a SASL mechanism is a name (str)")
        upper = name.upper()
        if upper not in SASL_MECHANISMS:
            known = " ".join(SASL_MECHANISMS)
            raise ValueError(f"unknown SASL mechanism {name!r} (known: {known})")
        if upper in checked:
            raise ValueError(f"SASL mechanism {upper} listed twice")
        checked.append(upper)
    return tuple(checked)


# -- credentials ----------------------------------------------------------------------------

def _hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


@dataclass(frozen=True, repr=False)
class ScramCredential:
    """What a SCRAM-SHA-256 server stores for one user (RFC 5802 section 3), never the
    password: ``StoredKey = H(HMAC(SaltedPassword, "Client Key"))`` and
    ``ServerKey = HMAC(SaltedPassword, "Server Key")``, ``SaltedPassword`` being
    PBKDF2-HMAC-SHA-256 of the password over the salt."""

    salt: bytes
    iterations: int
    stored_key: bytes
    server_key: bytes

    @classmethod
    def derive(
        cls, password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
    ) -> ScramCredential:
        """The credential of ``password`` (UTF-8; no SASLprep: the test server's passwords
        are taken as given); a random 16-octet salt when ``salt`` is None."""
        if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
            raise ValueError("the SCRAM iteration count must be a positive integer")
        salt = secrets.token_bytes(_SCRAM_SALT_OCTETS) if salt is None else bytes(salt)
        if not salt:
            raise ValueError("the SCRAM salt must not be empty")
        salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
        client_key = _hmac_sha256(salted, b"Client Key")
        return cls(
            salt=salt,
            iterations=iterations,
            stored_key=hashlib.sha256(client_key).digest(),
            server_key=_hmac_sha256(salted, b"Server Key"),
        )

    def __repr__(self) -> str:  # the keys stand for the password: keep them out of logs
        return f"ScramCredential(salt={base64.b64encode(self.salt).decode()}, i={self.iterations})"


class Accounts(Protocol):
    """What a mechanism asks of the server about a user."""

    def password(self, user: str) -> str | None: ...
    def scram(self, user: str) -> ScramCredential | None: ...
    def token(self, user: str) -> str | None: ...
    def token_owner(self, token: str) -> str | None: ...


# -- what a mechanism answers -----------------------------------------------------------------

@dataclass(frozen=True)
class Challenge:
    """Send ``data`` (base64-encoded after ``+ ``) and wait for the client's response."""

    data: bytes


@dataclass(frozen=True)
class Verified:
    """The client authenticated as ``user``. ``final``: the server's additional data
    (SCRAM's ``v=``), sent as a challenge that the client answers with an empty line."""

    user: str
    final: bytes | None = None


@dataclass(frozen=True)
class Refused:
    """The exchange fails: ``-ERR [code] text`` (no code when ``code`` is None).
    ``challenge``: an error challenge sent first (OAuth's JSON), ``expect`` the client's
    answer to it (``b""`` for XOAUTH2, ``b"\\x01"`` for OAUTHBEARER)."""

    text: str
    code: str | None = "AUTH"
    challenge: bytes | None = None
    expect: bytes | None = None
    outcome: str = "refused"
    """What :attr:`AuthRecord.outcome` says: ``"invalid"`` for a malformed message."""


Step = Challenge | Verified | Refused

_BAD_CREDENTIALS = "authentication failed"


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _malformed(mechanism: str) -> Refused:
    return Refused(f"malformed {mechanism} response", code=None, outcome="invalid")


class Mechanism:
    """One mechanism's side of one exchange."""

    name = ""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    def start(self, initial: bytes | None) -> Step:
        """The answer to ``AUTH`` with ``initial`` (None: no initial response): by default
        an empty challenge asking for the client's first message."""
        return Challenge(b"") if initial is None else self.step(initial)

    def step(self, data: bytes) -> Step:
        raise NotImplementedError

    def _password_ok(self, user: str, password: str) -> bool:
        stored = self.accounts.password(user)
        return stored is not None and hmac.compare_digest(
            stored.encode("utf-8"), password.encode("utf-8")
        )


class Plain(Mechanism):
    """RFC 4616: ``authzid NUL authcid NUL passwd``; authzid empty or the user itself."""

    name = "PLAIN"

    def step(self, data: bytes) -> Step:
        parts = data.split(b"\0")
        texts = [_utf8(part) for part in parts]
        if len(parts) != 3 or None in texts or not parts[1]:
            return _malformed(self.name)
        authzid, user, password = (t or "" for t in texts)
        if authzid and authzid != user:
            return Refused(f"{user[:40]} may not act as {authzid[:40]}")
        if not self._password_ok(user, password):
            return Refused(_BAD_CREDENTIALS)
        return Verified(user)


class Login(Mechanism):
    """The LOGIN mechanism (draft-murchison-sasl-login): ``Username:``, ``Password:``. An
    initial response is taken as the user name, as Dovecot does."""

    name = "LOGIN"

    def __init__(self, accounts: Accounts) -> None:
        super().__init__(accounts)
        self.user: str | None = None

    def start(self, initial: bytes | None) -> Step:
        return Challenge(b"Username:") if initial is None else self.step(initial)

    def step(self, data: bytes) -> Step:
        text = _utf8(data)
        if text is None:
            return _malformed(self.name)
        if self.user is None:
            self.user = text
            return Challenge(b"Password:")
        if not self._password_ok(self.user, text):
            return Refused(_BAD_CREDENTIALS)
        return Verified(self.user)


def make_cram_md5_challenge() -> str:
    """A fresh RFC 2195 challenge: ``<random.timestamp@host>``."""
    host = socket.gethostname() or "localhost"
    return f"<{secrets.randbelow(10**10)}.{time.time_ns()}@{host}>"


def cram_md5_digest(challenge: str, password: str) -> str:
    """RFC 2195: HMAC-MD5 of the challenge keyed with the password, 32 lowercase hex."""
    return hmac.new(password.encode("utf-8"), challenge.encode("utf-8"), hashlib.md5).hexdigest()


class CramMd5(Mechanism):
    """RFC 2195: the server's challenge, then ``user SP hex(HMAC-MD5(password, challenge))``."""

    name = "CRAM-MD5"

    def __init__(self, accounts: Accounts, challenge: str | None = None) -> None:
        super().__init__(accounts)
        self.challenge = challenge or make_cram_md5_challenge()

    def start(self, initial: bytes | None) -> Step:
        if initial is not None:  # the server speaks first
            return Refused("CRAM-MD5 takes no initial response", code=None, outcome="invalid")
        return Challenge(self.challenge.encode("utf-8"))

    def step(self, data: bytes) -> Step:
        text = _utf8(data)
        if text is None or " " not in text:
            return _malformed(self.name)
        user, _, digest = text.rpartition(" ")
        password = self.accounts.password(user)
        if password is None or not hmac.compare_digest(
            digest.encode("utf-8"), cram_md5_digest(self.challenge, password).encode("ascii")
        ):
            return Refused(_BAD_CREDENTIALS)
        return Verified(user)


def _saslname(text: str) -> str | None:
    """RFC 5802 ``saslname``: ``=2C`` is ``,`` and ``=3D`` is ``=``; any other ``=`` or a
    ``,`` makes it invalid (None)."""
    if "," in text:
        return None
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "=":
            code = text[index + 1 : index + 3]
            if code not in ("2C", "3D"):
                return None
            out.append("," if code == "2C" else "=")
            index += 3
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _gs2_header(text: str) -> tuple[str, str | None, str] | Refused:
    """``(cbind-flag, authzid or None, rest)`` of a GS2 header at the start of ``text``;
    channel binding ``p=`` refused (the test server offers no -PLUS mechanism)."""
    malformed = Refused("malformed GS2 header", code=None, outcome="invalid")
    parts = text.split(",", 2)
    if len(parts) != 3:
        return malformed
    flag, authzid, rest = parts
    if flag.startswith("p="):
        return Refused("channel binding is not supported", code=None)
    if flag not in ("n", "y"):  # "y": the client could bind but thinks we cannot: right
        return malformed
    if not authzid:
        return flag, None, rest
    name = _saslname(authzid[2:]) if authzid.startswith("a=") else None
    if not name:
        return malformed
    return flag, name, rest


def _attributes(text: str) -> list[tuple[str, str]] | None:
    """``[(letter, value)]`` of ``a=v,b=w``; None when one is not ``letter=value``."""
    found = []
    for item in text.split(","):
        if len(item) < 2 or item[1] != "=" or not item[0].isalpha():
            return None
        found.append((item[0], item[2:]))
    return found


def _printable_nonce(nonce: str) -> bool:
    return bool(nonce) and all(0x21 <= ord(c) <= 0x7E and c != "," for c in nonce)


class ScramSha256(Mechanism):
    """RFC 5802 / RFC 7677 SCRAM-SHA-256 without channel binding.

    ``client-first``: GS2 header (``n,,`` or ``y,,``, optionally ``a=user``) then
    ``n=user,r=nonce``. ``server-first``: ``r=nonce+ours,s=salt,i=count``.
    ``client-final``: ``c=biws,r=nonce,p=proof``, the proof checked against StoredKey.
    The server's ``v=`` signature is :attr:`Verified.final`.
    """

    name = "SCRAM-SHA-256"

    def __init__(self, accounts: Accounts, server_nonce: str | None = None) -> None:
        super().__init__(accounts)
        self.server_nonce = server_nonce or base64.b64encode(
            secrets.token_bytes(_SCRAM_NONCE_OCTETS)
        ).decode("ascii")
        self.user: str | None = None
        self.nonce = ""
        self.gs2_header = ""
        self.client_first_bare = ""
        self.server_first = ""
        self.credential: ScramCredential | None = None

    def step(self, data: bytes) -> Step:
        text = _utf8(data)
        if text is None:
            return _malformed(self.name)
        if self.credential is None:
            return self._client_first(text)
        return self._client_final(text)

    def _client_first(self, text: str) -> Step:
        header = _gs2_header(text)
        if isinstance(header, Refused):
            return header
        _, authzid, bare = header
        attributes = _attributes(bare)
        if attributes is None or len(attributes) < 2 or attributes[0][0] == "m":
            return _malformed(self.name)  # "m=": an extension we must refuse (RFC 5802)
        (n_key, n_value), (r_key, client_nonce) = attributes[:2]
        user = _saslname(n_value)
        if n_key != "n" or r_key != "r" or not user or not _printable_nonce(client_nonce):
            return _malformed(self.name)
        if authzid is not None and authzid != user:
            return Refused(f"{user[:40]} may not act as {authzid[:40]}")
        credential = self.accounts.scram(user)
        if credential is None:
            return Refused(_BAD_CREDENTIALS)
        self.user, self.credential = user, credential
        self.gs2_header = text[: len(text) - len(bare)]
        self.client_first_bare = bare
        self.nonce = client_nonce + self.server_nonce
        salt = base64.b64encode(credential.salt).decode("ascii")
        self.server_first = f"r={self.nonce},s={salt},i={credential.iterations}"
        return Challenge(self.server_first.encode("ascii"))

    def _client_final(self, text: str) -> Step:
        assert self.credential is not None and self.user is not None
        without_proof, separator, proof_text = text.rpartition(",p=")
        attributes = _attributes(without_proof) if separator else None
        if attributes is None or len(attributes) < 2:
            return _malformed(self.name)
        (c_key, binding), (r_key, nonce) = attributes[:2]
        if c_key != "c" or r_key != "r":
            return _malformed(self.name)
        if _b64decode(binding) != self.gs2_header.encode("utf-8"):
            return Refused("channel binding data do not match the GS2 header", code=None)
        if nonce != self.nonce:
            return Refused("the nonce is not the one of this exchange", code=None)
        proof = _b64decode(proof_text)
        if proof is None or len(proof) != hashlib.sha256().digest_size:
            return _malformed(self.name)
        auth_message = ",".join(
            (self.client_first_bare, self.server_first, without_proof)
        ).encode("utf-8")
        signature = _hmac_sha256(self.credential.stored_key, auth_message)
        client_key = bytes(a ^ b for a, b in zip(proof, signature))
        if not hmac.compare_digest(hashlib.sha256(client_key).digest(), self.credential.stored_key):
            return Refused(_BAD_CREDENTIALS)
        server_signature = _hmac_sha256(self.credential.server_key, auth_message)
        return Verified(self.user, final=b"v=" + base64.b64encode(server_signature))


def oauth_error(mechanism: str) -> bytes:
    """The JSON error challenge of a refused token: Google's XOAUTH2 form, or RFC 7628's
    (section 3.2.2) for OAUTHBEARER."""
    if mechanism == "XOAUTH2":
        fields = {"status": "401", "schemes": "bearer", "scope": OAUTH_SCOPE}
    else:
        fields = {"status": "invalid_token", "scope": OAUTH_SCOPE}
    return json.dumps(fields, separators=(",", ":")).encode("ascii")


class OAuthMechanism(Mechanism):
    """What XOAUTH2 and OAUTHBEARER share: a bearer token checked against the user's."""

    answer = b""
    """The client's answer to the error challenge."""

    def _check(self, user: str | None, auth: str) -> Step:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _malformed(self.name)
        if user is None:  # OAUTHBEARER without a=: the token says who it is
            user = self.accounts.token_owner(token)
        expected = None if user is None else self.accounts.token(user)
        if user is None or expected is None or not hmac.compare_digest(
            expected.encode("utf-8"), token.encode("utf-8")
        ):
            return Refused(
                "invalid token", challenge=oauth_error(self.name), expect=self.answer
            )
        return Verified(user)


def _key_values(data: bytes) -> dict[str, str] | None:
    """``key=value`` pairs each ended by ``%x01``, then one more ``%x01``; None when
    malformed."""
    if not data.endswith(b"\x01\x01"):
        return None
    pairs: dict[str, str] = {}
    for item in data[:-2].split(b"\x01"):
        text = _utf8(item)
        if text is None or "=" not in text:
            return None
        key, _, value = text.partition("=")
        pairs[key] = value
    return pairs


class XOAuth2(OAuthMechanism):
    """Google's XOAUTH2: ``user=U %x01 auth=Bearer TOKEN %x01 %x01``; a bad token gets
    the JSON error challenge, the client's empty response, then ``-ERR``."""

    name = "XOAUTH2"

    def step(self, data: bytes) -> Step:
        pairs = _key_values(data)
        if pairs is None or not pairs.get("user") or "auth" not in pairs:
            return _malformed(self.name)
        return self._check(pairs["user"], pairs["auth"])


class OAuthBearer(OAuthMechanism):
    """RFC 7628: GS2 header (``n,a=user,``) then ``%x01``-ended ``key=value`` pairs with
    ``auth=Bearer TOKEN``; a bad token gets the JSON error challenge, the client's
    ``%x01``, then ``-ERR``."""

    name = "OAUTHBEARER"
    answer = b"\x01"

    def step(self, data: bytes) -> Step:
        text = _utf8(data)
        if text is None:
            return _malformed(self.name)
        head, separator, _ = text.partition("\x01")
        if not separator or not head.endswith(","):
            return _malformed(self.name)
        header = _gs2_header(head)
        if isinstance(header, Refused):
            return header
        pairs = _key_values(data[len(head.encode("utf-8")) + 1 :])
        if pairs is None or "auth" not in pairs:
            return _malformed(self.name)
        return self._check(header[1], pairs["auth"])


_MECHANISM_CLASSES: dict[str, type[Mechanism]] = {
    cls.name: cls for cls in (Plain, Login, CramMd5, ScramSha256, XOAuth2, OAuthBearer)
}


# -- one exchange -------------------------------------------------------------------------------

@dataclass
class SaslDeviations:
    """How one exchange departs from the protocol: a server with a bug, or an impostor.
    The listener makes one from the SASL knobs of the faults on ``AUTH``
    (see :meth:`nxpop3.testing.Pop3Server.fault`)."""

    challenge: bytes | None = None
    """Sent after ``+ `` instead of every challenge, verbatim (e.g. not base64)."""
    challenge_size: int | None = None
    """Every challenge replaced by valid base64 of this many octets (rounded down to a
    multiple of 4), e.g. 100 000: longer than any client buffer."""
    signature: str | None = None
    """SCRAM: ``"wrong"``, a ``v=`` that does not verify; ``"missing"``, ``+OK`` right
    after the client-final message, without a server-final message."""
    server_error: str | None = None
    """SCRAM: the server-final message is ``e=<this>``; ``-ERR`` whatever the answer."""
    auth_err: str | None = None
    """``-ERR <this>`` where the exchange would succeed (``"[SYS/TEMP] later"``)."""
    extra_challenge: bytes | None = None
    """One more challenge (these octets, base64-encoded) where the exchange would
    succeed; ``-ERR`` after the client's answer."""

    def __post_init__(self) -> None:
        if self.signature not in (None, "wrong", "missing"):
            raise ValueError('signature is "wrong" or "missing"')
        if self.challenge_size is not None and self.challenge_size < 0:
            raise ValueError("challenge_size must be >= 0")
        for name in ("challenge", "extra_challenge"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, value.encode("utf-8"))


@dataclass(frozen=True)
class Continue:
    """The session sends ``+ payload`` (``payload`` as it goes on the wire)."""

    payload: bytes


@dataclass(frozen=True)
class Login:
    """The session logs ``user`` in (``+OK``), or refuses as its maildrop rules say."""

    user: str


@dataclass(frozen=True)
class Fail:
    """The session answers ``-ERR [code] text`` (``code`` only where the capabilities
    allow it; none when None) and the exchange is over."""

    text: str
    code: str | None = None


Turn = Continue | Login | Fail


@dataclass(eq=False)
class AuthRecord:
    """One ``AUTH`` exchange as the client drove it, for tests to assert on. ``repr``
    leaves out what the client sent: it carries credentials."""

    mechanism: str
    initial_response: str | None = field(default=None, repr=False)
    """The initial response as sent (base64, or ``"="`` for an empty one); None when the
    client sent none."""
    responses: list[str] = field(default_factory=list, repr=False)
    """Each later line the client sent in the exchange, as sent (``"*"`` to cancel)."""
    challenges: int = 0
    """How many ``+`` continuation lines the server sent."""
    outcome: str | None = None
    """None while in progress, then ``"success"``, ``"refused"`` (``-ERR`` about the
    credentials, a fault or the maildrop), ``"cancelled"`` (the client's ``*``),
    ``"invalid"`` (a response that is not base64 or not what the mechanism expects) or
    ``"abandoned"`` (the connection ended, or a fault cut the exchange)."""
    user: str | None = None
    """Who logged in (``"success"``)."""

    @property
    def cancelled(self) -> bool:
        return self.outcome == "cancelled"


def _b64decode(text: str) -> bytes | None:
    """The octets of ``text`` in canonical base64 (RFC 4648: padded to a multiple of 4,
    no other character, zero pad bits); None otherwise."""
    try:
        encoded = text.encode("ascii")
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return data if base64.b64encode(data) == encoded else None


def _b64encode(data: bytes) -> bytes:
    return base64.b64encode(data)


def _filler(size: int) -> bytes:
    """Valid base64 of ``size`` octets, rounded down to a multiple of 4."""
    return base64.b64encode(os.urandom(size // 4 * 3))


class AuthExchange:
    """One ``AUTH`` command's exchange, from the mechanism name to ``+OK`` or ``-ERR``.

    :meth:`begin` answers the ``AUTH`` line, :meth:`respond` each later line; each gives
    a :class:`Turn` for the session to render. :attr:`done` once a Login or Fail was
    given.
    """

    def __init__(
        self,
        mechanism: str,
        accounts: Accounts,
        *,
        cram_md5_challenge: str | None = None,
        scram_nonce: str | None = None,
        deviations: SaslDeviations | None = None,
    ) -> None:
        self.record = AuthRecord(mechanism)
        self.deviations = deviations or SaslDeviations()
        cls = _MECHANISM_CLASSES[mechanism]
        if cls is CramMd5:
            self.mechanism: Mechanism = CramMd5(accounts, cram_md5_challenge)
        elif cls is ScramSha256:
            self.mechanism = ScramSha256(accounts, scram_nonce)
        else:
            self.mechanism = cls(accounts)
        self.done = False
        self._extra_sent = False
        self._after: Callable[[bytes], Turn] | None = None  # what answers the next line

    # -- the client's lines ---------------------------------------------------------------
    def begin(self, initial: str | None) -> Turn:
        """The answer to ``AUTH MECH [initial]``."""
        self.record.initial_response = initial
        if initial is None:
            return self._take(self.mechanism.start(None))
        data = b"" if initial == "=" else _b64decode(initial)
        if data is None:
            return self._invalid("the initial response is not valid base64")
        return self._take(self.mechanism.start(data))

    def respond(self, line: str) -> Turn:
        """The answer to one response line (line end removed)."""
        if self.done:
            raise RuntimeError("the exchange is over")
        self.record.responses.append(line)
        if line == "*":
            self.done = True
            self.record.outcome = "cancelled"
            return Fail("authentication cancelled")
        data = _b64decode(line)
        if data is None:
            return self._invalid("the response is not valid base64")
        after, self._after = self._after, None
        if after is not None:
            return after(data)
        return self._take(self.mechanism.step(data))

    def abandon(self) -> None:
        """The exchange ends here (the connection closed, a fault refused the line)."""
        if not self.done:
            self.done = True
            self.record.outcome = "abandoned"

    # -- the mechanism's steps ------------------------------------------------------------------
    def _take(self, step: Step) -> Turn:
        deviations = self.deviations
        if isinstance(step, Challenge):
            return self._challenge(step.data)
        if isinstance(step, Refused):
            if step.challenge is None:
                return self._fail(step.text, step.code, step.outcome)
            expect = step.expect if step.expect is not None else b""
            self._after = lambda data: self._fail(
                step.text if data == expect else f"{step.text} (and a wrong answer "
                "to the error challenge)", step.code
            )
            return self._challenge(step.challenge)
        self.record.user = step.user
        if step.final is not None and deviations.signature != "missing":
            if deviations.server_error is not None:
                self._after = lambda data: self._fail(_BAD_CREDENTIALS, "AUTH")
                return self._challenge(b"e=" + deviations.server_error.encode("utf-8"))
            final = _spoil(step.final) if deviations.signature == "wrong" else step.final
            self._after = lambda data: (
                self._success(step.user) if data == b"" else self._invalid(
                    "expected an empty response to the server's final message"
                )
            )
            return self._challenge(final)
        return self._success(step.user)

    def _success(self, user: str) -> Turn:
        deviations = self.deviations
        extra = deviations.extra_challenge
        if extra is not None and not self._extra_sent:
            self._extra_sent = True  # one extra challenge, then the end
            self._after = lambda data: self._fail(
                deviations.auth_err or _BAD_CREDENTIALS,
                None if deviations.auth_err else "AUTH",
            )
            return self._challenge(extra)
        if deviations.auth_err is not None:
            return self._fail(deviations.auth_err, None, "refused")
        self.done = True
        return Login(user)

    def _challenge(self, data: bytes) -> Turn:
        deviations = self.deviations
        self.record.challenges += 1
        if deviations.challenge is not None:
            return Continue(deviations.challenge)
        if deviations.challenge_size is not None:
            return Continue(_filler(deviations.challenge_size))
        return Continue(_b64encode(data))

    def _fail(self, text: str, code: str | None, outcome: str = "refused") -> Turn:
        self.done = True
        self.record.outcome = outcome
        return Fail(text, code)

    def _invalid(self, text: str) -> Turn:
        return self._fail(text, None, "invalid")


def _spoil(final: bytes) -> bytes:
    """A SCRAM ``v=`` whose signature does not verify: its first octet flipped."""
    signature = bytearray(base64.b64decode(final[2:]))
    signature[0] ^= 0xFF
    return b"v=" + base64.b64encode(bytes(signature))
