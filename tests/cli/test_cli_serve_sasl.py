"""``nxpop3 serve`` with SASL and TLS, run as a user runs it: the server in one
subprocess, ``nxpop3 fetch`` in another, on a loopback port.

``--sasl``, ``--token``/``--token-file``, ``--tls``/``--starttls`` with the throwaway CA
whose file the server prints (and with ``--cert``/``--key``), the usage errors of the
option combinations, and the ``-v`` command log, which never shows a secret
(``CommandLog``, also checked in this process line by line)."""
from __future__ import annotations

import base64
import queue
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_nxpop3_cli import cli_environment

from nxpop3.cli import EXIT_AUTH, EXIT_OK, EXIT_TLS, EXIT_USAGE
from nxpop3.cli.exit_codes import EXIT_CONFIG
from nxpop3.cli.serve import CommandLog, hide_secrets
from nxpop3.testing import CertificateAuthority, Pop3Server, sample_messages

PASSWORD = "correct-horse-7431"
TOKEN = "ya29.serve-test-token-5512"
SAMPLE = sorted(message.data for message in sample_messages())
STARTUP = 60.0  # seconds for the server's banner: a bound, not a timing under test


class ServeProcess:
    """A running ``nxpop3 serve``: its stdout line by line with a bounded wait."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def line(self, timeout: float = STARTUP) -> str:
        """The next line of stdout; fails the test when none comes in ``timeout``."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"nxpop3 serve printed nothing in {timeout} s; so far: {self.seen}")
        if line is None:
            pytest.fail(f"nxpop3 serve ended (exit {self.proc.wait(10)}): {self.seen}")
        self.seen.append(line)
        return line

    def banner(self) -> list[str]:
        """The first line and the indented lines after it (read until the port answers)."""
        lines = [self.line()]
        assert lines[0].startswith("Serving "), lines
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline:  # the detail lines come right after the first
            try:
                line = self._lines.get(timeout=0.5)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if not line.startswith("  "):
                break
            lines.append(line.strip())
        return lines

    @property
    def port(self) -> int:
        return int(self.seen[0].rsplit(":", 1)[1].split(".")[0])

    def stop(self) -> str:
        """SIGINT, then everything it printed; killed if it does not stop in time."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        rest: list[str] = []
        while True:
            line = self._lines.get(timeout=30)
            if line is None:
                break
            rest.append(line)
        self.seen += rest
        return "\n".join(self.seen)


@contextmanager
def serve(cwd: Path, *options: str) -> Iterator[ServeProcess]:
    """``nxpop3 serve --port 0 OPTIONS`` on loopback; always killed at the end."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "nxpop3", "serve", "--port", "0", "--password", PASSWORD,
         "--duration", "300", *options],
        cwd=cwd, env=cli_environment(cwd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8", start_new_session=True,
    )
    try:
        yield ServeProcess(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def trusted_ca(banner: list[str]) -> tuple[Path, list[str]]:
    """The CA file of the banner's ``trust it with:`` line, and that suggested command."""
    line = next(line for line in banner if line.startswith("trust it with: "))
    command = shlex.split(line.removeprefix("trust it with: "))
    ca = Path(command[command.index("--cafile") + 1])
    return ca, command


def fetch(cli, port: int, cwd: Path, secret: str, *options: str):
    return cli("fetch", "127.0.0.1", "-p", str(port), "-u", "alice", "--to", str(cwd / "mail"),
               "--no-progress", "--all", *options, cwd=cwd, password=secret)


def maildir(path: Path) -> list[bytes]:
    return sorted(p.read_bytes() for p in (path / "new").iterdir())


# -- SCRAM over STLS, trusting the printed CA --------------------------------------------------

def test_scram_over_starttls_with_the_printed_throwaway_ca(cli, tmp_path: Path) -> None:
    with serve(tmp_path, "--sasl", "SCRAM-SHA-256,PLAIN", "--starttls", "-v") as server:
        banner = server.banner()
        ca, suggested = trusted_ca(banner)
        assert ca.is_file() and b"BEGIN CERTIFICATE" in ca.read_bytes()
        assert suggested[:2] == ["nxpop3", "fetch"] and "--starttls" in suggested
        assert suggested[suggested.index("-p") + 1] == str(server.port)
        assert "SASL (AUTH): SCRAM-SHA-256 PLAIN; USER/PASS too" in banner
        assert any(line.startswith("TLS: STLS") for line in banner)

        untrusted = fetch(cli, server.port, tmp_path, PASSWORD, "--starttls",
                          "--mechanism", "SCRAM-SHA-256")
        assert untrusted.returncode == EXIT_TLS, untrusted.stderr  # not without its CA

        result = fetch(cli, server.port, tmp_path, PASSWORD, "--starttls", "--cafile", str(ca),
                       "--mechanism", "SCRAM-SHA-256")
        assert result.returncode == EXIT_OK, result.stderr
        assert maildir(tmp_path / "mail") == SAMPLE
        time.sleep(0.3)  # let the command log print the last lines
        out = server.stop()
    assert server.proc.returncode == 0
    log = [line for line in out.splitlines() if line.startswith("C: ")]
    trusted = log[log.index("C: STLS", log.index("C: STLS") + 1):]  # the second connection
    assert trusted[:4] == ["C: STLS", "C: CAPA", "C: AUTH SCRAM-SHA-256 ****", "C: ****"]
    assert "C: RETR 5" in trusted and trusted[-1] == "C: QUIT"
    assert PASSWORD not in out
    assert not ca.exists()  # the throwaway CA goes with the server
    assert not ca.parent.exists()


# -- XOAUTH2 with a token file -----------------------------------------------------------------

def token_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "tokens"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_xoauth2_with_a_token_file_and_no_token_in_the_log(cli, tmp_path: Path) -> None:
    tokens = token_file(tmp_path, f"# bearer tokens\n\nalice={TOKEN}\n")
    with serve(tmp_path, "--sasl", "XOAUTH2", "--token-file", str(tokens), "-v") as server:
        banner = server.banner()
        assert "bearer token for alice (XOAUTH2)" in banner
        assert not any("trust it with" in line or "TLS" in line for line in banner)
        result = fetch(cli, server.port, tmp_path, TOKEN, "--mechanism", "XOAUTH2")
        assert result.returncode == EXIT_OK, result.stderr
        assert maildir(tmp_path / "mail") == SAMPLE
        wrong = fetch(cli, server.port, tmp_path, TOKEN + "x", "--mechanism", "XOAUTH2")
        assert wrong.returncode == EXIT_AUTH, wrong.stderr
        password = fetch(cli, server.port, tmp_path, PASSWORD, "--mechanism", "XOAUTH2")
        assert password.returncode == EXIT_AUTH  # the token, not the password, logs in
        time.sleep(0.3)
        out = server.stop()
    assert server.proc.returncode == 0
    assert "C: AUTH XOAUTH2 ****" in out
    message = f"user=alice\x01auth=Bearer {TOKEN}\x01\x01".encode()
    for secret in (TOKEN, TOKEN[5:], base64.b64encode(message).decode()[:24]):
        assert secret not in out


def test_a_token_file_others_can_read_is_refused(cli, tmp_path: Path) -> None:
    tokens = token_file(tmp_path, f"alice={TOKEN}\n", mode=0o644)
    result = cli("serve", "--port", "0", "--sasl", "XOAUTH2", "--token-file", str(tokens),
                 "--duration", "0.1", cwd=tmp_path, timeout=60)
    assert result.returncode == EXIT_CONFIG
    assert "chmod 600" in result.stderr and "Serving" not in result.stdout
    assert TOKEN not in result.stderr + result.stdout


def test_a_malformed_token_file_names_the_line_not_its_text(cli, tmp_path: Path) -> None:
    tokens = token_file(tmp_path, f"alice={TOKEN}\n{TOKEN}\n")
    result = cli("serve", "--port", "0", "--sasl", "XOAUTH2", "--token-file", str(tokens),
                 "--duration", "0.1", cwd=tmp_path, timeout=60)
    assert result.returncode == EXIT_CONFIG
    assert "line 2" in result.stderr and TOKEN not in result.stderr + result.stdout


# -- POP3S with --cert and --key --------------------------------------------------------------

def test_pop3s_with_cert_and_key_files(cli, tmp_path: Path) -> None:
    authority = CertificateAuthority()
    cert, key = authority.write_server_files(tmp_path / "tls")
    ca = authority.write_ca(tmp_path / "tls" / "ca.pem")
    with serve(tmp_path, "--tls", "--cert", str(cert), "--key", str(key),
               "--sasl", "CRAM-MD5") as server:
        banner = server.banner()
        assert f"TLS: POP3S: TLS from the first byte; certificate {cert}" in banner
        assert not any(line.startswith("trust it with") for line in banner)
        result = fetch(cli, server.port, tmp_path, PASSWORD, "--tls", "--cafile", str(ca),
                       "--mechanism", "CRAM-MD5")
        assert result.returncode == EXIT_OK, result.stderr
        assert maildir(tmp_path / "mail") == SAMPLE
        server.stop()
    assert server.proc.returncode == 0


def test_without_options_the_banner_is_one_line_as_before(tmp_path: Path) -> None:
    with serve(tmp_path) as server:
        assert server.banner() == [server.seen[0]]
        assert server.seen[0].endswith(f"127.0.0.1:{server.port}. Ctrl-C stops.")
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            greeting = sock.makefile("rb").readline()
        assert greeting.startswith(b"+OK")
        server.stop()


# -- usage errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    ["--tls", "--starttls"],
    ["--cert", "server.pem"],
    ["--key", "server.key", "--tls"],
    ["--token", "alice=t0ken"],
    ["--sasl", "PLAIN", "--token", "alice=t0ken"],
    ["--sasl", "NOT-A-MECHANISM"],
    ["--sasl", "PLAIN,,LOGIN"],
    ["--sasl", "PLAIN,plain"],
    ["--sasl", "XOAUTH2", "--token", "t0ken-without-a-user"],
    ["--sasl", "XOAUTH2", "--token", "alice=t0ken with spaces"],
    ["--sasl", "XOAUTH2", "--token", "bob=t0ken"],
    ["--starttls", "--cert", "no-such-t0ken-cert.pem"],
], ids=["tls-and-starttls", "cert-without-tls", "key-without-cert", "token-without-sasl",
        "token-without-oauth", "unknown-mechanism", "empty-name", "named-twice",
        "token-without-user", "token-with-spaces", "token-of-another-user",
        "cert-not-found"])
def test_bad_option_combinations_are_usage_errors(cli, tmp_path: Path,
                                                  options: list[str]) -> None:
    # --duration bounds a server that would wrongly start.
    result = cli("serve", "--port", "0", "--duration", "0.1", *options, cwd=tmp_path,
                 timeout=60)
    assert result.returncode == EXIT_USAGE, result.stdout + result.stderr
    assert "Serving" not in result.stdout
    assert "t0ken" not in result.stderr.replace("no-such-t0ken-cert.pem", "")


def test_tls_without_a_certificate_or_trustme_says_to_pass_cert(tmp_path: Path) -> None:
    code = ("import sys; sys.modules['trustme'] = None; from nxpop3.cli import main; "
            "sys.exit(main(['serve', '--port', '0', '--starttls', '--duration', '0.1']))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                            env=cli_environment(tmp_path), capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == EXIT_USAGE, result.stdout + result.stderr
    assert "--cert PEM --key PEM" in result.stderr and "trustme" in result.stderr
    assert "Serving" not in result.stdout


# -- the command log, in this process ----------------------------------------------------------

def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Conversation:
    """A raw POP3 connection that reads each reply before the next line."""

    def __init__(self, server: Pop3Server) -> None:
        self.sock = socket.create_connection(server.address, timeout=10)
        self.reader = self.sock.makefile("rb")
        assert self.reader.readline().startswith(b"+OK")

    def say(self, line: str) -> bytes:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reader.readline()

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def test_the_log_hides_every_line_of_an_exchange_even_one_that_looks_like_a_command():
    # LOGIN's password "Q1|" is "UTF8" in base64: only the server's record of the exchange
    # tells that line from the command.
    with Pop3Server([b"Subject: x\r\n\r\nhi\r\n"], password="Q1|",
                    sasl=["LOGIN", "PLAIN"]) as server:
        log = CommandLog(server)
        talk = Conversation(server)
        assert talk.say("AUTH NOPE").startswith(b"-ERR")  # no exchange begins
        assert talk.say("AUTH LOGIN").startswith(b"+")
        assert log.new_lines() == ["AUTH NOPE", "AUTH LOGIN"]
        assert talk.say(b64("alice")).startswith(b"+")
        assert log.new_lines() == ["****"]  # the last line, while the exchange runs
        assert talk.say("UTF8").startswith(b"+OK")
        assert talk.say("STAT").startswith(b"+OK")
        assert talk.say("UTF8").startswith(b"-ERR")  # a command now: wrong state
        assert log.new_lines() == ["****", "STAT", "UTF8"]
        assert talk.say("QUIT").startswith(b"+OK")
        talk.close()
        assert server.wait_idle(10)
        assert log.new_lines() == ["QUIT"]
        assert log.new_lines() == []


def test_the_log_hides_initial_responses_cancels_and_passwords():
    with Pop3Server([b"Subject: x\r\n\r\nhi\r\n"], sasl=["PLAIN"], apop=True) as server:
        log = CommandLog(server)
        talk = Conversation(server)
        assert talk.say("AUTH PLAIN").startswith(b"+")
        assert talk.say("*").startswith(b"-ERR")
        assert talk.say("AUTH PLAIN " + b64("\0alice\0wrong")).startswith(b"-ERR")
        assert talk.say("USER alice").startswith(b"+OK")
        assert talk.say("PASS wrong pass").startswith(b"-ERR")
        assert talk.say("APOP alice 0123456789abcdef0123456789abcdef").startswith(b"-ERR")
        assert talk.say("AUTH PLAIN " + b64("\0alice\0secret")).startswith(b"+OK")
        assert talk.say("QUIT").startswith(b"+OK")
        talk.close()
        assert server.wait_idle(10)
        assert log.new_lines() == [
            "AUTH PLAIN", "*", "AUTH PLAIN ****", "USER alice", "PASS ****",
            "APOP alice ****", "AUTH PLAIN ****", "QUIT",
        ]


@pytest.mark.parametrize(("line", "shown"), [
    ("PASS", "PASS ****"),
    ("pass hunter2", "pass ****"),
    ("APOP bob", "APOP ****"),  # no digest: what is it?
    ("AUTH XOAUTH2 dXNlcj1h", "AUTH XOAUTH2 ****"),
    ("AUTH", "AUTH"),
    ("RETR 1\x1b[2J", "RETR 1\\x1b[2J"),  # control characters escaped, as before
])
def test_hide_secrets(line: str, shown: str) -> None:
    assert hide_secrets(line) == shown
