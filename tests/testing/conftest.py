"""Shared set-up for the tests of nxpop3.testing (server and pytest plugin)."""
from __future__ import annotations

import importlib.util
import socket
import ssl
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if importlib.util.find_spec("nxpop3") is None:  # run from a checkout without an install
    sys.path.insert(0, str(ROOT / "python"))

try:  # imported once, here: pytester's inner runs drop the modules they imported, and
    # cryptography's compiled part cannot be imported twice in one process
    import trustme  # noqa: F401
except ImportError:
    pass



def _plugin_autoloaded() -> bool:
    """True when the installed package declares the plugin's pytest11 entry point."""
    found = metadata.entry_points()
    if hasattr(found, "select"):
        group = found.select(group="pytest11")
    else:  # Python 3.9: a dict of groups
        group = found.get("pytest11", [])
    return any(ep.name == "nxpop3" for ep in group)


PLUGIN_AUTOLOADED = _plugin_autoloaded()


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("pytester"):  # the plugin tests need pytester
        config.pluginmanager.import_plugin("pytester")
    if not PLUGIN_AUTOLOADED and not config.pluginmanager.has_plugin("nxpop3.testing.plugin"):
        config.pluginmanager.import_plugin("nxpop3.testing.plugin")


@pytest.fixture
def plugin_args() -> list[str]:
    """pytest arguments for inner runs: load the plugin unless its entry point does."""
    return [] if PLUGIN_AUTOLOADED else ["-p", "nxpop3.testing.plugin"]


class RawClient:
    """A bare-socket POP3 peer for checking exact bytes; every read is bounded."""

    def __init__(self, address: tuple[str, int], timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> bytes:
        """The next line, CRLF included."""
        deadline = time.monotonic() + 5.0
        while b"\r\n" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no complete line")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError(f"connection closed after {self.buffer!r}")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line + b"\r\n"

    def multi(self) -> bytes:
        """A multi-line body as sent (still stuffed), through the terminating .CRLF."""
        deadline = time.monotonic() + 5.0
        while not (self.buffer.startswith(b".\r\n") or b"\r\n.\r\n" in self.buffer):
            if time.monotonic() > deadline:
                raise TimeoutError("no terminator")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed inside a multi-line reply")
            self.buffer += chunk
        if self.buffer.startswith(b".\r\n"):
            end = 3
        else:
            end = self.buffer.index(b"\r\n.\r\n") + 5
        body, self.buffer = self.buffer[:end], self.buffer[end:]
        return body

    def command(self, text: str) -> bytes:
        self.send(text.encode() + b"\r\n")
        return self.line()

    def read_all(self, limit: float = 5.0) -> bytes:
        """Everything until the server closes the connection."""
        deadline = time.monotonic() + limit
        data = self.buffer
        self.buffer = b""
        while time.monotonic() < deadline:
            chunk = self.sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        raise TimeoutError("the server did not close the connection")

    def login(self, user: str = "alice", password: str = "secret") -> None:
        assert self.line().startswith(b"+OK")
        assert self.command(f"USER {user}").startswith(b"+OK")
        reply = self.command(f"PASS {password}")
        assert reply.startswith(b"+OK"), reply

    def start_tls(self, context: ssl.SSLContext, server_hostname: str = "localhost") -> None:
        """The client's TLS handshake on this connection (POP3S at once, or after STLS).
        A TCP end without close_notify then raises ``ssl.SSLEOFError``."""
        assert not self.buffer, f"plain text left before the handshake: {self.buffer!r}"
        self.sock = context.wrap_socket(
            self.sock, server_hostname=server_hostname, suppress_ragged_eofs=False
        )

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw_client():
    """Open RawClients to a server address; all closed after the test."""
    opened: list[RawClient] = []

    def connect(address: tuple[str, int], timeout: float = 5.0) -> RawClient:
        client = RawClient(address, timeout)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        client.close()
