"""Which way to log in, decided before any credential is sent.

Pure functions over what the server offered (its CAPA and its greeting) and how
the connection is protected; ``Client`` asks them, then runs the one mechanism
chosen, with no fallback. The rules:

- With no mechanism named, the strongest the server offers: SCRAM-SHA-256,
  then CRAM-MD5, then APOP, then PLAIN, LOGIN and USER (a password in clear).
  The OAuth mechanisms (XOAUTH2, OAUTHBEARER) take a token, not a password, so
  they are used only when named.
- A mechanism named and not offered is an error before anything is sent: never
  a silent downgrade to another one.
- A password or token in clear (USER, PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) goes
  only over TLS or to a loopback address, unless the caller allows plain text:
  the rule Dovecot applies on the server side (``disable_plaintext_auth``) and
  Go's net/smtp on the client side.
"""
from __future__ import annotations

from collections.abc import Iterable

from . import codes
from .errors import AuthenticationError, BadArgument, PlaintextRefused

#: SASL mechanism name -> the C client's ``NX_POP3_SASL_*`` code.
SASL_CODES: dict[str, int] = {
    "PLAIN": codes.NX_POP3_SASL_PLAIN,
    "LOGIN": codes.NX_POP3_SASL_LOGIN,
    "CRAM-MD5": codes.NX_POP3_SASL_CRAM_MD5,
    "SCRAM-SHA-256": codes.NX_POP3_SASL_SCRAM_SHA_256,
    "XOAUTH2": codes.NX_POP3_SASL_XOAUTH2,
    "OAUTHBEARER": codes.NX_POP3_SASL_OAUTHBEARER,
}

#: Every mechanism a caller may name: the SASL ones, APOP and USER (USER/PASS).
MECHANISMS: frozenset[str] = frozenset({*SASL_CODES, "APOP", "USER"})

#: What is tried when none is named, strongest first.
AUTOMATIC_ORDER: tuple[str, ...] = ("SCRAM-SHA-256", "CRAM-MD5", "APOP", "PLAIN", "LOGIN", "USER")

#: The mechanisms that put the secret itself on the wire (base64 is not encryption).
CLEARTEXT: frozenset[str] = frozenset({"USER", "PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"})


def normalize(mechanism: str) -> str:
    """The canonical (upper-case) name; ``BadArgument`` for one this client lacks."""
    if not isinstance(mechanism, str):
        raise BadArgument(codes.NX_OPTION_ERROR, message="mechanism must be a str")
    name = mechanism.strip().upper()
    if name not in MECHANISMS:
        raise BadArgument(codes.NX_OPTION_ERROR,
                          message=f"unknown mechanism {mechanism!r}; one of "
                                  f"{', '.join(sorted(MECHANISMS))}")
    return name


def offered(capabilities: int, sasl_mask: int, apop_timestamp: bool) -> frozenset[str]:
    """What the server offers, from the C client's summary of its last CAPA
    (``NX_POP3_CAPABILITY_*``, the ``NX_POP3_SASL_*`` mask) and whether the
    greeting held an APOP timestamp. A server that answered CAPA with -ERR, or
    with nothing, is an RFC 1939 server: USER is assumed."""
    names = set()
    if capabilities & codes.NX_POP3_CAPABILITY_SASL:
        names = {name for name, code in SASL_CODES.items() if sasl_mask & (1 << code)}
    if apop_timestamp:
        names.add("APOP")
    listed = capabilities & ~codes.NX_POP3_CAPABILITY_ASKED
    if capabilities & codes.NX_POP3_CAPABILITY_USER or not listed:
        names.add("USER")
    return frozenset(names)


def choose(available: Iterable[str], mechanism: str | None, *, encrypted: bool, loopback: bool,
           allow_plaintext: bool) -> str:
    """The mechanism to log in with, or the error that says why there is none
    (nothing has been sent when it is raised)."""
    available = frozenset(available)
    clear_ok = encrypted or loopback or allow_plaintext
    advice = ("the connection is not encrypted and the server is not on this host: use "
              "tls=True or starttls=True, or allow_plaintext=True to send it anyway")
    if mechanism is not None:
        name = normalize(mechanism)
        if name not in available:
            error = AuthenticationError(
                codes.NX_POP3_MECHANISM_NOT_OFFERED,
                message=f"the server does not offer {name} (it offers "
                        f"{', '.join(sorted(available)) or 'nothing this client knows'}); "
                        "nothing was sent")
            error.mechanism = name
            raise error
        if name in CLEARTEXT and not clear_ok:
            error = PlaintextRefused(codes.NX_NOT_SUPPORTED,
                                     message=f"{name} would send the secret in clear: {advice}")
            error.mechanism = name
            raise error
        return name
    candidates = [name for name in AUTOMATIC_ORDER if name in available]
    usable = [name for name in candidates if clear_ok or name not in CLEARTEXT]
    if usable:
        return usable[0]
    if candidates:
        error = PlaintextRefused(
            codes.NX_NOT_SUPPORTED,
            message=f"the server offers only {', '.join(candidates)}, which send the password "
                    f"in clear: {advice}")
        error.mechanism = candidates[0]
        raise error
    raise AuthenticationError(codes.NX_POP3_MECHANISM_NOT_OFFERED,
                              message="the server offers no way to log in that this client "
                                      "knows; nothing was sent")
