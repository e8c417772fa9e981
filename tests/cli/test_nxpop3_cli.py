"""The nxpop3 command, run as a user runs it: ``python -m nxpop3`` in a subprocess.

The servers are nxpop3.testing.Pop3Server instances in this process; the command under
test fetches from them through the C client.
"""
from __future__ import annotations

import mailbox
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nxpop3.cli import EXIT_AUTH, EXIT_NETWORK, EXIT_PROTOCOL, EXIT_SERVER, EXIT_STORAGE
from nxpop3.testing import Pop3Server, sample_messages, to_crlf


def cli_environment(cwd: Path, password: str | None = None) -> dict[str, str]:
    """The environment of a ``python -m nxpop3`` subprocess: no password, ``.netrc``
    or accounts file of the developer's leaks in; ``password`` in NXPOP3_PASSWORD."""
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("NXPOP3_PASSWORD", "NETRC", "XDG_CONFIG_HOME")}
    environment["PYTHONIOENCODING"] = "utf-8"
    environment["NETRC"] = str(cwd / "no-such-netrc")
    if password is not None:
        environment["NXPOP3_PASSWORD"] = password
    return environment


def run_cli(
    *args: str,
    cwd: Path,
    password: str | None = None,
    stdin: str | None = None,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m nxpop3 ARGS`` with no terminal; ``password`` goes in NXPOP3_PASSWORD.
    No ``.netrc`` is read (``NETRC`` names a missing file) unless ``env`` sets one."""
    environment = cli_environment(cwd, password)
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "nxpop3", *args],
        cwd=cwd,
        env=environment,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        start_new_session=True,  # no controlling terminal: getpass cannot open /dev/tty
    )


def maildir_messages(path: Path) -> list[bytes]:
    """Every message of a Maildir as stored on disk, sorted (Maildir has no order)."""
    box = mailbox.Maildir(str(path), factory=None, create=False)
    return sorted(box.get_bytes(key) for key in box.iterkeys())


def make_messages(count: int, seed: int = 1939) -> list[bytes]:
    """``count`` varied messages: dot lines, long lines, bare LF, empty bodies, 8-bit text."""
    rng = random.Random(seed)
    messages = []
    for n in range(1, count + 1):
        lines = [f"line {i} of message {n} " + "w" * rng.randrange(0, 120) for i in range(5)]
        kind = n % 5
        if kind == 0:
            lines += [".", ".starts with a dot", "..", "...three"]
        elif kind == 1:
            lines.append("L" * rng.randrange(2000, 20000))
        elif kind == 2:
            lines = []
        elif kind == 3:
            lines.append("Grüße, 東京, ☕")
        head = [f"From: sender{n}@example.test", f"Subject: message {n}", f"Message-ID: <m{n}@x>"]
        newline = "\n" if n % 2 else "\r\n"
        text = newline.join([*head, "", *lines]) + newline
        messages.append(text.encode("utf-8"))
    return messages

def fetch_args(server: Pop3Server, *extra: str) -> list[str]:
    return ["fetch", server.host, "--port", str(server.port), "--user", server.user, *extra]


# -- help --------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [[], ["fetch"], ["serve"]])
def test_help_everywhere(tmp_path, command):
    result = run_cli(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: nxpop3")


def test_fetch_help_documents_the_exit_codes(tmp_path):
    out = run_cli("fetch", "--help", cwd=tmp_path).stdout
    for code in ("  3  login refused", "  5  network", "  7  cannot write"):
        assert code in out


def test_no_command_prints_help_and_fails(tmp_path):
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2
    assert "fetch" in result.stdout and "serve" in result.stdout


def test_version(tmp_path):
    import nxpop3

    assert run_cli("--version", cwd=tmp_path).stdout.strip() == f"nxpop3 {nxpop3.__version__}"


# -- the demonstration ---------------------------------------------------------------------------

def test_fetch_without_a_host_fetches_the_bundled_sample_into_a_maildir(tmp_path):
    result = run_cli("fetch", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    stored = maildir_messages(tmp_path / "nxpop3-mail")
    assert stored == sorted(m.data for m in sample_messages())
    assert "Lunch on Thursday?" in result.stdout
    assert "Grüße aus Zürich" in result.stdout  # the RFC 2047 subject, decoded
    assert "Fetched 5 of 5 messages" in result.stdout
    assert "secret" not in result.stdout.split("Commands sent")[1]


def test_demo_destination_and_apop(tmp_path):
    result = run_cli("fetch", "--apop", "--to", "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "APOP alice" in result.stdout
    assert len(maildir_messages(tmp_path / "demo")) == 5


# -- fetch ---------------------------------------------------------------------------------------

def test_fetch_200_messages_into_a_maildir_byte_for_byte(tmp_path):
    with Pop3Server(make_messages(200)) as server:
        result = run_cli(*fetch_args(server), "--to", "mail", cwd=tmp_path, password="secret")
        assert result.returncode == 0, result.stderr
        assert maildir_messages(tmp_path / "mail") == sorted(server.messages)
        assert not os.listdir(tmp_path / "mail" / "tmp")
        assert [c for c in server.commands if c.startswith("RETR")] == [
            f"RETR {n}" for n in range(1, 201)
        ]
        assert not any(c.startswith("DELE") for c in server.commands)
        assert len(server.messages) == 200
        assert "Fetched 200 of 200 messages" in result.stdout


def test_delete_leaves_the_server_empty_and_deletes_only_stored_messages(tmp_path):
    messages = make_messages(20)
    with Pop3Server(messages) as server:
        result = run_cli(*fetch_args(server), "--delete", cwd=tmp_path, password="secret")
        assert result.returncode == 0, result.stderr
        assert server.messages == []
        assert maildir_messages(tmp_path / "nxpop3-mail") == sorted(map(to_crlf, messages))
        start = server.commands.index("STAT")
        assert server.commands[start + 1] == "UIDL"
        transaction = server.commands[start + 2:-1]  # after login, STAT, UIDL; before QUIT
        assert transaction == [c for n in range(1, 21) for c in (f"RETR {n}", f"DELE {n}")]
        assert server.commands[-1] == "QUIT"
        assert "deleted 20 on the server" in result.stdout


def test_wrong_password_has_its_own_exit_code_and_names_the_status(tmp_path):
    with Pop3Server([b"x"]) as server:
        result = run_cli(*fetch_args(server), cwd=tmp_path, password="wrong")
    assert result.returncode == EXIT_AUTH == 3
    assert (
        "NX_POP3_SERVER_ERROR_STATUS (0xB4): PASS refused: -ERR [AUTH] invalid user name"
        in result.stderr
    )
    assert "wrong" not in result.stderr + result.stdout
    assert not (tmp_path / "nxpop3-mail").exists()


def test_server_error_exit_code_keeps_what_was_stored(tmp_path):
    with Pop3Server(make_messages(5)) as server:
        server.fault("RETR 3", err="[SYS/TEMP] try later")
        result = run_cli(*fetch_args(server), "--delete", cwd=tmp_path, password="secret")
        assert result.returncode == EXIT_SERVER
        assert "RETR refused: -ERR [SYS/TEMP] try later" in result.stderr
        assert "2 complete messages were stored" in result.stderr
        assert "nothing was deleted on the server" in result.stderr
        assert len(maildir_messages(tmp_path / "nxpop3-mail")) == 2
        assert server.wait_idle(5)
        assert len(server.messages) == 5
        assert "QUIT" not in server.commands


def test_nothing_listening_is_a_network_error(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run_cli("fetch", "127.0.0.1", "-p", str(port), "-u", "alice", "--timeout", "2",
                     cwd=tmp_path, password="secret")
    assert result.returncode == EXIT_NETWORK
    assert "NX_" in result.stderr and f"127.0.0.1:{port}" in result.stderr


def test_server_dying_mid_download_leaves_no_half_written_message(tmp_path):
    messages = make_messages(100)
    with Pop3Server(messages) as server:
        server.fault("RETR", close_after=300, skip=49)  # RETR 50 stops after 300 bytes
        result = run_cli(*fetch_args(server), "--delete", cwd=tmp_path, password="secret")
        assert result.returncode == EXIT_NETWORK, result.stderr
        assert "RETR 50 (message 50 of 100)" in result.stderr
        stored = maildir_messages(tmp_path / "nxpop3-mail")
        assert stored == sorted(server.messages[:49])  # each one whole
        assert not os.listdir(tmp_path / "nxpop3-mail" / "tmp")
        assert server.wait_idle(5)
        assert len(server.messages) == 100  # no QUIT: the DELEs were never applied


def test_ctrl_c_stops_with_130_and_deletes_nothing(tmp_path):
    env = dict(os.environ, NXPOP3_PASSWORD="secret")
    with Pop3Server(make_messages(50)) as server:
        server.fault("RETR", delay=0.05)
        proc = subprocess.Popen(
            [sys.executable, "-m", "nxpop3", *fetch_args(server), "--delete"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while not any(c.startswith("DELE 3") for c in server.commands):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 130
        assert "interrupted; nothing was deleted" in err
        assert server.wait_idle(5)
        assert "QUIT" not in server.commands
        assert len(server.messages) == 50
    stored = maildir_messages(tmp_path / "nxpop3-mail")
    assert 3 <= len(stored) < 50 and set(stored) <= set(server.messages)


def test_a_silent_server_times_out_as_a_network_error(tmp_path):
    with Pop3Server([b"x"]) as server:
        server.fault("STAT", silent=True)
        # Bounded: a client that waited past its timeout would hit run_cli's 30 s limit.
        result = run_cli(*fetch_args(server), "--timeout", "0.5", cwd=tmp_path,
                         password="secret", timeout=30)
    assert result.returncode == EXIT_NETWORK
    assert "NX_NO_PACKET" in result.stderr and "at STAT" in result.stderr


def test_a_malformed_reply_is_a_protocol_error(tmp_path):
    with Pop3Server([b"x"]) as server:
        server.fault("STAT", raw=b"+OK many\r\n")
        result = run_cli(*fetch_args(server), cwd=tmp_path, password="secret")
    assert result.returncode == EXIT_PROTOCOL
    assert "NX_POP3_INVALID_REPLY" in result.stderr


def test_an_unwritable_destination_is_a_storage_error_and_deletes_nothing(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    with Pop3Server([b"x"]) as server:
        result = run_cli(*fetch_args(server), "--delete", "--to", "file/mail", cwd=tmp_path,
                         password="secret")
        assert result.returncode == EXIT_STORAGE
        assert server.wait_idle(5)
        assert len(server.messages) == 1


def test_limit_fetches_the_first_n(tmp_path):
    with Pop3Server(make_messages(10)) as server:
        result = run_cli(*fetch_args(server), "--limit", "3", cwd=tmp_path, password="secret")
        assert result.returncode == 0, result.stderr
        assert maildir_messages(tmp_path / "nxpop3-mail") == sorted(server.messages[:3])
        assert "Fetched 3 of 10 messages" in result.stdout


def test_mbox_format_with_lf_line_ends(tmp_path):
    with Pop3Server(make_messages(6)) as server:
        result = run_cli(*fetch_args(server), "--format", "mbox", "--to", "box.mbox",
                         cwd=tmp_path, password="secret")
        assert result.returncode == 0, result.stderr
        box = mailbox.mbox(str(tmp_path / "box.mbox"), create=False)
        stored = [box.get_bytes(key) for key in box.iterkeys()]
        assert len(stored) == 6
        for got, sent in zip(stored, server.messages):
            assert got.replace(b"\n>From ", b"\nFrom ") == sent.replace(b"\r\n", b"\n")


def test_lf_option_for_a_maildir(tmp_path):
    with Pop3Server(make_messages(4)) as server:
        result = run_cli(*fetch_args(server), "--lf", cwd=tmp_path, password="secret")
        assert result.returncode == 0, result.stderr
        expected = sorted(m.replace(b"\r\n", b"\n") for m in server.messages)
        assert maildir_messages(tmp_path / "nxpop3-mail") == expected


def test_apop_login(tmp_path):
    with Pop3Server(make_messages(2), apop=True) as server:
        result = run_cli(*fetch_args(server), "--apop", cwd=tmp_path, password="secret")
        assert result.returncode == 0, result.stderr
        assert server.commands[0].startswith("APOP alice ")
        assert "PASS secret" not in server.commands


@pytest.mark.parametrize("host", ["::1", "[::1]"])
def test_ipv6_literal_and_dash_6(tmp_path, host):
    try:
        server = Pop3Server(make_messages(2), host="::1").start()
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback: {exc}")
    with server:
        result = run_cli("fetch", host, "-6", "-p", str(server.port), "-u", "alice",
                         cwd=tmp_path, password="secret")
        assert result.returncode == 0, result.stderr
        assert maildir_messages(tmp_path / "nxpop3-mail") == sorted(server.messages)


def test_progress_bar_only_when_asked_without_a_terminal(tmp_path):
    with Pop3Server(make_messages(30)) as server:
        quiet = run_cli(*fetch_args(server), "--to", "a", cwd=tmp_path, password="secret")
        shown = run_cli(*fetch_args(server), "--to", "b", "--progress", cwd=tmp_path,
                        password="secret")
    assert quiet.returncode == shown.returncode == 0
    assert quiet.stderr == ""
    assert "30/30 messages" in shown.stderr and "[" + "#" * 24 + "]" in shown.stderr


def test_password_from_the_prompt_is_never_echoed(tmp_path):
    with Pop3Server([b"x"]) as server:
        result = run_cli(*fetch_args(server), cwd=tmp_path, stdin="s3cr3t-pw\n")
        assert result.returncode == EXIT_AUTH  # the prompt's answer was used, and refused
        assert "PASS s3cr3t-pw" in server.commands
    assert "Password for alice@127.0.0.1" in result.stderr
    assert "s3cr3t-pw" not in result.stdout + result.stderr


def test_no_password_and_no_terminal_is_a_usage_error(tmp_path):
    with Pop3Server([b"x"]) as server:
        result = run_cli(*fetch_args(server), cwd=tmp_path)
        assert result.returncode == 2
        assert "NXPOP3_PASSWORD" in result.stderr
        assert server.commands == []


# -- serve ---------------------------------------------------------------------------------------

def test_serve_a_folder_of_eml_until_ctrl_c(tmp_path):
    import poplib

    folder = tmp_path / "eml"
    folder.mkdir()
    for n, message in enumerate(make_messages(3), start=1):
        (folder / f"{n}.eml").write_bytes(message)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nxpop3", "serve", str(folder), "--port", "0", "--user", "bob",
         "--password", "pw", "-v"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        banner = proc.stdout.readline()
        assert banner.startswith("Serving 3 messages"), banner + proc.stderr.read()
        port = int(banner.rsplit(":", 1)[1].split(".")[0])
        client = poplib.POP3("127.0.0.1", port, timeout=5)
        client.user("bob")
        client.pass_("pw")
        assert client.stat()[0] == 3
        assert b"\r\n".join(client.retr(2)[1]) + b"\r\n" == to_crlf(make_messages(3)[1])
        client.dele(1)
        client.quit()
        time.sleep(0.3)  # let the command log catch up
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0, err
    assert "C: USER bob" in out and "C: PASS ****" in out and "pw" not in out.split("C: ")[2]
    assert "Stopped after 1 connections; 2 messages left." in out
    assert sorted(p.name for p in Path(folder).iterdir()) == ["1.eml", "2.eml", "3.eml"]


def test_serve_stops_by_itself_after_duration(tmp_path):
    # Bounded: a server that ignored --duration would hit run_cli's 30 s limit.
    result = run_cli("serve", "--port", "0", "--duration", "0.3", cwd=tmp_path, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "from the bundled sample maildrop" in result.stdout


def test_serve_a_missing_folder_is_a_usage_error(tmp_path):
    result = run_cli("serve", str(tmp_path / "nope"), "--port", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "not a Maildir" in result.stderr


def test_demo_logs_in_with_the_strongest_mechanism_and_hides_the_exchange(tmp_path):
    result = run_cli("fetch", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Logged in as alice with SCRAM-SHA-256." in result.stdout
    commands = result.stdout.split("Commands sent by the client: ")[1]
    assert commands.startswith("CAPA, AUTH SCRAM-SHA-256 ****, ****, ****, STAT")


@pytest.mark.parametrize("mechanism", ["CRAM-MD5", "PLAIN", "XOAUTH2", "USER"])
def test_demo_takes_a_named_mechanism(tmp_path, mechanism):
    result = run_cli("fetch", "--mechanism", mechanism, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Logged in as alice with {mechanism}." in result.stdout
    assert "c2VjcmV0" not in result.stdout  # "secret" in base64 (PLAIN's, XOAUTH2's)
