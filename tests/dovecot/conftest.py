"""Fixtures for the tests against a real Dovecot POP3 server (``dovecot``,
``dovecot_server`` and ``dovecot_binary`` come from the nxpop3 pytest plugin).

``pool`` / ``make_pool``
    ``nxpop3.PacketPool`` objects that must be full again when the test ends.
``connect``
    Opens an ``nxpop3.Client`` to the test user with the test's pool; closed at teardown.
``dovecot_tls``
    The ``dovecot`` mailbox, with TLS on (``STLS`` on ``port``, POP3S on ``tls_port``,
    ``client_context()``); skips without trustme (fails under ``CI=true``).
"""
from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nxpop3.testing.dependencies import missing
from nxpop3.testing.dovecot import DovecotMailbox


@pytest.fixture(scope="session")
def nxpop3_module() -> Any:
    """The nxpop3 package with its C extension loaded."""
    try:
        import nxpop3

        nxpop3.Client  # noqa: B018  (loads the C extension)
    except ImportError as exc:
        missing(f"the nxpop3 C extension is not built: {exc}")
    return nxpop3


@pytest.fixture
def make_pool(nxpop3_module: Any) -> Iterator[Callable[..., Any]]:
    """Create PacketPools; each must have all its packets back when the test ends."""
    pools: list[Any] = []

    def make(*args: Any, **kwargs: Any) -> Any:
        pool = nxpop3_module.PacketPool(*args, **kwargs)
        pools.append(pool)
        return pool

    yield make
    gc.collect()  # objects freed through ffi.gc give their packets back first
    leaks = [f"{pool.total - pool.available} of {pool.total}"
             for pool in pools if pool.available != pool.total]
    if leaks:
        pytest.fail("packets still allocated at teardown: " + ", ".join(leaks), pytrace=False)


@pytest.fixture
def pool(make_pool: Callable[..., Any]) -> Any:
    """A default PacketPool (1536-byte payloads, 16 packets), full again at teardown."""
    return make_pool()


@pytest.fixture
def connect(
    nxpop3_module: Any, dovecot: DovecotMailbox, pool: Any
) -> Iterator[Callable[..., Any]]:
    """Open a Client logged in as the test user (keywords override), using ``pool``.

    Every client opened is closed before the pools are checked.
    """
    clients: list[Any] = []

    def open_client(**kwargs: Any) -> Any:
        args: dict[str, Any] = {
            "host": dovecot.host,
            "port": dovecot.port,
            "user": dovecot.user,
            "password": dovecot.password,
            "timeout": 10.0,
            "pool": pool,
        }
        args.update(kwargs)
        client = nxpop3_module.Client(**args)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


@pytest.fixture
def dovecot_tls(dovecot: DovecotMailbox, tls_ca: Any) -> DovecotMailbox:
    """The test user of a Dovecot with TLS on, its certificate from ``tls_ca``."""
    if dovecot.server.certificates is not tls_ca:
        pytest.fail("the dovecot fixture runs without the test CA", pytrace=False)
    return dovecot
