"""The progress bar of ``nxpop3 fetch`` goes to a terminal only: shown when stderr is a
terminal (a pseudo-terminal here), never when it is a pipe or a file, whatever stdout
is; and what the bar says (messages, bytes, rate, time left, already stored), cut to the
terminal's width."""
from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from test_nxpop3_cli import make_messages

from nxpop3.cli import progress
from nxpop3.cli.progress import Progress
from nxpop3.testing import Pop3Server


def run_with_terminal(server: Pop3Server, cwd: Path, terminal: str) -> tuple[str, str, str]:
    """``nxpop3 fetch`` with ``terminal`` ("stderr" or "stdout") on a pseudo-terminal and
    the other stream on a pipe: (what the terminal showed, stdout, stderr)."""
    controller, device = pty.openpty()
    fcntl.ioctl(device, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 132, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "NETRC"}
    env.update(NXPOP3_PASSWORD="secret", NETRC=str(cwd / "none"), PYTHONIOENCODING="utf-8")
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, terminal: device}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nxpop3", "fetch", server.host, "-p", str(server.port),
         "-u", "alice", "--to", "mail", "--all"],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, start_new_session=True, **streams,
    )
    os.close(device)
    shown = bytearray()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # bounded: read the terminal until the child is gone
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    out, err = proc.communicate(timeout=60)
    piped = (out or b"").decode("utf-8"), (err or b"").decode("utf-8")
    return shown.decode("utf-8", "replace"), *piped


def test_progress_on_a_terminal_stderr_and_the_summary_on_stdout(tmp_path):
    with Pop3Server(make_messages(20)) as server:
        shown, out, err = run_with_terminal(server, tmp_path, "stderr")
    assert "20/20 messages" in shown and "\r[" in shown and "#" * 24 in shown
    assert out.startswith("Fetched 20 of 20 messages")
    assert "Fetched" not in shown


def test_no_progress_when_stderr_is_not_a_terminal_even_if_stdout_is(tmp_path):
    with Pop3Server(make_messages(20)) as server:
        shown, _out, err = run_with_terminal(server, tmp_path, "stdout")
    assert err == ""
    assert "messages  " not in shown and "\r" not in shown.replace("\r\n", "")
    assert shown.startswith("Fetched 20 of 20 messages")


def test_the_bar_says_time_left_and_already_stored_and_fits_the_width(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(progress, "_columns", lambda stream: 120)
    bar = Progress(out, messages=4, octets=4_000_000, enabled=True, skipped=7)
    bar.started -= 2.0  # 2 s in, a quarter done: about 6 s left
    bar.update(1, 1_000_000, force=True)
    line = out.getvalue()
    assert line.startswith("\r[######..................] 1/4 messages  1.0 MB/4.0 MB  ")
    assert line.endswith("  0:06 left  (7 already stored)")
    bar.update(4, 4_000_000, force=True)
    assert "left" not in out.getvalue().rsplit("\r", 1)[1]
    bar.finish()
    assert out.getvalue().endswith("\n")
    # On 80 columns the least needed parts go first, whole: already stored, then time left.
    for columns, end in ((80, "0:06 left"), (70, "kB/s"), (40, "1/4 messages")):
        monkeypatch.setattr(progress, "_columns", lambda stream, c=columns: c)
        narrow = Progress(io.StringIO(), 4, 4_000_000, enabled=True, skipped=7)
        narrow.started -= 2.0
        narrow.update(1, 1_000_000, force=True)
        text = narrow.stream.getvalue()
        assert text.rstrip().endswith(end) and len(text) - 1 < columns, (columns, text)


def test_no_bar_when_disabled_or_nothing_to_fetch():
    for bar in (Progress(io.StringIO(), 3, 10, enabled=False),
                Progress(io.StringIO(), 0, 0, enabled=True, skipped=5)):
        bar.update(1, 5, force=True)
        bar.finish()
        assert bar.stream.getvalue() == ""
