"""The extensions against a real Dovecot: CAPA parsed, UIDs and sizes equal to
what Dovecot says (read with poplib, a client that is not ours), TOP byte-exact,
the AUTHORIZATION state and login, response codes, and 2000 messages fetched
through one pipelined batch, byte-exact."""
from __future__ import annotations

import poplib
from collections.abc import Callable
from typing import Any

import pytest

from nxpop3 import AuthenticationError, codes
from nxpop3.testing.dovecot import DovecotMailbox, as_retrieved, listed_size

MESSAGES: list[bytes] = [
    b"From: a@example.org\nSubject: one\n\nfirst line\nsecond line\nthird line\n",
    b"Subject: dots\n\n.leading dot\n..two\nend\n",
    b"Subject: headers only\n\n",
    b"Subject: no final newline\n\nline one\nlast line",
]


@pytest.fixture
def mailbox(dovecot: DovecotMailbox) -> DovecotMailbox:
    dovecot.add_messages(MESSAGES)
    return dovecot


def reference(dovecot: DovecotMailbox) -> poplib.POP3:
    pop = poplib.POP3(dovecot.host, dovecot.port, timeout=10)
    pop.user(dovecot.user)
    pop.pass_(dovecot.password)
    return pop


def test_capa_before_and_after_login(mailbox: DovecotMailbox,
                                     connect: Callable[..., Any]) -> None:
    client = connect(user="", password="")
    assert client.state == "AUTHORIZATION"
    before = client.capa()
    assert "USER" in before and "PIPELINING" in before and "UIDL" in before
    client.login(mailbox.user, mailbox.password)
    assert client.state == "TRANSACTION"
    after = client.capa()
    pop = reference(mailbox)
    try:
        expected = {name.upper(): args for name, args in pop.capa().items()}
    finally:
        pop.quit()
    assert after == expected
    assert client.capabilities & codes.NX_POP3_CAPABILITY_PIPELINING
    client.quit()


def test_uidl_and_list_equal_dovecots(mailbox: DovecotMailbox,
                                      connect: Callable[..., Any]) -> None:
    pop = reference(mailbox)
    try:
        uids = [tuple(line.decode().split()) for line in pop.uidl()[1]]
        sizes = [tuple(int(v) for v in line.split()) for line in pop.list()[1]]
    finally:
        pop.quit()
    with connect() as client:
        assert client.uidl() == [(int(n), uid) for n, uid in uids]
        assert [client.uidl(n) for n in range(1, len(MESSAGES) + 1)] == [u for _, u in uids]
        assert client.list() == sizes
        assert client.list() == [(n, listed_size(m)) for n, m in enumerate(MESSAGES, 1)]
        client.delete(2)
        assert [n for n, _ in client.uidl()] == [1, 3, 4]  # numbers never change
        assert client.uidl(3) == uids[2][1]
        client.reset()


@pytest.mark.parametrize("lines", [0, 1, 2, 100])
def test_top_is_byte_exact(mailbox: DovecotMailbox, connect: Callable[..., Any],
                           lines: int) -> None:
    pop = reference(mailbox)
    try:
        expected = [b"\r\n".join(pop.top(n, lines)[1]) for n in range(1, len(MESSAGES) + 1)]
    finally:
        pop.quit()
    with connect() as client:
        got = [client.top(n, lines) for n in range(1, len(MESSAGES) + 1)]
    # poplib strips the line ends (and undoes dot-stuffing); ours keeps them exactly.
    assert [g.rstrip(b"\r\n") for g in got] == [e.rstrip(b"\r\n") for e in expected]
    if lines >= 3:
        assert got[0] == as_retrieved(MESSAGES[0])


def test_a_refused_login_keeps_authorization_with_the_auth_code(
        mailbox: DovecotMailbox, connect: Callable[..., Any]) -> None:
    client = connect(user="", password="")
    with pytest.raises(AuthenticationError) as caught:
        client.login(mailbox.user, "wrong")
    assert caught.value.code == "AUTH"
    assert client.state == "AUTHORIZATION"
    client.login(mailbox.user, mailbox.password)
    assert client.stat()[0] == len(MESSAGES)
    client.quit()


def test_2000_messages_through_one_pipelined_batch(dovecot: DovecotMailbox,
                                                    connect: Callable[..., Any]) -> None:
    messages = [f"Subject: message {n}\nX-Seq: {n}\n\nbody of {n}\n{'.' * (n % 5)}\n".encode()
                for n in range(1, 2001)]
    dovecot.add_messages(messages)
    with connect() as client:
        assert "PIPELINING" in client.capa()
        got = list(client.retr_many(range(1, 2001)))
        assert got == [as_retrieved(m) for m in messages]
        # Out of order and repeated numbers come back in the order asked.
        order = [7, 3, 2000, 3, 1]
        assert list(client.retr_many(order)) == [as_retrieved(messages[n - 1]) for n in order]
        client.quit()
