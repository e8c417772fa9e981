"""nxpop3.Client's SASL logins against a real Dovecot: each mechanism Dovecot
offers from its {PLAIN} passdb (PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, each
confirmed by Dovecot's own log), the choice of the strongest, SCRAM under STLS,
and a wrong password refused with the mechanism named."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nxpop3 import AuthenticationError, Client
from nxpop3.testing.dovecot import DovecotMailbox, as_retrieved

MESSAGES = [b"Subject: sasl one\n\nfirst\n", b"Subject: sasl two\n\nsecond\n"]


@pytest.fixture
def mailbox(dovecot: DovecotMailbox) -> DovecotMailbox:
    dovecot.add_messages(MESSAGES)
    return dovecot


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"])
def test_each_mechanism(mailbox: DovecotMailbox, connect: Callable[..., Any],
                        mechanism: str) -> None:
    with connect(mechanism=mechanism) as client:
        assert client.mechanism == mechanism
        assert client.retr(2) == as_retrieved(MESSAGES[1])
        client.quit()
    mailbox.server.wait_log(f"Login: user=<{mailbox.user}>, method={mechanism}")


def test_the_strongest_is_scram(mailbox: DovecotMailbox, connect: Callable[..., Any]) -> None:
    with connect() as client:
        assert client.mechanism == "SCRAM-SHA-256"
        client.quit()
    mailbox.server.wait_log(f"Login: user=<{mailbox.user}>, method=SCRAM-SHA-256")


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "SCRAM-SHA-256", "PLAIN"])
def test_wrong_password(mailbox: DovecotMailbox, connect: Callable[..., Any],
                        mechanism: str) -> None:
    with pytest.raises(AuthenticationError) as caught:
        connect(mechanism=mechanism, password="not-the-password")
    assert caught.value.mechanism == mechanism
    assert "not-the-password" not in str(caught.value)


def test_scram_over_starttls_twice(mailbox: DovecotMailbox, pool: Any) -> None:
    for _ in range(2):  # a fresh nonce each time: both are accepted
        with Client(mailbox.host, mailbox.port, mailbox.user, mailbox.password, starttls=True,
                    context=mailbox.client_context(), mechanism="SCRAM-SHA-256", timeout=10,
                    pool=pool) as client:
            assert client.tls and client.mechanism == "SCRAM-SHA-256"
            assert [client.retr(n) for n in (1, 2)] == [as_retrieved(m) for m in MESSAGES]
