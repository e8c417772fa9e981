"""Pop3Server's edges: its life cycle (not started, a port already taken, repr),
what a Session says about its client, a connection that stays open past
``wait_idle``, a reset fault, and a TLS record the server cannot read."""
from __future__ import annotations

import os
import socket
import ssl
import time

import pytest

from nxpop3.testing.server import Pop3Server

MESSAGE = b"Subject: hi\r\n\r\nHello\r\n"


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def wait_for(condition, timeout: float = 5.0) -> bool:
    """True once condition() holds, False after timeout seconds (polled every 10 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_address_of_a_server_not_started_raises() -> None:
    server = Pop3Server([MESSAGE])
    with pytest.raises(RuntimeError, match="not started"):
        server.address  # noqa: B018
    assert repr(server) == "<Pop3Server '127.0.0.1' port 0 stopped>"


def test_repr_says_host_port_and_whether_it_runs() -> None:
    with Pop3Server([MESSAGE]) as server:
        assert repr(server) == f"<Pop3Server '127.0.0.1' port {server.port} running>"
        assert server.address == ("127.0.0.1", server.port)
    assert repr(server).endswith("stopped>")


def test_start_on_a_port_in_use_raises_and_serves_nothing() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = Pop3Server([MESSAGE], port=port)
        with pytest.raises(OSError):
            server.start()
        assert not server.running
        with pytest.raises(RuntimeError, match="not started"):
            server.address  # noqa: B018


def test_session_reports_user_mailbox_and_login() -> None:
    with Pop3Server([MESSAGE]) as server, \
            socket.create_connection(server.address, timeout=5) as sock:
        assert _read_line(sock).startswith(b"+OK")
        assert wait_for(lambda: len(server.sessions) == 1)
        session = server.sessions[0]
        assert (session.user, session.mailbox, session.logged_in) == (None, None, False)
        assert session.server_name is None and session.tls_version is None
        sock.sendall(b"USER alice\r\n")
        assert _read_line(sock).startswith(b"+OK")
        sock.sendall(b"PASS secret\r\n")
        assert _read_line(sock).startswith(b"+OK")
        assert session.user == "alice"
        assert session.logged_in
        assert session.mailbox is server.mailbox("alice")


def test_wait_idle_is_false_while_a_connection_stays_open() -> None:
    with Pop3Server([MESSAGE]) as server:
        with socket.create_connection(server.address, timeout=5) as sock:
            assert _read_line(sock).startswith(b"+OK")
            assert server.wait_idle(0.1) is False
            sock.sendall(b"QUIT\r\n")
            assert _read_line(sock).startswith(b"+OK")
        assert server.wait_idle(5) is True


def test_reset_fault_cuts_the_connection_after_the_reply() -> None:
    with Pop3Server([MESSAGE]) as server:
        fault = server.fault("NOOP", reset=True)
        with socket.create_connection(server.address, timeout=5) as sock:
            assert _read_line(sock).startswith(b"+OK")
            sock.sendall(b"NOOP\r\n")
            try:
                rest = _read_line(sock) + sock.recv(100)
            except ConnectionResetError:
                rest = b"reset"
            assert rest in (b"+OK\r\n", b"reset") or rest.startswith(b"+OK")
            with pytest.raises((ConnectionResetError, BrokenPipeError)):
                for _ in range(50):  # the reset arrives: the socket fails
                    sock.sendall(b"NOOP\r\n")
                    if not sock.recv(100):
                        raise ConnectionResetError
                    time.sleep(0.01)
        assert fault.hits == 1
        assert server.wait_idle(5)
        assert server.sessions[0].closed.is_set()


def test_a_bad_tls_record_after_the_handshake_is_a_tls_error() -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with Pop3Server([MESSAGE], tls=server_context) as server:
        with socket.create_connection(server.address, timeout=5) as plain:
            with client_context.wrap_socket(plain, server_hostname="127.0.0.1") as tls:
                assert _read_line(tls).startswith(b"+OK")
                # A record of type application data whose content is garbage.
                with socket.socket(fileno=os.dup(tls.fileno())) as raw:  # under TLS
                    raw.sendall(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)
                assert server.wait_idle(5)
        session = server.sessions[0]
        assert session.tls_error is not None
        assert session.tls_error.startswith("TLS error: ")
