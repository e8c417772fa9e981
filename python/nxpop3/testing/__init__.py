"""Test tools for POP3 clients: a scriptable POP3 server and a pytest plugin.

Pure Python: importing ``nxpop3.testing`` does not load the C extension.
"""
from __future__ import annotations

from nxpop3.testing.mailstore import (
    Mailbox,
    Message,
    MessageSource,
    load_messages,
    sample_messages,
    to_crlf,
)
from nxpop3.testing.server import (
    DEFAULT_CAPABILITIES,
    Fault,
    Pop3Server,
    Session,
    apop_digest,
    dot_stuff,
)

__all__ = [
    "DEFAULT_CAPABILITIES",
    "Fault",
    "Mailbox",
    "Message",
    "MessageSource",
    "Pop3Server",
    "Session",
    "apop_digest",
    "dot_stuff",
    "load_messages",
    "sample_messages",
    "to_crlf",
]
