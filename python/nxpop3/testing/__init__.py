"""Test tools for POP3 clients: a scriptable POP3 server and a pytest plugin.

Pure Python: importing ``nxpop3.testing`` does not load the C extension.

Modules: ``server`` (the listener: :class:`Pop3Server`, per-connection :class:`Session`
and its transcript), ``channel`` (plain TCP or TLS under a connection), ``session``
(:class:`Pop3Session`, the socket-free POP3 state machine), ``sasl`` (the server side of
each SASL mechanism of ``AUTH``), ``faults`` (:class:`Fault` and how faults merge),
``mailstore`` (messages and mailboxes), ``certificates`` (a test CA for
TLS: :class:`CertificateAuthority`), ``dovecot`` (a real Dovecot for tests), ``plugin``
(the pytest plugin).
"""
from __future__ import annotations

from nxpop3.testing.certificates import CertificateAuthority
from nxpop3.testing.faults import HANDSHAKE, SASL, Fault
from nxpop3.testing.mailstore import (
    Mailbox,
    Message,
    MessageSource,
    load_messages,
    sample_messages,
    to_crlf,
)
from nxpop3.testing.sasl import SASL_MECHANISMS, AuthRecord, ScramCredential
from nxpop3.testing.server import CommandRecord, Pop3Server, Session
from nxpop3.testing.session import (
    DEFAULT_CAPABILITIES,
    Pop3Session,
    apop_digest,
    default_capabilities,
    dot_stuff,
)

__all__ = [
    "DEFAULT_CAPABILITIES",
    "HANDSHAKE",
    "SASL",
    "SASL_MECHANISMS",
    "AuthRecord",
    "CertificateAuthority",
    "CommandRecord",
    "Fault",
    "Mailbox",
    "Message",
    "MessageSource",
    "Pop3Server",
    "Pop3Session",
    "ScramCredential",
    "Session",
    "apop_digest",
    "default_capabilities",
    "dot_stuff",
    "load_messages",
    "sample_messages",
    "to_crlf",
]
