"""Certificates for TLS tests: a test CA made in memory, and the SSL contexts made from it.

:class:`CertificateAuthority` wraps a ``trustme`` CA (nothing is read from or written to
the repository): it issues server certificates for any host names and gives the
``ssl.SSLContext`` objects a test needs, a server's (:meth:`~CertificateAuthority.server_context`)
and a client's that trusts the CA (:meth:`~CertificateAuthority.client_context`). Files
are written only when asked, for programs that read them (Dovecot, a C client's
``--cafile``).

``trustme`` is a test dependency (the ``test`` extra), imported when a CA is made: importing
this module needs nothing but the standard library.

>>> ca = CertificateAuthority()                                      # doctest: +SKIP
>>> server = Pop3Server(tls=ca.server_context())                     # doctest: +SKIP
>>> poplib.POP3_SSL(*server.address, context=ca.client_context())    # doctest: +SKIP
"""
from __future__ import annotations

import os
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_HOSTS",
    "WRONG_HOST",
    "CertificateAuthority",
    "untrusted_server_context",
]

DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")
"""The names a test server certificate is for, by default: a DNS name and the loopback
addresses (IP address entries)."""

WRONG_HOST = "wrong-host.nxpop3.test"
"""The one name of a certificate made for another host (see
:meth:`CertificateAuthority.wrong_host_context`); ``.test`` is reserved (RFC 2606)."""


def _trustme() -> Any:
    try:
        import trustme
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "TLS test certificates need trustme: pip install 'nxpop3[test]' (or trustme)"
        ) from exc
    return trustme


class CertificateAuthority:
    """A certificate authority for tests, made in memory (``trustme``).

    Args:
        key_type: ``"ecdsa"`` (P-256, the default) or ``"rsa"`` (2048 bits), for the CA
            and every certificate it issues.
        organization: the organisation name in its certificates.
    """

    def __init__(self, key_type: str = "ecdsa", organization: str = "nxpop3 tests") -> None:
        trustme = _trustme()
        kinds = {"ecdsa": trustme.KeyType.ECDSA, "rsa": trustme.KeyType.RSA}
        if key_type not in kinds:
            raise ValueError(f"key_type must be 'ecdsa' or 'rsa', not {key_type!r}")
        self.key_type = key_type
        self._kind = kinds[key_type]
        self.ca = trustme.CA(organization_name=organization, key_type=self._kind)
        """The ``trustme.CA`` itself."""

    @property
    def cert_pem(self) -> bytes:
        """The CA's certificate, PEM: what a client trusts."""
        return self.ca.cert_pem.bytes()

    def issue(self, *hosts: str) -> Any:
        """A ``trustme.LeafCert`` for ``hosts`` (default :data:`DEFAULT_HOSTS`), signed by
        this CA: ``.cert_chain_pems``, ``.private_key_pem``."""
        return self.ca.issue_cert(*(hosts or DEFAULT_HOSTS), key_type=self._kind)

    def server_context(self, *hosts: str) -> ssl.SSLContext:
        """A new server-side context with a certificate for ``hosts`` (default
        :data:`DEFAULT_HOSTS`): ``ssl.create_default_context(Purpose.CLIENT_AUTH)``, so
        TLS 1.2 and 1.3."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.issue(*hosts).configure_cert(context)
        return context

    def wrong_host_context(self) -> ssl.SSLContext:
        """A server context whose certificate, from this same CA, names only
        :data:`WRONG_HOST`: trusted, but for another host."""
        return self.server_context(WRONG_HOST)

    def client_context(self) -> ssl.SSLContext:
        """A new client context that trusts this CA (and the system's CAs):
        ``ssl.create_default_context()`` plus the CA, so certificate and host-name
        verification are on."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def write_ca(self, path: str | os.PathLike[str]) -> Path:
        """Write the CA certificate (PEM) to ``path``, for a program's ``--cafile``."""
        target = Path(path)
        target.write_bytes(self.cert_pem)
        return target

    def write_server_files(
        self, folder: str | os.PathLike[str], hosts: Sequence[str] = DEFAULT_HOSTS,
        name: str = "server",
    ) -> tuple[Path, Path]:
        """Issue a certificate for ``hosts`` and write ``NAME.pem`` (the chain) and
        ``NAME.key`` (the private key, mode 0600) into ``folder``; returns both paths."""
        leaf = self.issue(*hosts)
        base = Path(folder)
        base.mkdir(parents=True, exist_ok=True)
        cert = base / f"{name}.pem"
        key = base / f"{name}.key"
        cert.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
        descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(leaf.private_key_pem.bytes())
        return cert, key

    def __repr__(self) -> str:
        return f"<CertificateAuthority {self.key_type}>"


def untrusted_server_context(*hosts: str) -> ssl.SSLContext:
    """A server context whose certificate comes from a CA of its own, which no client
    context of another :class:`CertificateAuthority` trusts (right names, unknown issuer)."""
    return CertificateAuthority().server_context(*hosts)
