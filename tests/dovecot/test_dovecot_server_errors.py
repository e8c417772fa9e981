"""DovecotServer's error handling: a server not started, TLS off, an empty host
list, no binary, a binary that fails to start (the instance folder cleaned up),
unknown users, a log line that never comes; and where its files are."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from nxpop3.testing.dovecot import DovecotServer
from nxpop3.testing.dovecot import server as server_module
from nxpop3.testing.dovecot.errors import DovecotError


def test_default_parent_is_the_folder_the_environment_names(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NXPOP3_DOVECOT_TMPDIR", str(tmp_path))
    assert server_module.default_parent() == str(tmp_path)


def test_default_parent_without_dev_shm_is_the_temporary_folder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NXPOP3_DOVECOT_TMPDIR", raising=False)
    monkeypatch.setattr(server_module.os, "access", lambda path, mode: False)
    assert server_module.default_parent() == tempfile.gettempdir()


def test_an_empty_host_list_is_refused() -> None:
    with pytest.raises(ValueError, match="hosts must not be empty"):
        DovecotServer(hosts=[])


def test_a_server_not_started_has_no_layout_nor_ports() -> None:
    server = DovecotServer()
    for name in ("layout", "port", "address", "log_path", "base_dir", "config_path"):
        with pytest.raises(DovecotError, match="has not been started"):
            getattr(server, name)
    with pytest.raises(DovecotError, match="TLS is off"):
        server.tls_port  # noqa: B018
    assert not server.running and server.pid == 0


def test_without_a_binary_start_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("NXPOP3_DOVECOT", str(tmp_path / "no-dovecot"))
    with pytest.raises(DovecotError, match="not installed"):
        DovecotServer().start()


def test_a_binary_that_fails_stops_and_removes_the_instance(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    binary = tmp_path / "dovecot"
    binary.write_text("#!/bin/sh\necho 'Fatal: refusing to start' >&2\nexit 89\n")
    binary.chmod(0o755)
    parent = Path(tempfile.mkdtemp(prefix="nxd", dir="/tmp"))
    monkeypatch.setenv("NXPOP3_DOVECOT_TMPDIR", str(parent))
    try:
        server = DovecotServer(binary=str(binary))
        with pytest.raises(DovecotError, match="exited with status 89:\n.*refusing to start"):
            server.start()
        assert not server.running
        assert list(parent.iterdir()) == []  # the temporary instance folder is gone
    finally:
        parent.rmdir()


def test_unknown_users_and_missing_log_lines(dovecot_server: DovecotServer) -> None:
    with pytest.raises(KeyError, match="no user 'nobody-here'"):
        dovecot_server.maildir("nobody-here")
    with pytest.raises(KeyError, match="no user 'nobody-here'"):
        dovecot_server.mailbox("nobody-here")
    with pytest.raises(DovecotError, match="no log line with 'never logged' within 0.05 s"):
        dovecot_server.wait_log("never logged", timeout=0.05)


def test_a_running_server_cannot_start_again(dovecot_server: DovecotServer) -> None:
    pid = dovecot_server.pid
    with pytest.raises(DovecotError, match="already running"):
        dovecot_server.start()
    assert dovecot_server.pid == pid and dovecot_server.running
    assert dovecot_server.address == (dovecot_server.host, dovecot_server.port)
    assert dovecot_server.log_path == dovecot_server.layout.log
    assert dovecot_server.base_dir == dovecot_server.layout.base_dir
    if dovecot_server.tls:
        assert dovecot_server.tls_address == (dovecot_server.host, dovecot_server.tls_port)
