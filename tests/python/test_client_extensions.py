"""nxpop3.Client's extensions against the scriptable test server over sockets:
the AUTHORIZATION state and login(), capa(), list(), uidl(), top(), utf8(),
retr_many() (pipelined when advertised), and Pop3Error.code."""
from __future__ import annotations

import poplib

import pytest

from nxpop3 import (
    AuthenticationError,
    BadArgument,
    Client,
    InvalidState,
    PacketPool,
    ServerError,
    codes,
)
from nxpop3.testing.server import Pop3Server

MESSAGES = [
    b"From: a@example.com\r\nSubject: one\r\n\r\nfirst\r\nsecond\r\nthird\r\n",
    b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\n",
    b"Subject: three\r\n\r\nthe end\r\n",
]


@pytest.fixture
def server():
    with Pop3Server(MESSAGES) as s:
        yield s


def connect(server: Pop3Server, **kwargs) -> Client:
    kwargs.setdefault("timeout", 5)
    kwargs.setdefault("pool", PacketPool(payload_size=1536, count=8))
    return Client(server.host, server.port, **kwargs)


def test_without_a_user_the_client_stays_in_authorization(server) -> None:
    with connect(server) as client:
        assert client.state == "AUTHORIZATION"
        with pytest.raises(InvalidState):
            client.stat()  # nothing is sent before the login
        client.login("alice", "secret")
        assert client.state == "TRANSACTION"
        assert client.stat() == (3, sum(map(len, MESSAGES)))
    # CAPA first: the login takes the strongest way the server offers.
    assert server.commands == ["CAPA", "USER alice", "PASS secret", "STAT", "QUIT"]


def test_a_refused_login_can_be_retried(server) -> None:
    with connect(server) as client:
        with pytest.raises(AuthenticationError) as caught:
            client.login("alice", "wrong")
        assert caught.value.code == "AUTH" and caught.value.response_code == "AUTH"
        assert client.state == "AUTHORIZATION"
        client.login("alice", "secret")
        assert client.stat()[0] == 3
        with pytest.raises(InvalidState):
            client.login("alice", "secret")  # once logged in


def test_apop_login_after_the_greeting(server) -> None:
    with Pop3Server(MESSAGES, apop=True) as apop_server:
        with connect(apop_server) as client:
            client.login("alice", "secret", apop=True)
            assert client.apop_used
        assert apop_server.commands[0].startswith("APOP alice ")


def test_capa_before_and_after_login(server) -> None:
    with connect(server) as client:
        before = client.capa()
        assert "PIPELINING" in before and before["IMPLEMENTATION"] == ["nxpop3-testing"]
        client.login("alice", "secret")
        assert client.capa() == before
        assert client.capabilities & codes.NX_POP3_CAPABILITY_PIPELINING


def test_capa_of_an_old_server_is_empty() -> None:
    with Pop3Server(MESSAGES, capa=False) as old:
        with connect(old, user="alice", password="secret") as client:
            assert client.capa() == {}
            assert client.capabilities == codes.NX_POP3_CAPABILITY_ASKED
            assert client.noop() is None


def test_list_uidl_and_top_against_poplib(server) -> None:
    pop = poplib.POP3(server.host, server.port, timeout=5)
    pop.user("alice")
    pop.pass_("secret")
    uids = [tuple(line.decode().split()) for line in pop.uidl()[1]]
    tops = [b"\r\n".join(pop.top(n, 1)[1]) for n in (1, 2, 3)]
    pop.quit()
    with connect(server, user="alice", password="secret") as client:
        assert client.list() == [(n, len(m)) for n, m in enumerate(MESSAGES, 1)]
        assert client.uidl() == [(int(n), uid) for n, uid in uids]
        assert client.uidl(2) == uids[1][1]
        got = [client.top(n, 1) for n in (1, 2, 3)]
        # poplib drops the line ends and leaves a stuffed dot in place; ours is exact.
        assert got[0] == b"From: a@example.com\r\nSubject: one\r\n\r\nfirst\r\n"
        assert got[1] == b"Subject: dots\r\n\r\n.leading dot\r\n"
        assert [g.rstrip(b"\r\n") for g in got] == \
            [t.replace(b"\r\n..", b"\r\n.") for t in tops]
        with pytest.raises(BadArgument):
            client.top(1, -1)


def test_utf8_before_login_only(server) -> None:
    with connect(server) as client:
        client.utf8()
        client.login("alice", "secret")
        with pytest.raises(InvalidState):
            client.utf8()
    assert server.commands[0] == "UTF8"


@pytest.mark.parametrize("capa", [True, False])
def test_retr_many_returns_each_message_in_order(server, capa: bool) -> None:
    with connect(server, user="alice", password="secret") as client:
        if capa:
            client.capa()  # PIPELINING: the batch goes ahead of its replies
        order = [3, 1, 2, 1]
        assert list(client.retr_many(order)) == [MESSAGES[n - 1] for n in order]
        assert list(client.retr_many([])) == []
        assert client.noop() is None  # the batch is over


def test_commands_wait_for_the_batch(server) -> None:
    with connect(server, user="alice", password="secret") as client:
        client.capa()
        batch = client.retr_many([1, 2, 3])
        assert next(batch) == MESSAGES[0]
        with pytest.raises(InvalidState):
            client.stat()
        assert list(batch) == MESSAGES[1:]
        assert client.stat()[0] == 3


def test_leaving_a_batch_early_keeps_the_session(server) -> None:
    with connect(server, user="alice", password="secret") as client:
        client.capa()
        for message in client.retr_many([1, 2, 3]):
            assert message == MESSAGES[0]
            break
        client.delete(1)  # the rest was read and dropped: the session is in step
    assert server.commands[-2:] == ["DELE 1", "QUIT"]
    assert len(server.mailbox().messages) == 2  # the deletion was applied at QUIT


def test_an_err_in_a_batch_raises_there_and_the_session_goes_on(server) -> None:
    with connect(server, user="alice", password="secret") as client:
        client.capa()
        got = []
        with pytest.raises(ServerError) as caught:
            for message in client.retr_many([1, 9, 2]):
                got.append(message)
        assert got == [MESSAGES[0]]
        assert caught.value.command == "RETR"
        assert client.stat()[0] == 3


def test_retr_many_arguments(server) -> None:
    with connect(server, user="alice", password="secret") as client:
        with pytest.raises(BadArgument):
            client.retr_many([1, 0])
        with pytest.raises(BadArgument):
            client.retr_many(["1"])
        assert client.noop() is None


def test_response_code_of_a_refusal(server) -> None:
    server.fault("STAT", err="[SYS/TEMP] try later")
    with connect(server, user="alice", password="secret") as client:
        with pytest.raises(ServerError) as caught:
            client.stat()
        assert caught.value.code == "SYS/TEMP"
        assert client.noop() is None
