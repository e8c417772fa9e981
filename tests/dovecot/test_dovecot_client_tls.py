"""nxpop3.Client over TLS against a real Dovecot (its certificate from the test
CA): POP3S on the fixture's TLS port and STLS on its plain port, verification
on, byte-exact, a 50 MB message streamed over TLS, and the refusals."""
from __future__ import annotations

import hashlib
import ssl
from collections.abc import Callable
from typing import Any

import pytest

from nxpop3 import Client, TLSError, codes
from nxpop3.testing.dovecot import DovecotMailbox, as_retrieved

MESSAGES = [b"Subject: tls one\n\nfirst\n", b"Subject: tls two\n\n.dot\nend\n"]


@pytest.fixture
def mailbox(dovecot: DovecotMailbox) -> DovecotMailbox:
    dovecot.add_messages(MESSAGES)
    return dovecot


def test_pop3s(mailbox: DovecotMailbox, pool: Any) -> None:
    with Client(mailbox.host, mailbox.tls_port, mailbox.user, mailbox.password, tls=True,
                context=mailbox.client_context(), timeout=10, pool=pool) as client:
        assert client.tls
        assert client.peer_certificate() is not None
        assert [client.retr(n) for n in (1, 2)] == [as_retrieved(m) for m in MESSAGES]


def test_starttls(mailbox: DovecotMailbox, pool: Any) -> None:
    with Client(mailbox.host, mailbox.port, mailbox.user, mailbox.password, starttls=True,
                context=mailbox.client_context(), timeout=10, pool=pool) as client:
        assert client.tls
        assert "STLS" not in client.capa()
        assert list(client.retr_many([1, 2])) == [as_retrieved(m) for m in MESSAGES]


def test_an_untrusted_certificate_is_refused_before_login(mailbox: DovecotMailbox,
                                                          pool: Any) -> None:
    for tls, port in ((True, mailbox.tls_port), (False, mailbox.port)):
        with pytest.raises(TLSError) as caught:
            Client(mailbox.host, port, mailbox.user, mailbox.password, tls=tls,
                   starttls=not tls, context=ssl.create_default_context(), timeout=10,
                   pool=pool)
        assert caught.value.status == codes.NX_POP3_TLS_FAILED


def test_50_mb_over_tls_byte_exact(dovecot: DovecotMailbox, pool: Any,
                                   make_pool: Callable[..., Any]) -> None:
    line = b"0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.,;\n"
    body = line * (50 * 1024 * 1024 // len(line))
    dovecot.add_message(b"Subject: 50 MB over TLS\n\n" + body)
    expected = hashlib.sha256(as_retrieved(b"Subject: 50 MB over TLS\n\n" + body)).hexdigest()
    with Client(dovecot.host, dovecot.tls_port, dovecot.user, dovecot.password, tls=True,
                context=dovecot.client_context(), timeout=30,
                pool=make_pool(payload_size=16384, count=8)) as client:
        digest = hashlib.sha256()
        for chunk in client.retrieve(1, 1 << 20):
            digest.update(chunk)
        assert digest.hexdigest() == expected
