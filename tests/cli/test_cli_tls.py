"""``nxpop3 fetch --tls | --starttls`` with ``--cafile``, ``--capath`` and
``--insecure``, against the test server with a trustme CA: verification on by
default, the exit code of a TLS failure, no credential before TLS, and the
warning --insecure prints on every run."""
from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from nxpop3.cli import EXIT_OK, EXIT_TLS, EXIT_USAGE
from nxpop3.testing import Pop3Server

MESSAGES = [b"Subject: one\r\n\r\nfirst\r\n", b"Subject: two\r\n\r\nsecond\r\n"]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(names or ("localhost", "127.0.0.1"))).configure_cert(context)
    return context


def maildir_messages(path: Path) -> list[bytes]:
    return sorted(p.read_bytes() for p in (path / "new").iterdir())


@pytest.fixture
def fetch(cli):
    def run(server: Pop3Server, tmp_path: Path, *options: str):
        return cli("fetch", "127.0.0.1", "-p", str(server.port), "-u", "alice",
                   "--to", str(tmp_path / "mail"), "--no-progress", *options,
                   cwd=tmp_path, password="secret")

    return run


@pytest.mark.parametrize("mode", ["--tls", "--starttls"])
def test_fetch_over_tls_with_a_ca_file(fetch, ca, ca_file, tmp_path: Path, mode: str) -> None:
    option = "tls" if mode == "--tls" else "starttls"
    with Pop3Server(MESSAGES, **{option: server_context(ca)}) as server:
        result = fetch(server, tmp_path, mode, "--cafile", str(ca_file))
        assert result.returncode == EXIT_OK, result.stderr
        assert maildir_messages(tmp_path / "mail") == sorted(MESSAGES)
        assert "warning" not in result.stderr


@pytest.mark.parametrize("mode", ["--tls", "--starttls"])
def test_an_untrusted_server_is_refused_before_the_password(fetch, ca, tmp_path: Path,
                                                            mode: str) -> None:
    option = "tls" if mode == "--tls" else "starttls"
    with Pop3Server(MESSAGES, **{option: server_context(ca)}) as server:
        result = fetch(server, tmp_path, mode)  # the system's CAs: not ours
        assert result.returncode == EXIT_TLS, result.stderr
        assert not any(c.startswith(("USER", "PASS")) for c in server.commands)


def test_starttls_against_a_server_without_stls(fetch, ca_file, tmp_path: Path) -> None:
    with Pop3Server(MESSAGES) as server:
        result = fetch(server, tmp_path, "--starttls", "--cafile", str(ca_file))
        assert result.returncode == EXIT_TLS, result.stderr
        assert server.commands == ["CAPA"]


def test_insecure_warns_on_every_run(fetch, ca, tmp_path: Path) -> None:
    with Pop3Server(MESSAGES, tls=server_context(ca, "other.example")) as server:
        for _ in range(2):
            result = fetch(server, tmp_path, "--tls", "--insecure")
            assert result.returncode == EXIT_OK, result.stderr
            assert "--insecure" in result.stderr and "NOT verified" in result.stderr


def test_tls_options_need_tls(fetch, cli, ca_file, tmp_path: Path) -> None:
    with Pop3Server(MESSAGES) as server:
        result = fetch(server, tmp_path, "--cafile", str(ca_file))
        assert result.returncode == EXIT_USAGE
        assert server.commands == []
    result = cli("fetch", "--tls", cwd=tmp_path)  # the sample maildrop has no TLS
    assert result.returncode == EXIT_USAGE
