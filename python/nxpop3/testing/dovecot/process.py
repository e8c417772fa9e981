"""Running the ``dovecot`` program: finding it, free ports, start, pid, greeting, stop.

The master daemonizes, so it is known only by the pid in its ``master.pid``; before a
signal goes to that pid, ``/proc`` must show it runs our configuration file.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from nxpop3.testing.dovecot.errors import DovecotError

__all__ = [
    "find_dovecot",
    "free_port",
    "has_ipv6_loopback",
    "launch",
    "pid_alive",
    "pid_from_file",
    "read_pid",
    "terminate",
    "wait_greeting",
]

#: What ``dovecot`` prints (and exits non-zero) when a listener's port is taken.
_PORT_TAKEN = re.compile(rb"Address already in use")
_SEARCH_PATH = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def find_dovecot() -> str | None:
    """Return the path of the ``dovecot`` binary, or None when it is not installed.

    ``$NXPOP3_DOVECOT``, when set, is the only candidate (a path that is not executable
    means "not installed", which tests use). Otherwise ``PATH`` and then ``/usr/sbin`` and
    friends are searched: sbin folders are often missing from a non-root ``PATH``.
    """
    chosen = os.environ.get("NXPOP3_DOVECOT")
    if chosen is not None:
        return chosen if os.path.isfile(chosen) and os.access(chosen, os.X_OK) else None
    found = shutil.which("dovecot")
    if found:
        return found
    for folder in _SEARCH_PATH:
        candidate = os.path.join(folder, "dovecot")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def has_ipv6_loopback() -> bool:
    """True when a TCP socket can bind to ``::1`` on this host."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def free_port(hosts: Sequence[str], avoid: Sequence[int] = ()) -> int:
    """Return a TCP port that is free on every host right now (the kernel's choice),
    other than those in ``avoid`` (picked already, not bound yet)."""
    for _ in range(50):
        family = socket.AF_INET6 if ":" in hosts[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as first:
            first.bind((hosts[0], 0))
            port = int(first.getsockname()[1])
            if port not in avoid and all(_port_free(host, port) for host in hosts[1:]):
                return port
    raise DovecotError(f"no TCP port free on all of {list(hosts)}")


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (init may be slow to reap it)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return fields[0] != b"Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def launch(binary: str, config: Path, output: Path, timeout: float, start_timeout: float,
           log: Callable[[], str]) -> bool:
    """Run ``dovecot -c CONFIG``, its output into ``output``, for at most ``timeout`` s;
    False when a port was taken (try another one). ``log`` gives the log text for a
    :class:`DovecotError`, which names ``start_timeout``, the bound on all of start-up."""
    # Dovecot is another program: it gets none of our preloads (a sanitizer
    # runtime preloaded into a test run breaks its memory limits).
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    with open(output, "wb") as out:
        # Output to a file, never a pipe: the daemonized master keeps stderr open.
        try:
            proc = subprocess.run([binary, "-c", os.fspath(config)],
                                  stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                  timeout=timeout, check=False, env=env)
        except subprocess.TimeoutExpired:
            raise DovecotError(f"dovecot did not start within {start_timeout} s:\n"
                               + log()) from None
    if proc.returncode == 0:
        return True
    if _PORT_TAKEN.search(output.read_bytes()):
        return False
    raise DovecotError(f"dovecot exited with status {proc.returncode}:\n" + log())


def pid_from_file(pid_file: Path) -> int:
    """The pid in ``master.pid``; 0 when there is none (yet)."""
    try:
        text = pid_file.read_text().strip()
    except FileNotFoundError:
        return 0
    return int(text) if text.isdigit() else 0


def read_pid(pid_file: Path, deadline: float, log: Callable[[], str]) -> int:
    """Wait (until ``deadline``, a monotonic time) for the master to write its pid."""
    while True:
        pid = pid_from_file(pid_file)
        if pid:
            return pid
        if time.monotonic() >= deadline:
            raise DovecotError("dovecot wrote no master.pid:\n" + log())
        time.sleep(0.005)


def _runs_config(pid: int, config: Path) -> bool:
    """True when ``pid`` is a master started with ``config``."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            args = cmdline.read().split(b"\0")
    except FileNotFoundError:
        return False
    except OSError:
        return True  # no /proc: trust the pid file
    return os.fsencode(config) in args


def terminate(pid: int, config: Path, bound: float) -> None:
    """SIGTERM the master ``pid`` if it runs ``config``, SIGKILL after ``bound`` seconds."""
    if not _runs_config(pid, config):
        return
    deadline = time.monotonic() + bound
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        while pid_alive(pid):
            if time.monotonic() >= deadline:
                break
            time.sleep(0.005)
        else:
            return
        deadline = time.monotonic() + 5.0
    raise DovecotError(f"dovecot master {pid} did not exit")


def wait_greeting(host: str, port: int, deadline: float, start_timeout: float,
                  log: Callable[[], str], context: ssl.SSLContext | None = None) -> bytes:
    """Connect until the server answers a greeting line starting ``+OK``; return it.
    With ``context``, through TLS from the first byte (POP3S), verifying ``host``."""
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        remaining = max(0.05, deadline - time.monotonic())
        try:
            plain = socket.create_connection((host, port), timeout=remaining)
            try:
                sock = plain if context is None else context.wrap_socket(
                    plain, server_hostname=host)
            except BaseException:
                plain.close()
                raise
            with sock:
                line = _read_line(sock, deadline)
                if line.startswith(b"+OK"):
                    sock.sendall(b"QUIT\r\n")
                    return line
                raise DovecotError(f"unexpected greeting {line!r}:\n" + log())
        except ssl.SSLError as exc:
            raise DovecotError(f"TLS with {host} port {port} failed: {exc}:\n" + log()) from exc
        except OSError as exc:
            if exc.errno not in (errno.ECONNREFUSED, errno.ECONNRESET, None):
                raise
            last_error = exc
        time.sleep(0.01)
    raise DovecotError(f"no +OK greeting from {host} port {port} within "
                       f"{start_timeout} s ({last_error}):\n" + log())


def _read_line(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while b"\r\n" not in data and len(data) < 4096:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(512)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0]
