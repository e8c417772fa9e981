"""``python -m nxpop3.testing.dovecot``: a Dovecot run by hand serves the sample
messages it announces, and stops (its master gone) on Ctrl-C or SIGTERM."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nxpop3 import Client
from nxpop3.testing.dovecot.process import pid_alive, pid_from_file


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_main_serves_until_stopped(dovecot_binary: str, stop: signal.Signals) -> None:
    env = dict(os.environ, NXPOP3_DOVECOT=dovecot_binary)
    proc = subprocess.Popen(
        [sys.executable, "-m", "nxpop3.testing.dovecot", "--user", "bob", "--password", "pw",
         "--messages", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        while not (lines and lines[-1].endswith("Ctrl-C stops\n")):
            line = proc.stdout.readline()
            assert line, f"exited early: {proc.wait(30)} {proc.stderr.read()}"  # type: ignore
            lines.append(line)
        match = re.match(r"POP3 on (\S+) port (\d+): user 'bob'", lines[0])
        assert match, lines
        folder = re.match(r"folder (\S+), log (\S+); Ctrl-C stops$", lines[-1])
        assert folder, lines
        root = Path(folder.group(1))
        assert Path(folder.group(2)).is_relative_to(root)
        host, port = match.group(1), int(match.group(2))
        with Client(host, port, user="bob", password="pw", timeout=10) as client:
            assert client.stat()[0] == 2
            assert client.retr(1).endswith(b"body 1\r\n")
        master = next(root.rglob("master.pid"))
        pid = pid_from_file(master)
        assert pid_alive(pid)
        proc.send_signal(stop)
        assert proc.wait(30) == 0
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not pid_alive(pid)
        assert not root.exists()  # without --root, a temporary folder
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            assert stream is not None
            stream.close()
