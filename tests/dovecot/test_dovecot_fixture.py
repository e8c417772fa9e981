"""The DovecotServer test fixture itself, checked with bare sockets and poplib.

These tests do not need the nxpop3 C extension: they prove that what the client tests
compare against (message order, stored bytes, sizes, users) is what Dovecot serves.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import poplib
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nxpop3.testing.dovecot.process as dovecot_process
from nxpop3.testing.dovecot import (
    DovecotError,
    DovecotMailbox,
    DovecotServer,
    as_retrieved,
    listed_size,
)


class RawPop3:
    """A bare POP3 peer that returns bodies exactly as sent (still stuffed)."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=5.0)
        self.file = self.sock.makefile("rb")
        self.greeting = self.line()

    def line(self) -> bytes:
        data = self.file.readline(1 << 20)
        if not data.endswith(b"\r\n"):
            raise EOFError(f"incomplete line {data!r}")
        return data

    def command(self, text: str) -> bytes:
        self.sock.sendall(text.encode() + b"\r\n")
        return self.line()

    def body(self) -> bytes:
        """The multi-line body up to (without) the terminating ``.CRLF``, unstuffed."""
        out = []
        while True:
            data = self.line()
            if data == b".\r\n":
                return b"".join(out)
            out.append(data[1:] if data.startswith(b".") else data)

    def login(self, user: str, password: str) -> None:
        assert self.command(f"USER {user}").startswith(b"+OK")
        reply = self.command(f"PASS {password}")
        assert reply.startswith(b"+OK"), reply

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def _refused(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2.0):
            return False
    except OSError:
        return True


def test_start_greet_and_stop_cleanly(dovecot_binary: str) -> None:
    server = DovecotServer(binary=dovecot_binary)
    with server:
        root, pid, port = server.root, server.pid, server.port
        assert server.running
        assert (root / "run" / "master.pid").read_text().strip() == str(pid)
        # APOP is on: the greeting carries a <...@...> timestamp.
        assert server.greeting.startswith(b"+OK")
        assert b"<" in server.greeting and b"@" in server.greeting
        config = server.config_path.read_text()
        for line in (f'base_dir = "{root}/run"', "ssl = no", "auth_failure_delay = 0",
                     "disable_plaintext_auth = no",
                     "auth_mechanisms = plain login cram-md5 scram-sha-256 apop"):
            assert line in config
        for host in server.hosts:
            probe = RawPop3(host, port)
            assert probe.greeting.startswith(b"+OK")
            probe.close()
    assert not server.running
    assert not root.exists()
    assert _refused("127.0.0.1", port)
    server.stop()  # a second stop is harmless


def test_instances_run_side_by_side(dovecot_binary: str, dovecot: DovecotMailbox) -> None:
    # ``dovecot`` is this process's shared server; another one starts beside it.
    with DovecotServer(binary=dovecot_binary) as other:
        assert other.port != dovecot.port
        assert other.root != dovecot.server.root
        other.add_user("alice", "secret")
        other.add_message("alice", b"Subject: other\n\nx\n")
        dovecot.add_message(b"Subject: mine\n\ny\n")
        for box in (other.mailbox("alice"), dovecot):
            peer = RawPop3(box.host, box.port)
            peer.login(box.user, box.password)
            assert peer.command("STAT") == b"+OK 1 %d\r\n" % listed_size(box.messages()[0])
            peer.close()


def test_a_taken_port_is_retried(dovecot_binary: str, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    taken = blocker.getsockname()[1]
    real_free_port = dovecot_process.free_port
    offered: list[int] = []

    def free_port(hosts: list[str]) -> int:
        port = taken if not offered else real_free_port(hosts)
        offered.append(port)
        return port

    monkeypatch.setattr(dovecot_process, "free_port", free_port)
    try:
        with DovecotServer(binary=dovecot_binary, hosts=["127.0.0.1"]) as server:
            assert offered[0] == taken
            assert server.port == offered[-1] != taken
            assert len(offered) == 2
    finally:
        blocker.close()


def test_start_fails_clearly_without_binary(tmp_path: Path) -> None:
    server = DovecotServer(binary=str(tmp_path / "no-dovecot"))
    with pytest.raises(DovecotError, match="not an executable"):
        server.start()
    assert not server.running


def test_stored_messages_are_served_in_order(dovecot: DovecotMailbox) -> None:
    # Dovecot numbers new Maildir files by the number at the start of their names.
    messages = [b"Subject: %d\n\n.dot line %d\nend\n" % (n, n) for n in range(1, 41)]
    messages.append(b"Subject: CRLF\r\n\r\nbody\r\n")
    messages.append(b"Subject: no line ending at the end\n\nlast")
    dovecot.add_messages(messages)
    assert dovecot.messages() == messages
    peer = RawPop3(dovecot.host, dovecot.port)
    peer.login(dovecot.user, dovecot.password)
    assert peer.command("STAT") == b"+OK %d %d\r\n" % (
        len(messages), sum(listed_size(m) for m in messages))
    for n, message in enumerate(messages, start=1):
        assert peer.command(f"LIST {n}") == b"+OK %d %d\r\n" % (n, listed_size(message))
        assert peer.command(f"RETR {n}").startswith(b"+OK")
        assert peer.body() == as_retrieved(message), f"message {n}"
    assert peer.command("QUIT").startswith(b"+OK")
    peer.close()


def test_files_belong_to_the_mail_user(dovecot: DovecotMailbox) -> None:
    path = dovecot.add_message(b"Subject: owner\n\nx\n")
    account = dovecot.server.mail_account
    expected = (account.uid, account.gid)
    for item in (path, dovecot.maildir, dovecot.maildir / "new"):
        info = item.stat()
        assert (info.st_uid, info.st_gid) == expected
    if os.geteuid() == 0:
        assert info.st_uid != 0  # Dovecot refuses to run mail processes as root


def test_messages_added_between_sessions(dovecot: DovecotMailbox) -> None:
    dovecot.add_message(b"Subject: first\n\n1\n")
    pop = poplib.POP3(dovecot.host, dovecot.port, timeout=5.0)
    pop.user(dovecot.user)
    pop.pass_(dovecot.password)
    assert pop.stat()[0] == 1
    pop.quit()
    dovecot.add_message(b"Subject: second\n\n2\n")
    pop = poplib.POP3(dovecot.host, dovecot.port, timeout=5.0)
    pop.user(dovecot.user)
    pop.pass_(dovecot.password)
    assert pop.stat()[0] == 2
    assert pop.retr(2)[1] == [b"Subject: second", b"", b"2"]
    pop.quit()


def test_deleted_messages_leave_the_store_at_quit(dovecot: DovecotMailbox) -> None:
    messages = [b"Subject: %d\n\nbody\n" % n for n in range(1, 5)]
    dovecot.add_messages(messages)
    pop = poplib.POP3(dovecot.host, dovecot.port, timeout=5.0)
    pop.user(dovecot.user)
    pop.pass_(dovecot.password)
    pop.dele(2)
    assert dovecot.messages() == messages  # nothing happens before QUIT
    pop.quit()
    assert dovecot.messages() == [messages[0], messages[2], messages[3]]


def test_users_added_and_changed_while_running(dovecot: DovecotMailbox) -> None:
    server = dovecot.server
    pop = poplib.POP3(server.host, server.port, timeout=5.0)
    pop.user("latecomer")
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
        pop.pass_("pw-1")
    pop.quit()
    server.add_user("latecomer", "pw-1")
    pop = poplib.POP3(server.host, server.port, timeout=5.0)
    pop.user("latecomer")
    pop.pass_("pw-1")
    pop.quit()
    server.add_user("latecomer", "pw-2")  # waits for Dovecot's once-a-second file check
    pop = poplib.POP3(server.host, server.port, timeout=5.0)
    pop.user("latecomer")
    pop.pass_("pw-2")
    pop.quit()


def test_apop_login_with_poplib(dovecot: DovecotMailbox) -> None:
    pop = poplib.POP3(dovecot.host, dovecot.port, timeout=5.0)
    pop.apop(dovecot.user, dovecot.password)
    assert pop.stat() == (0, 0)
    pop.quit()
    dovecot.server.wait_log(f"Login: user=<{dovecot.user}>, method=APOP")


def test_capa_offers_user_and_the_sasl_mechanisms(dovecot: DovecotMailbox) -> None:
    """The SASL line lists the four mechanisms Dovecot can run from a {PLAIN} password;
    USER stays, and APOP too (the greeting's timestamp)."""
    peer = RawPop3(dovecot.host, dovecot.port)
    assert b"<" in peer.greeting and b"@" in peer.greeting
    assert peer.command("CAPA").startswith(b"+OK")
    lines = peer.body().decode("ascii").split("\r\n")
    assert "USER" in lines
    assert "SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256" in lines
    assert peer.command("QUIT").startswith(b"+OK")
    peer.close()


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def test_scram_server_final_comes_as_a_continuation(dovecot: DovecotMailbox) -> None:
    """RFC 5802 by hand against the fixture: Dovecot sends server-first and then its
    server-final ("v=...", the signature checked here) each in a "+ " continuation, and
    says +OK only after the client's empty answer to the second."""
    peer = RawPop3(dovecot.host, dovecot.port)
    bare = f"n={dovecot.user},r={base64.b64encode(os.urandom(18)).decode()}"
    first = peer.command("AUTH SCRAM-SHA-256 " + _b64(b"n,," + bare.encode()).decode())
    assert first.startswith(b"+ "), first
    server_first = base64.b64decode(first[2:].strip(), validate=True).decode("ascii")
    fields = dict(part.split("=", 1) for part in server_first.split(","))
    assert fields["r"].startswith(bare.split("r=", 1)[1]) and int(fields["i"]) >= 4096
    salted = hashlib.pbkdf2_hmac("sha256", dovecot.password.encode(),
                                 base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    without_proof = f"c=biws,r={fields['r']}"
    message = f"{bare},{server_first},{without_proof}".encode()
    signature = hmac.digest(hashlib.sha256(client_key).digest(), message, "sha256")
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    final = peer.command(_b64(f"{without_proof},p=".encode() + _b64(proof)).decode())
    assert final.startswith(b"+ "), final
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    expected = b"v=" + _b64(hmac.digest(server_key, message, "sha256"))
    assert base64.b64decode(final[2:].strip(), validate=True) == expected
    assert peer.command("").startswith(b"+OK")
    assert peer.command("QUIT").startswith(b"+OK")
    peer.close()
    dovecot.server.wait_log(f"Login: user=<{dovecot.user}>, method=SCRAM-SHA-256")


def test_bad_names_and_passwords_are_refused(dovecot: DovecotMailbox) -> None:
    for name in ("", "a/b", "a:b", "x" * 41, "../etc"):
        with pytest.raises(ValueError):
            dovecot.server.add_user(name, "pw")
    for password in ("", "a:b", "a\nb"):
        with pytest.raises(ValueError):
            dovecot.server.add_user("fine", password)


def test_as_retrieved_and_listed_size() -> None:
    assert as_retrieved(b"a\nb\r\nc\n") == b"a\r\nb\r\nc\r\n"
    assert as_retrieved(b"no end") == b"no end\r\n"
    assert as_retrieved(b"") == b""
    assert listed_size(b"a\nb\r\nc\n") == len(b"a\r\nb\r\nc\r\n")
    assert listed_size(b"no end") == 6  # Dovecot does not count the CRLF it adds


def _run_fixture_check(tmp_path: Path, env_overrides: dict[str, str]) -> str:
    """Run a one-test pytest session on the installed plugin; return its summary output."""
    (tmp_path / "test_probe.py").write_text(textwrap.dedent("""\
        def test_probe(dovecot):
            assert dovecot.port
        """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.update(env_overrides)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs",
         str(tmp_path / "test_probe.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    return proc.stdout + proc.stderr


def test_fixture_skips_without_dovecot_outside_ci(tmp_path: Path) -> None:
    out = _run_fixture_check(tmp_path, {"CI": "", "NXPOP3_DOVECOT": "/nonexistent"})
    assert "1 skipped" in out, out
    assert "dovecot is not installed" in out, out


def test_fixture_fails_without_dovecot_in_ci(tmp_path: Path) -> None:
    out = _run_fixture_check(tmp_path, {"CI": "true", "NXPOP3_DOVECOT": "/nonexistent"})
    assert "1 error" in out, out
    assert "skipped" not in out, out
    assert "CI=true" in out, out


def test_run_by_hand_entry_point() -> None:
    """``python -m nxpop3.testing.dovecot`` still runs now that it is a package."""
    proc = subprocess.run([sys.executable, "-m", "nxpop3.testing.dovecot", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "--messages" in proc.stdout


def test_config_names_only_the_instance_folder(tmp_path: Path) -> None:
    from nxpop3.testing.dovecot.config import Layout, MailAccount, render_config

    layout = Layout(tmp_path)
    text = render_config(layout, ["127.0.0.1"], 1100, MailAccount("u", "g", 1000, 1000), 7)
    assert f'base_dir = "{tmp_path}/run"' in text
    assert "port = 1100" in text and "mail_max_userip_connections = 7" in text
    assert "/etc/dovecot" not in text
