"""pytest plugin for testing POP3 clients (entry point ``pytest11``: ``nxpop3``).

Fixtures:

``pop3_server``
    A started :class:`~nxpop3.testing.Pop3Server`, fresh for each test, closed after it.
    Configure it with ``@pytest.mark.pop3_server(messages=[...], apop=True, ...)`` (the
    marker's arguments go to the constructor: ``sasl=SASL_MECHANISMS, tokens={...}``
    offers ``AUTH``). Default: user ``alice``, password ``secret``, an empty maildrop on
    127.0.0.1, no SASL.
``pop3_server_factory``
    Call it with :class:`~nxpop3.testing.Pop3Server` arguments to start as many servers as
    a test needs; each is closed after the test.
``packet_pool``
    An ``nxpop3.PacketPool`` (``@pytest.mark.packet_pool(payload_size=..., count=...)``)
    that fails the test at teardown if any packet is still allocated.
``pop3_sample_messages``
    The bundled sample maildrop as a list of :class:`~nxpop3.testing.Message`.
``tls_ca`` (session)
    A :class:`~nxpop3.testing.certificates.CertificateAuthority`: the test CA, made in
    memory by ``trustme`` (skips, or fails under ``CI=true``, without trustme).
``tls_server_context`` (session)
    A server ``ssl.SSLContext`` with a certificate from ``tls_ca`` for ``localhost``,
    ``127.0.0.1`` and ``::1``.
``tls_client_context``
    A fresh client ``ssl.SSLContext`` that trusts ``tls_ca`` (verification on).
``tls_wrong_host_context`` / ``tls_untrusted_context`` (session)
    Server contexts with a certificate from ``tls_ca`` for another host only
    (``WRONG_HOST``), and one from a CA no client trusts, for the right hosts.
``tls_ca_file`` (session)
    The CA certificate written to a PEM file, for programs that read one (``--cafile``).
``pop3_tls_server`` / ``pop3_starttls_server``
    Like ``pop3_server`` (and configured by the same marker) with POP3S
    (``tls=tls_server_context``) / ``STLS`` (``starttls=tls_server_context``) on, and
    ``client_context=tls_client_context``.
``dovecot``
    A real Dovecot (:mod:`nxpop3.testing.dovecot`) with a fresh user and an empty Maildir
    (a ``DovecotMailbox``: ``host``, ``port``, ``user``, ``password``, ``add_message()``,
    ``messages()``). One Dovecot runs per test process (per xdist worker), since stopping
    one takes about a second; ``dovecot_server`` is that instance and ``dovecot_binary``
    its program. Without Dovecot the tests skip, except under ``CI=true``: they fail.
    With trustme installed it runs with TLS on, its certificate from ``tls_ca``: ``STLS``
    on ``port``, POP3S on ``tls_port``; ``tls_client_context`` trusts it.

A server whose threads hit an unexpected exception, or did not stop when closed, fails
the test at teardown. Ports are ephemeral and nothing is written outside ``tmp_path``, so
the fixtures work under ``pytest -n auto`` (pytest-xdist).
"""
from __future__ import annotations

import gc
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nxpop3.testing.certificates import CertificateAuthority
from nxpop3.testing.dependencies import missing
from nxpop3.testing.dovecot import DovecotMailbox, DovecotServer, find_dovecot
from nxpop3.testing.mailstore import Message, sample_messages
from nxpop3.testing.server import Pop3Server

__all__ = [
    "packet_pool",
    "pop3_sample_messages",
    "pop3_server",
    "pop3_server_factory",
    "pop3_starttls_server",
    "pop3_tls_server",
    "tls_ca",
    "tls_ca_file",
    "tls_client_context",
    "tls_server_context",
    "tls_untrusted_context",
    "tls_wrong_host_context",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pop3_server(*args, **kwargs): arguments for the Pop3Server of the pop3_server fixture",
    )
    config.addinivalue_line(
        "markers",
        "packet_pool(payload_size=1536, count=16): arguments for the packet_pool fixture",
    )


def _marker_arguments(request: pytest.FixtureRequest, name: str) -> tuple[tuple, dict]:
    marker = request.node.get_closest_marker(name)
    if marker is None:
        return (), {}
    return marker.args, dict(marker.kwargs)


@pytest.fixture
def pop3_server_factory() -> Iterator[Callable[..., Pop3Server]]:
    """A function that starts a :class:`Pop3Server` with the given arguments."""
    servers: list[Pop3Server] = []

    def start(*args: Any, **kwargs: Any) -> Pop3Server:
        server = Pop3Server(*args, **kwargs)
        servers.append(server)
        return server.start()

    yield start
    problems: list[str] = []
    for server in servers:
        server.close()
        problems += server.errors
    if problems:
        pytest.fail("the POP3 test server failed:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def pop3_server(
    request: pytest.FixtureRequest, pop3_server_factory: Callable[..., Pop3Server]
) -> Pop3Server:
    """A started :class:`Pop3Server`; ``@pytest.mark.pop3_server(...)`` configures it."""
    args, kwargs = _marker_arguments(request, "pop3_server")
    return pop3_server_factory(*args, **kwargs)


@pytest.fixture(scope="session")
def tls_ca() -> CertificateAuthority:
    """The test CA of this test process (``trustme``, in memory)."""
    try:
        return CertificateAuthority()
    except ImportError as exc:
        missing(str(exc))
        raise  # not reached: missing() skips or fails


@pytest.fixture(scope="session")
def tls_server_context(tls_ca: CertificateAuthority) -> ssl.SSLContext:
    """A server context with a certificate from ``tls_ca`` for localhost, 127.0.0.1, ::1."""
    return tls_ca.server_context()


@pytest.fixture(scope="session")
def tls_wrong_host_context(tls_ca: CertificateAuthority) -> ssl.SSLContext:
    """A server context whose certificate (from ``tls_ca``) names another host only."""
    return tls_ca.wrong_host_context()


@pytest.fixture(scope="session")
def tls_untrusted_context(tls_ca: CertificateAuthority) -> ssl.SSLContext:
    """A server context for the right hosts, from a CA that ``tls_client_context``
    does not trust."""
    return CertificateAuthority(tls_ca.key_type).server_context()


@pytest.fixture
def tls_client_context(tls_ca: CertificateAuthority) -> ssl.SSLContext:
    """A fresh client context trusting ``tls_ca``: ``ssl.create_default_context()`` + CA."""
    return tls_ca.client_context()


@pytest.fixture(scope="session")
def tls_ca_file(tls_ca: CertificateAuthority, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tls_ca``'s certificate in a PEM file."""
    return tls_ca.write_ca(tmp_path_factory.mktemp("tls-ca") / "ca.pem")


def _tls_server(
    request: pytest.FixtureRequest, factory: Callable[..., Pop3Server], option: str,
    server_context: ssl.SSLContext, client_context: ssl.SSLContext,
) -> Pop3Server:
    args, kwargs = _marker_arguments(request, "pop3_server")
    if "tls" not in kwargs and "starttls" not in kwargs:
        kwargs[option] = server_context
    kwargs.setdefault("client_context", client_context)
    return factory(*args, **kwargs)


@pytest.fixture
def pop3_tls_server(
    request: pytest.FixtureRequest,
    pop3_server_factory: Callable[..., Pop3Server],
    tls_server_context: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
) -> Pop3Server:
    """A started POP3S :class:`Pop3Server` (TLS from the first byte); the
    ``pop3_server`` marker configures it."""
    return _tls_server(request, pop3_server_factory, "tls", tls_server_context,
                       tls_client_context)


@pytest.fixture
def pop3_starttls_server(
    request: pytest.FixtureRequest,
    pop3_server_factory: Callable[..., Pop3Server],
    tls_server_context: ssl.SSLContext,
    tls_client_context: ssl.SSLContext,
) -> Pop3Server:
    """A started :class:`Pop3Server` offering ``STLS``; the ``pop3_server`` marker
    configures it."""
    return _tls_server(request, pop3_server_factory, "starttls", tls_server_context,
                       tls_client_context)


@pytest.fixture
def pop3_sample_messages() -> list[Message]:
    """The bundled sample maildrop (plain, multipart, dot lines, long lines, non-ASCII)."""
    return sample_messages()


@pytest.fixture
def packet_pool(request: pytest.FixtureRequest) -> Iterator[Any]:
    """An ``nxpop3.PacketPool`` that must be full again when the test ends."""
    import nxpop3

    args, kwargs = _marker_arguments(request, "packet_pool")
    pool = nxpop3.PacketPool(*args, **kwargs)
    yield pool
    gc.collect()  # let objects freed by ffi.gc give their packets back first
    if pool.available != pool.total:
        held = pool.total - pool.available
        pytest.fail(
            f"packet pool leak: {held} of {pool.total} packets still allocated at teardown",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def dovecot_binary() -> str:
    """The path of the dovecot program; skips (fails under CI) when it is not installed."""
    binary = find_dovecot()
    if binary is None:
        missing("dovecot is not installed: apt-get install dovecot-core dovecot-pop3d")
    return binary


@pytest.fixture(scope="session")
def dovecot_server(
    dovecot_binary: str, request: pytest.FixtureRequest
) -> Iterator[DovecotServer]:
    """One Dovecot for this test process, stopped when the session ends; TLS on (from
    ``tls_ca``) when trustme is installed."""
    try:
        certificates: CertificateAuthority | None = request.getfixturevalue("tls_ca")
    except pytest.skip.Exception:  # no trustme outside CI: the plain tests still run
        certificates = None
    server = DovecotServer(binary=dovecot_binary, certificates=certificates)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> DovecotMailbox:
    """The test process's Dovecot with a fresh user and an empty Maildir."""
    if not dovecot_server.running:  # a test stopped or broke it: start a new one
        dovecot_server.stop()
        dovecot_server.start()
    return dovecot_server.new_mailbox()
