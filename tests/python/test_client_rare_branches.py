"""nxpop3.Client's rarely taken branches, against the scriptable test server: bad
arguments caught before any byte is sent, message streams left open or cut by the
server, a retr_many batch left unfinished, and the client's state once closed."""
from __future__ import annotations

import gc

import pytest

from nxpop3 import BadArgument, Client, InvalidState, Pop3Error, codes
from nxpop3.testing.server import Pop3Server

BIG = b"Subject: big\r\n\r\n" + b"0123456789abcdef.\r\n" * 20_000  # 380 KB: many chunks
SMALL = b"Subject: small\r\n\r\nhello\r\n"


@pytest.fixture
def server() -> Pop3Server:
    with Pop3Server([BIG, SMALL, SMALL]) as running:
        yield running


def _client(server: Pop3Server) -> Client:
    return Client("127.0.0.1", server.port, user="alice", password="secret", timeout=5)


@pytest.mark.parametrize("field", ["user", "password"])
def test_a_credential_that_is_not_a_str_is_refused_before_connecting(server: Pop3Server,
                                                                      field: str) -> None:
    kwargs = {"user": "alice", "password": "secret", field: b"alice"}
    with pytest.raises(BadArgument, match=f"{field} must be a str") as raised:
        Client("127.0.0.1", server.port, timeout=5, **kwargs)
    assert raised.value.status == codes.NX_POP3_PARAM_ERROR
    assert server.commands == []


@pytest.mark.parametrize("host", ["", None, 127])
def test_a_host_that_is_not_a_non_empty_str_is_refused(host: object) -> None:
    with pytest.raises(BadArgument, match="host must be a non-empty str") as raised:
        Client(host, 110)  # type: ignore[arg-type]
    assert raised.value.status == codes.NX_IP_ADDRESS_ERROR


def test_a_host_that_does_not_resolve_is_an_address_error() -> None:
    with pytest.raises(Pop3Error) as raised:
        Client("no-such-host.invalid", 110, timeout=5)
    assert not isinstance(raised.value, BadArgument)
    assert raised.value.status == codes.NX_IP_ADDRESS_ERROR
    assert "no-such-host.invalid" in str(raised.value)


def test_the_state_of_a_closed_client_is_closed(server: Pop3Server) -> None:
    client = _client(server)
    assert client.state == "TRANSACTION"
    client.close()
    assert client.state == "CLOSED"
    assert not client.tls


def test_stls_with_a_context_that_is_not_one_is_refused(server: Pop3Server) -> None:
    with _client(server) as client:
        with pytest.raises(BadArgument, match="context must be an ssl.SSLContext"):
            client.stls(context="insecure")  # type: ignore[arg-type]
        assert "STLS" not in server.commands
        assert client.stat() == (3, len(BIG) + 2 * len(SMALL))


@pytest.mark.parametrize("chunk_size", [0, -1, 1 << 31, 1.5])
def test_retrieve_chunk_size_out_of_range_is_refused(server: Pop3Server,
                                                     chunk_size: object) -> None:
    with _client(server) as client:
        with pytest.raises(BadArgument, match="chunk_size must be"):
            client.retrieve(1, chunk_size)  # type: ignore[arg-type]
        assert not any(c.startswith("RETR") for c in server.commands)


def test_a_stream_used_as_context_manager_drains_on_exit(server: Pop3Server) -> None:
    with _client(server) as client:
        with client.retrieve(1, 4096) as stream:
            assert iter(stream) is stream
            assert next(stream) == BIG[:4096]
        assert client.state == "TRANSACTION"  # the rest was read and dropped
        assert client.retr(2) == SMALL


def test_a_stream_dropped_unfinished_drains_the_message(server: Pop3Server) -> None:
    with _client(server) as client:
        stream = client.retrieve(1, 4096)
        assert next(stream) == BIG[:4096]
        del stream
        gc.collect()
        assert client.retr(3) == SMALL


def test_a_stream_dropped_while_the_server_cuts_it_raises_nothing(server: Pop3Server) -> None:
    server.fault("RETR", close_after=70_000)
    client = _client(server)
    stream = client.retrieve(1, 4096)
    assert next(stream) == BIG[:4096]
    del stream  # its drain fails: swallowed in __del__
    gc.collect()
    with pytest.raises(InvalidState):
        client.stat()  # the session ended with the cut
    client.close()


def test_closing_a_stream_the_server_cut_raises_and_marks_it_failed(
        server: Pop3Server) -> None:
    server.fault("RETR", close_after=70_000)
    client = _client(server)
    stream = client.retrieve(1, 4096)
    assert next(stream) == BIG[:4096]
    with pytest.raises(Pop3Error) as raised:
        stream.close()
    assert not isinstance(raised.value, InvalidState)
    stream.close()  # once failed, nothing is left to read
    with pytest.raises(InvalidState):
        next(stream)
    client.close()


def test_leaving_the_with_block_drains_an_unfinished_batch_then_quits(
        server: Pop3Server) -> None:
    with _client(server) as client:
        batch = client.retr_many([1, 2, 3])
        assert next(batch) == BIG
    assert server.commands[-1] == "QUIT"
    assert [c for c in server.commands if c.startswith("RETR")] == \
        ["RETR 1", "RETR 2", "RETR 3"]
    batch.close()


def test_a_batch_read_after_the_client_closed_says_closed(server: Pop3Server) -> None:
    client = _client(server)
    batch = client.retr_many([2, 3])
    assert next(batch) == SMALL
    client.close()
    with pytest.raises(InvalidState, match="the client is closed"):
        next(batch)


def test_an_unfinished_batch_the_server_cuts_is_dropped_on_close(server: Pop3Server) -> None:
    server.fault("RETR 2", close_after=3)
    client = _client(server)
    batch = client.retr_many([1, 2, 3])
    assert next(batch) == BIG
    batch.close()  # the drain meets the cut: the batch ends, nothing raised
    with pytest.raises(InvalidState, match="earlier error"):
        client.stat()
    client.close()
