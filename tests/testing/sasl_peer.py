"""The client side of each SASL mechanism, written for the tests of the test server's
``AUTH`` from the RFCs with hmac, hashlib and base64 only (nothing of nxpop3), so the
server is checked against an independent peer.

Each function returns the octets of one client message; :class:`Scram` keeps the state
of a SCRAM-SHA-256 exchange. :func:`login` drives a whole exchange over any ``send``
(a line in, the server's reply line out): a ``Pop3Session`` or a socket.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def challenge_of(reply: bytes) -> bytes:
    """The decoded challenge of a ``+ base64`` continuation line."""
    assert reply.startswith(b"+"), reply
    return base64.b64decode(reply[1:].strip(), validate=True)


def plain(user: str, password: str, authzid: str = "") -> bytes:
    """RFC 4616: ``authzid NUL authcid NUL passwd``."""
    return f"{authzid}\0{user}\0{password}".encode()


def cram_md5(user: str, password: str, challenge: bytes) -> bytes:
    """RFC 2195: ``user SP hex(HMAC-MD5(password, challenge))``."""
    digest = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest()
    return f"{user} {digest}".encode()


def xoauth2(user: str, token: str) -> bytes:
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def oauthbearer(user: str | None, token: str, **extra: str) -> bytes:
    """RFC 7628: GS2 header, then ``key=value`` pairs each ended by %x01, then %x01."""
    header = f"n,a={user}," if user is not None else "n,,"
    pairs = "".join(f"{key}={value}\x01" for key, value in extra.items())
    return f"{header}\x01{pairs}auth=Bearer {token}\x01\x01".encode()


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


class Scram:
    """The client of one SCRAM-SHA-256 exchange (RFC 5802, RFC 7677)."""

    def __init__(self, user: str, password: str, nonce: str, gs2: str = "n,,") -> None:
        self.user, self.password, self.nonce, self.gs2 = user, password, nonce, gs2
        self.bare = f"n={user},r={nonce}"
        self.auth_message = b""
        self.salted = b""

    def first(self) -> bytes:
        return (self.gs2 + self.bare).encode()

    def final(self, server_first: bytes, *, password: str | None = None,
              nonce: str | None = None, binding: str | None = None) -> bytes:
        """The client-final message; the keyword arguments spoil one part of it."""
        fields = dict(item.split("=", 1) for item in server_first.decode().split(","))
        salt = base64.b64decode(fields["s"])
        self.salted = hashlib.pbkdf2_hmac(
            "sha256", (password or self.password).encode(), salt, int(fields["i"])
        )
        channel = binding if binding is not None else b64(self.gs2.encode())
        without_proof = f"c={channel},r={nonce or fields['r']}"
        self.auth_message = f"{self.bare},{server_first.decode()},{without_proof}".encode()
        client_key = _hmac(self.salted, b"Client Key")
        signature = _hmac(hashlib.sha256(client_key).digest(), self.auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        return f"{without_proof},p={b64(proof)}".encode()

    def verifies(self, server_final: bytes) -> bool:
        """True when ``v=`` is the signature of a server that knows the password."""
        expected = _hmac(_hmac(self.salted, b"Server Key"), self.auth_message)
        return server_final == b"v=" + base64.b64encode(expected)


def login(send: Callable[[str], bytes], mechanism: str, user: str, secret: str, *,
          initial: bool = True, nonce: str = "fyko+d2lbbFgONRv9qkxdawL") -> bytes:
    """One whole exchange as a correct client drives it; the last reply."""
    if mechanism == "CRAM-MD5":
        reply = send("AUTH CRAM-MD5")
        return send(b64(cram_md5(user, secret, challenge_of(reply))))
    if mechanism == "LOGIN":
        reply = send("AUTH LOGIN")
        assert challenge_of(reply) == b"Username:"
        assert challenge_of(send(b64(user.encode()))) == b"Password:"
        return send(b64(secret.encode()))
    scram = Scram(user, secret, nonce)
    first = {
        "PLAIN": lambda: plain(user, secret),
        "SCRAM-SHA-256": scram.first,
        "XOAUTH2": lambda: xoauth2(user, secret),
        "OAUTHBEARER": lambda: oauthbearer(user, secret),
    }[mechanism]()
    if initial:
        reply = send(f"AUTH {mechanism} {b64(first)}")
    else:
        assert send(f"AUTH {mechanism}") == b"+ \r\n"
        reply = send(b64(first))
    if mechanism != "SCRAM-SHA-256":
        return reply
    reply = send(b64(scram.final(challenge_of(reply))))
    assert scram.verifies(challenge_of(reply)), reply
    return send("")
