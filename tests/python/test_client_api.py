"""nxpop3.Client over real sockets (POSIX transport) against the scriptable
server on 127.0.0.1 and ::1."""
from __future__ import annotations

import socket
import threading

import pytest

import nxpop3
from nxpop3 import (
    AuthenticationError,
    BadArgument,
    Client,
    ConnectionClosed,
    InvalidState,
    PacketPool,
    Pop3Error,
    Pop3Timeout,
    ProtocolError,
    ServerError,
    ffi,
    lib,
)
from nxpop3.testing.server import Pop3Server

MESSAGES = [
    b"From: a@example.com\r\nSubject: one\r\n\r\nHello\r\n",
    b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\n.\r\nend\r\n",
    b"Subject: big\r\n\r\n" + b"0123456789abcdef" * 40_000 + b"\r\n",
]


def has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture
def server():
    with Pop3Server(MESSAGES) as s:
        yield s


def connect(server: Pop3Server, **kwargs) -> Client:
    kwargs.setdefault("user", "alice")
    kwargs.setdefault("password", "secret")
    return Client(server.host, server.port, **kwargs)


def test_fetch_everything(server) -> None:
    pool = PacketPool()
    with connect(server, pool=pool) as client:
        count, octets = client.stat()
        assert count == 3 and octets == sum(map(len, MESSAGES))
        for n, message in enumerate(MESSAGES, 1):
            assert client.size(n) == len(message)
            assert client.retr(n) == message
        assert pool.available == pool.total
    assert server.commands[-1] == "QUIT"


def test_retr_without_stat(server) -> None:
    with connect(server) as client:
        assert client.retr(2) == MESSAGES[1]


def test_retrieve_streams_in_chunks(server) -> None:
    with connect(server) as client:
        chunks = list(client.retrieve(3, chunk_size=4096))
        assert b"".join(chunks) == MESSAGES[2]
        assert max(map(len, chunks)) <= 4096
        client.noop()


def test_retrieve_closed_early_keeps_the_session(server) -> None:
    with connect(server) as client:
        stream = client.retrieve(3, chunk_size=1000)
        assert len(next(stream)) == 1000
        with pytest.raises(InvalidState) as caught:
            client.noop()
        assert caught.value.status == lib.NX_POP3_CLIENT_INVALID_STATE
        stream.close()
        assert client.retr(1) == MESSAGES[0]


def test_delete_applies_at_quit_and_reset_undoes(server) -> None:
    with connect(server) as client:
        client.delete(1)
        client.reset()
        client.delete(2)
        client.noop()
    with connect(server) as client:
        assert client.stat()[0] == 2
        assert client.retr(1) == MESSAGES[0]


def test_close_without_quit_keeps_messages(server) -> None:
    client = connect(server)
    client.delete(1)
    client.close()
    # The server sees the close on its own thread and only then unlocks the
    # maildrop (a second session before that is [IN-USE], as on a real server).
    assert server.wait_idle()
    with connect(server) as again:
        assert again.stat()[0] == 3


def test_ipv6_loopback() -> None:
    if not has_ipv6():
        pytest.skip("this host has no ::1")
    with Pop3Server(MESSAGES[:1], host="::1") as s:
        for host in ("::1", "[::1]"):
            with Client(host, s.port, "alice", "secret") as client:
                assert client.retr(1) == MESSAGES[0]


def test_host_name(server) -> None:
    with Client("localhost", server.port, "alice", "secret") as client:
        assert client.stat()[0] == 3


def test_apop_login() -> None:
    with Pop3Server(MESSAGES[:1], apop=True) as s:
        with Client(s.host, s.port, "alice", "secret", apop=True) as client:
            assert client.apop_used
            assert client.retr(1) == MESSAGES[0]
        assert s.commands[0].startswith("APOP alice ")


def test_wrong_password_is_an_authentication_error_without_the_password(server) -> None:
    with pytest.raises(AuthenticationError) as caught:
        Client(server.host, server.port, "alice", "Wr0ngPa55")
    error = caught.value
    assert isinstance(error, ServerError) and isinstance(error, Pop3Error)
    assert error.status == 0xB4 and error.name == "NX_POP3_SERVER_ERROR_STATUS"
    assert error.command == "PASS"
    assert error.reply
    assert "Wr0ngPa55" not in str(error) and "Wr0ngPa55" not in repr(error.args)


def test_mailbox_in_use_is_a_server_error_not_bad_credentials(server) -> None:
    with connect(server):
        with pytest.raises(ServerError) as caught:
            connect(server)
    assert not isinstance(caught.value, AuthenticationError)
    assert caught.value.response_code == "IN-USE"


def test_server_error_carries_the_reply(server) -> None:
    server.fault("DELE", err="[IN-USE] locked")
    with connect(server) as client:
        with pytest.raises(ServerError) as caught:
            client.delete(1)
        assert not isinstance(caught.value, AuthenticationError)
        assert caught.value.reply == "[IN-USE] locked"
        assert caught.value.command == "DELE"
        client.noop()


def test_protocol_error_closes(server) -> None:
    server.fault("STAT", raw=b"+OKAY 1 2\r\n")
    client = connect(server)
    with pytest.raises(ProtocolError) as caught:
        client.stat()
    assert caught.value.name == "NX_POP3_INVALID_REPLY"
    with pytest.raises(InvalidState):  # the client knows the connection is gone
        client.noop()
    client.close()


def test_a_command_while_a_message_streams_is_a_state_error(server) -> None:
    with connect(server) as client:
        stream = client.retrieve(3, chunk_size=1000)
        next(stream)
        with pytest.raises(InvalidState) as caught:
            client.stat()
        assert not isinstance(caught.value, (BadArgument, ValueError))
        assert caught.value.status == lib.NX_POP3_CLIENT_INVALID_STATE
        assert caught.value.command is None  # nothing was sent
        stream.close()
        assert client.stat()[0] == 3


@pytest.mark.parametrize("ending", ["close", "quit"])
def test_a_command_on_a_closed_client_is_a_state_error(server, ending) -> None:
    client = connect(server)
    getattr(client, ending)()
    sent = list(server.commands)
    for command in (client.stat, client.noop, client.quit, lambda: client.retr(1)):
        with pytest.raises(InvalidState) as caught:
            command()
        assert caught.value.status == lib.NX_NOT_CONNECTED
    assert server.commands == sent
    client.close()  # closing twice is harmless


def test_quit_after_a_fatal_error_frees_the_client(server) -> None:
    server.fault("STAT", raw=b"+OKAY 1 2\r\n")
    client = connect(server)
    with pytest.raises(ProtocolError):
        client.stat()
    with pytest.raises(InvalidState):
        client.quit()
    assert client.pool.available == client.pool.total
    with pytest.raises(InvalidState, match="closed"):
        client.noop()


def test_silent_server_times_out(server) -> None:
    server.fault("NOOP", silent=True)
    with connect(server, timeout=0.3) as client:
        with pytest.raises(Pop3Timeout) as caught:
            client.noop()
        assert caught.value.status == lib.NX_NO_PACKET


def test_split_replies_over_real_sockets(server) -> None:
    server.fault("*", split=1)
    with connect(server) as client:
        assert client.stat()[0] == 3
        assert client.retr(2) == MESSAGES[1]


def test_server_closing_mid_message(server) -> None:
    server.fault("RETR", close_after=200)
    client = connect(server)
    with pytest.raises(ConnectionClosed):
        client.retr(3)
    client.close()


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionClosed) as caught:
        Client("127.0.0.1", port, "a", "b", timeout=2)
    assert caught.value.name == "NX_NOT_CONNECTED"


@pytest.mark.parametrize("kwargs", [
    {"port": 0}, {"port": 70000}, {"user": "a\r\nDELE 1"}, {"password": "x\n"},
    {"password": "p" * 4097}, {"user": "u" * 41}, {"timeout": 0}, {"timeout": -1},
])
def test_bad_arguments_are_refused_before_connecting(server, kwargs) -> None:
    args = {"user": "alice", "password": "secret", "port": server.port}
    args.update(kwargs)
    with pytest.raises(BadArgument):
        Client(server.host, **args)
    assert server.commands == []


def test_bad_indexes(server) -> None:
    with connect(server) as client:
        for bad in (0, -1, True, "1"):
            with pytest.raises(BadArgument):
                client.retr(bad)
        with pytest.raises(BadArgument) as caught:
            client.retr(2**32)
        assert caught.value.name == "NX_POP3_INVALID_MAIL_ITEM"
        assert caught.value.command is None  # refused before anything was sent
        # Above the STAT count, the server decides (numbers never change in a session).
        client.stat()
        with pytest.raises(ServerError) as refused:
            client.retr(4)
        assert refused.value.command == "RETR"
        client.noop()  # and the session goes on


def test_message_numbers_survive_dele_and_stat(server) -> None:
    with connect(server) as client:
        count, _ = client.stat()
        client.delete(1)
        assert client.stat()[0] == count - 1
        assert client.retr(count) == MESSAGES[count - 1]  # still number 3, not refused
        assert client.size(count) == len(MESSAGES[count - 1])
        client.reset()


def test_several_clients_at_once() -> None:
    results: list[bytes] = []
    errors: list[BaseException] = []
    users = {f"user{i}": (f"pw{i}", MESSAGES) for i in range(6)}

    def fetch(user: str) -> None:
        try:
            with Client(server.host, server.port, user, users[user][0]) as client:
                results.append(client.retr(3))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with Pop3Server(mailboxes=users) as server:
        threads = [threading.Thread(target=fetch, args=(user,)) for user in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert not errors
    assert results == [MESSAGES[2]] * 6


def test_raw_netx_api_over_posix_sockets(server) -> None:
    """What a C program does: pool, IP over the POSIX transport, create with a
    host-order IPv4 address, STAT, RETR with message_get, QUIT, delete."""
    from nxpop3.transport import PosixTransport
    transport = PosixTransport()
    pool = PacketPool(payload_size=1536, count=8)
    ip = ffi.new("NX_IP *")
    assert lib.nx_ip_create(ip, ffi.NULL, 0, 0, pool.pool, transport.nx_transport, ffi.NULL, 0,
                            0) == 0
    assert lib.nx_tcp_enable(ip) == 0
    client = ffi.new("NX_POP3_CLIENT *")
    name, password = ffi.new("char[]", b"alice"), ffi.new("char[]", b"secret")
    assert lib.nx_pop3_client_create(client, 0, ip, pool.pool, 0x7F000001, server.port, name,
                                     password) == 0
    count, total = ffi.new("UINT *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(client, count, total) == 0
    assert count[0] == 3
    size = ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_item_get(client, 2, size) == 0
    packet, got, final = ffi.new("NX_PACKET **"), ffi.new("ULONG *"), ffi.new("UINT *")
    body = b""
    for _ in range(1000):
        assert lib.nx_pop3_client_mail_item_message_get(client, packet, got, final) == 0
        body += ffi.buffer(packet[0].nx_packet_prepend_ptr, got[0])[:]
        assert lib.nx_packet_release(packet[0]) == 0
        if final[0]:
            break
    assert body == MESSAGES[1]
    assert lib.nx_pop3_client_quit(client) == 0
    assert lib.nx_pop3_client_delete(client) == 0
    assert lib.nx_ip_delete(ip) == 0
    assert pool.available == pool.total


def test_package_exports_the_raw_api() -> None:
    assert nxpop3.lib.NX_POP3_SERVER_ERROR_STATUS == 0xB4
    assert issubclass(nxpop3.InvalidState, nxpop3.Pop3Error)
    assert not issubclass(nxpop3.InvalidState, ValueError)
    assert nxpop3.ffi.sizeof("NX_POP3_CLIENT") > 0
    assert nxpop3.status_name(0x38) == "NX_NOT_CONNECTED"


def test_retr_of_a_message_larger_than_one_read() -> None:
    # 3.5 MiB with dot lines: several 1 MiB reads, joined in order.
    line = b".dot-started line " + b"q" * 60 + b"\r\n"
    big = b"Subject: several reads\r\n\r\n" + line * 45_000
    with Pop3Server([big]) as s:
        with Client(s.host, s.port, "alice", "secret") as client:
            assert client.retr(1) == big
            assert b"".join(client.retrieve(1, chunk_size=300_000)) == big
