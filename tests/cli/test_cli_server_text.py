"""The CLI shows server text escaped: a greeting or -ERR text and the From/Subject
of a listing can hold terminal control sequences, which must not reach the
terminal as they are (nxpop3.server_text.printable)."""
from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

from nxpop3.cli import EXIT_PROTOCOL, EXIT_SERVER
from nxpop3.cli.report import describe_message, redact
from nxpop3.testing import Pop3Server

ESCAPES = "\x1b[2J\x1b]0;owned\x07"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NXPOP3_PASSWORD"}
    env.update(PYTHONIOENCODING="utf-8", NXPOP3_PASSWORD="secret")
    return subprocess.run([sys.executable, "-m", "nxpop3", *args], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          encoding="utf-8", timeout=120, start_new_session=True)


def fetch_args(server: Pop3Server, *extra: str) -> list[str]:
    return ["fetch", server.host, "--port", str(server.port), "--user", server.user,
            "--no-progress", *extra]


def no_controls(text: str) -> bool:
    """Nothing but line ends that the CLI writes itself."""
    return not any(unicodedata.category(c) in ("Cc", "Cf") and c != "\n" for c in text)


def test_a_hostile_err_text_is_printed_escaped(tmp_path: Path) -> None:
    with Pop3Server([b"Subject: a\r\n\r\nx\r\n"]) as server:
        server.fault("RETR 1", err=f"{ESCAPES} busy")
        result = run_cli(*fetch_args(server), cwd=tmp_path)
    assert result.returncode == EXIT_SERVER, result.stderr
    assert "-ERR \\x1b[2J\\x1b]0;owned\\x07 busy" in result.stderr
    assert no_controls(result.stderr + result.stdout)


def test_a_hostile_greeting_is_printed_escaped(tmp_path: Path) -> None:
    with Pop3Server([]) as server:
        server.fault("GREETING", err=f"{ESCAPES} go away")
        result = run_cli(*fetch_args(server), cwd=tmp_path)
    assert result.returncode == EXIT_SERVER, result.stderr
    assert "\\x1b]0;owned\\x07 go away" in result.stderr
    assert no_controls(result.stderr + result.stdout)


def test_a_malformed_reply_is_printed_escaped(tmp_path: Path) -> None:
    with Pop3Server([b"Subject: a\r\n\r\nx\r\n"]) as server:
        server.fault("STAT", status_line=b"+OK\x1b[2J\x07 1 2")
        result = run_cli(*fetch_args(server), cwd=tmp_path)
    assert result.returncode == EXIT_PROTOCOL, result.stderr
    assert no_controls(result.stderr + result.stdout)


def test_from_and_subject_are_listed_escaped(tmp_path: Path) -> None:
    message = (b"From: \x1b[31mevil@example.test\r\n"
               b"Subject: =?utf-8?q?=1B]0;pwned=07?= \x1b[8mhidden\r\n\r\nbody\r\n")
    with Pop3Server([message]) as server:
        result = run_cli(*fetch_args(server, "--verbose"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listing = next(line for line in result.stdout.splitlines() if "pwned" in line)
    assert listing.count("\\x1b") == 3  # From (as the address parser left it), Subject twice
    assert "\\x1b]0;pwned\\x07 \\x1b[8mhidden" in listing  # RFC 2047 decoded, then escaped
    assert no_controls(result.stdout + result.stderr)


def test_the_report_helpers_escape() -> None:
    assert "\x1b" not in describe_message(b"Subject: \x1b[2Jx\r\n\r\n")
    assert redact(["USER \x1b[2J", "PASS \x1b"]) == ["USER \\x1b[2J", "PASS ****"]
