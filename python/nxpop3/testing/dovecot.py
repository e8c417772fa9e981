"""A throw-away Dovecot POP3 server for tests, started and stopped by Python.

``DovecotServer`` writes a self-contained configuration into a temporary folder (nothing
is read from ``/etc/dovecot``), starts ``dovecot -c CONFIG`` on free loopback ports, waits
for the ``+OK`` greeting and stops the master by the pid in its own ``master.pid``.
Users and messages go straight into a passwd-file and into Maildirs, before or between
sessions; what the server stores can be read back to compare with what a client received.

Pure Python: importing this module does not need the nxpop3 C extension.

Example::

    with DovecotServer() as server:
        server.add_user("alice", "secret")
        server.add_message("alice", b"Subject: hi\\n\\nhello\\n")
        print(server.host, server.port)

Facts about Dovecot 2.3 this module relies on:

* It refuses to run mail or login processes as root, so when the tests run as root the
  mail tree belongs to an unprivileged user (``nobody``/``nogroup`` by default).
* The master keeps stderr open after it daemonizes: its output goes to a file, never a pipe.
* A listener cannot take port 0: free ports are picked here, and start-up is retried with
  new ones when ``dovecot`` reports a port already taken (another instance won the race).
* Failed logins make anvil delay later logins from the same IP (2 to 15 s), on top of
  ``auth_failure_delay``: both are turned off.
* ``apop`` in ``auth_mechanisms`` with plaintext passwords is what puts the APOP timestamp
  into the greeting.
* New Maildir files get their POP3 numbers in the order of the number before the first
  ``.`` of their names, so file names carry an increasing sequence number.
* RETR converts bare LF to CRLF, and adds a final CRLF when the file lacks one. It does not
  dot-stuff a ``.`` that is the very first byte of a message (a server bug), so tests must
  not start a message with ``.``.
"""
from __future__ import annotations

import atexit
import errno
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "DovecotError",
    "DovecotMailbox",
    "DovecotServer",
    "as_retrieved",
    "default_parent",
    "find_dovecot",
    "has_ipv6_loopback",
    "listed_size",
]

#: What ``dovecot`` prints (and exits non-zero) when a listener's port is taken.
_PORT_TAKEN = re.compile(rb"Address already in use")
_NAME_OK = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,39}")
_BARE_LF = re.compile(rb"(?<!\r)\n")
#: Leading sequence numbers start here so every name has the same number of digits.
_SEQ_BASE = 1_000_000_000
_SEARCH_PATH = ("/usr/sbin", "/usr/local/sbin", "/sbin")


class DovecotError(RuntimeError):
    """Dovecot could not be configured, started or stopped; the message holds its log."""


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


def listed_size(data: bytes) -> int:
    """The size Dovecot reports (LIST, STAT) for a message stored as ``data``.

    Its "virtual size": the length once every bare LF is counted as CRLF.
    """
    return len(data) + len(_BARE_LF.findall(data))


def as_retrieved(data: bytes) -> bytes:
    """What RETR gives a client (unstuffed) for a message stored as ``data``.

    Every bare LF becomes CRLF, and a message not ending in a line ending gets one: Dovecot
    sends CRLF before the terminating dot, which the client cannot tell from the message.
    """
    out = _BARE_LF.sub(b"\r\n", data)
    if out and not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out


def default_parent() -> str:
    """Where a temporary instance folder goes: ``$NXPOP3_DOVECOT_TMPDIR``, else ``/dev/shm``
    (a tmpfs: creating thousands of message files on a disk can take a millisecond each),
    else the system's temporary folder."""
    chosen = os.environ.get("NXPOP3_DOVECOT_TMPDIR")
    if chosen:
        return chosen
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return tempfile.gettempdir()


def _free_port(hosts: Sequence[str]) -> int:
    """Return a TCP port that is free on every host right now (the kernel's choice)."""
    for _ in range(50):
        family = socket.AF_INET6 if ":" in hosts[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as first:
            first.bind((hosts[0], 0))
            port = int(first.getsockname()[1])
            if all(_port_free(host, port) for host in hosts[1:]):
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


def _quote(value: str | os.PathLike[str]) -> str:
    """Quote a value for dovecot.conf."""
    text = os.fspath(value)
    if any(ch in text for ch in '"\\\n\r'):
        raise DovecotError(f"cannot put {text!r} in a Dovecot configuration")
    return f'"{text}"'


def _pid_alive(pid: int) -> bool:
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


class DovecotServer:
    """One private Dovecot instance serving POP3 on loopback.

    Args:
        root: folder for configuration, runtime files, log and mail. Created if needed;
            when None, a new temporary folder under ``default_parent()``, removed on stop.
            Keep it short: it holds UNIX sockets, whose paths are limited to 107 bytes.
        hosts: addresses to listen on; default 127.0.0.1, plus ::1 where the host has it.
        binary: the ``dovecot`` executable; found on PATH and in /usr/sbin when None.
        start_timeout: seconds allowed for start-up, including the greeting; also the
            bound on stopping.
        mail_user, mail_group: the unprivileged account for mail and login processes
            when running as root. Ignored otherwise: everything then runs as the caller.
        max_connections: ``mail_max_userip_connections``, for tests with many clients.
        keep: keep ``root`` after stopping (for post-mortem reading of the log).
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        hosts: Sequence[str] | None = None,
        binary: str | None = None,
        start_timeout: float = 10.0,
        mail_user: str = "nobody",
        mail_group: str = "nogroup",
        max_connections: int = 1000,
        keep: bool = False,
    ) -> None:
        self._root_arg = Path(root) if root is not None else None
        self._hosts = list(hosts) if hosts is not None else self.default_hosts()
        if not self._hosts:
            raise ValueError("hosts must not be empty")
        self._binary = binary
        self.start_timeout = float(start_timeout)
        self.max_connections = int(max_connections)
        self.keep = keep
        if os.geteuid() == 0:
            self._user = mail_user
            self._group = mail_group
            self._uid = pwd.getpwnam(mail_user).pw_uid
            self._gid = grp.getgrnam(mail_group).gr_gid
        else:
            self._uid = os.geteuid()
            self._gid = os.getegid()
            self._user = pwd.getpwuid(self._uid).pw_name
            self._group = grp.getgrgid(self._gid).gr_name
        self._root: Path | None = None
        self._made_root = False
        self._port = 0
        self._pid = 0
        self._greeting = b""
        self._users: dict[str, str] = {}
        self._next_seq: dict[str, int] = {}
        self._mailbox_counter = 0

    # ----------------------------------------------------------------- properties
    @staticmethod
    def default_hosts() -> list[str]:
        """127.0.0.1, and ::1 when this host has an IPv6 loopback."""
        return ["127.0.0.1", "::1"] if has_ipv6_loopback() else ["127.0.0.1"]

    @property
    def running(self) -> bool:
        """True while the master started by ``start`` is alive."""
        return self._pid != 0 and _pid_alive(self._pid)

    @property
    def root(self) -> Path:
        """The instance folder (configuration, ``run/``, ``state/``, ``mail/``, log)."""
        if self._root is None:
            raise DovecotError("the server has not been started")
        return self._root

    @property
    def hosts(self) -> list[str]:
        return list(self._hosts)

    @property
    def host(self) -> str:
        """The first listening address (127.0.0.1 unless ``hosts`` says otherwise)."""
        return self._hosts[0]

    @property
    def ipv6_host(self) -> str | None:
        """``::1`` when the server listens there, else None."""
        return next((h for h in self._hosts if ":" in h), None)

    @property
    def port(self) -> int:
        """The POP3 port, the same on every host."""
        if not self._port:
            raise DovecotError("the server has not been started")
        return self._port

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def pid(self) -> int:
        """The master's pid, as read from ``master.pid``; 0 when stopped."""
        return self._pid

    @property
    def greeting(self) -> bytes:
        """The greeting line seen when start-up was checked, without CRLF."""
        return self._greeting

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def base_dir(self) -> Path:
        return self.root / "run"

    def log_text(self) -> str:
        """Dovecot's log so far, plus anything the ``dovecot`` command printed."""
        parts = []
        for path in (self.root / "startup.out", self.log_path):
            try:
                parts.append(path.read_text(errors="replace"))
            except FileNotFoundError:
                pass
        return "".join(parts)

    # ----------------------------------------------------------------- life cycle
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Write the configuration, start Dovecot and wait for its greeting on every host."""
        if self._pid:
            raise DovecotError("the server is already running")
        binary = self._binary or find_dovecot()
        if binary is None:
            raise DovecotError("the dovecot binary is not installed (apt-get install "
                               "dovecot-core dovecot-pop3d)")
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise DovecotError(f"{binary} is not an executable file")
        self._prepare_root()
        deadline = time.monotonic() + self.start_timeout
        try:
            for attempt in range(20):
                self._port = _free_port(self._hosts)
                self._write_config()
                if self._launch(binary, deadline):
                    break
                if time.monotonic() >= deadline:
                    raise DovecotError(f"no free port found in {attempt + 1} tries")
            else:
                raise DovecotError("every port tried was taken before Dovecot bound it")
            self._pid = self._read_pid(deadline)
            atexit.register(self.stop)
            for host in self._hosts:
                self._greeting = self._wait_greeting(host, deadline)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the master by the pid in its ``master.pid``, then remove the folder.

        Safe to call more than once, and on a server that failed to start.
        """
        atexit.unregister(self.stop)
        pid = self._pid
        if not pid and self._root is not None:
            pid = self._pid_from_file()
        if pid:
            self._terminate(pid)
        self._pid = 0
        self._port = 0
        if self._root is not None and self._made_root and not self.keep:
            shutil.rmtree(self._root, ignore_errors=True)
        if self._made_root and not self.keep:
            self._root = None
            self._made_root = False

    # ----------------------------------------------------------------- users and mail
    def add_user(self, name: str, password: str) -> None:
        """Add a user (or change the password of one) and create an empty Maildir.

        Works while the server runs. Changing the password of a user Dovecot has already
        looked up can wait up to a second (see ``_write_passwd``).
        """
        if not _NAME_OK.fullmatch(name):
            raise ValueError(f"user name {name!r} must match {_NAME_OK.pattern}")
        if not password or any(ch in password for ch in ":\r\n\0"):
            raise ValueError("password must be non-empty, without ':', CR, LF or NUL")
        changed = name in self._users and self._users[name] != password
        self._users[name] = password
        self._make_maildir(name)
        self._write_passwd(name, changed)

    @property
    def users(self) -> dict[str, str]:
        """Name to password, for every user added."""
        return dict(self._users)

    def maildir(self, user: str) -> Path:
        """The user's Maildir."""
        if user not in self._users:
            raise KeyError(f"no user {user!r}; call add_user first")
        return self.root / "mail" / user / "Maildir"

    def add_message(self, user: str, data: bytes | Iterable[bytes]) -> Path:
        """Deliver one message into the user's Maildir; it becomes the last message.

        ``data`` is bytes or an iterable of bytes chunks (for messages too large to hold).
        The file is written in ``tmp/``, given to the mail user, then renamed into ``new/``,
        as a Maildir delivery does. Returns the path of the delivered file.
        """
        maildir = self.maildir(user)
        seq = self._take_seq(user)
        name = f"{_SEQ_BASE + seq}.M{seq}P{os.getpid()}Q{seq}.nxpop3"
        tmp_path = maildir / "tmp" / name
        chunks = [data] if isinstance(data, (bytes, bytearray, memoryview)) else data
        with open(tmp_path, "wb") as out:
            out.writelines(chunks)
            os.fchown(out.fileno(), self._uid, self._gid)
            os.fchmod(out.fileno(), 0o600)
        new_path = maildir / "new" / name
        os.rename(tmp_path, new_path)
        return new_path

    def add_messages(self, user: str, messages: Iterable[bytes]) -> list[Path]:
        """Deliver several messages, in order."""
        return [self.add_message(user, message) for message in messages]

    def message_paths(self, user: str) -> list[Path]:
        """The files of the user's messages, in the server's order (POP3 number - 1).

        Reflects what the server stores now: messages deleted at a QUIT are gone. During a
        session Dovecot may move a file from ``new/`` to ``cur/`` (its name gets a ``:2,``
        suffix): a path can go stale, ``messages()`` copes with that.
        """
        maildir = self.maildir(user)
        found: list[tuple[int, str, Path]] = []
        for sub in ("cur", "new"):
            for entry in os.scandir(maildir / sub):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                head = entry.name.split(".", 1)[0]
                key = int(head) if head.isdigit() else 0
                found.append((key, entry.name, Path(entry.path)))
        found.sort()
        return [path for _, _, path in found]

    def messages(self, user: str) -> list[bytes]:
        """The bytes of every stored message, in the server's order, exactly as on disk.

        ``as_retrieved`` turns one into what a client gets from RETR.
        """
        # Dovecot renames files from new/ to cur/ during a session: scan again if one moved.
        for _ in range(100):
            try:
                return [path.read_bytes() for path in self.message_paths(user)]
            except FileNotFoundError:
                time.sleep(0.01)
        raise DovecotError(f"the Maildir of {user!r} kept changing while being read")

    def message_count(self, user: str) -> int:
        return len(self.message_paths(user))

    def new_mailbox(self, password: str | None = None, prefix: str = "user") -> DovecotMailbox:
        """Add a user with a fresh name (``user1``, ``user2``...) and return its mailbox."""
        while True:
            self._mailbox_counter += 1
            name = f"{prefix}{self._mailbox_counter}"
            if name not in self._users:
                break
        self.add_user(name, password or f"pw-{name}")
        return DovecotMailbox(self, name)

    def mailbox(self, user: str) -> DovecotMailbox:
        """The mailbox of an existing user."""
        if user not in self._users:
            raise KeyError(f"no user {user!r}; call add_user first")
        return DovecotMailbox(self, user)

    def log_lines(self, contains: str) -> list[str]:
        """The log lines holding ``contains`` (Dovecot logs through its own process, so a
        line can appear a moment after the event: see ``wait_log``)."""
        return [line for line in self.log_text().splitlines() if contains in line]

    def wait_log(self, contains: str, timeout: float = 5.0) -> str:
        """Return the first log line holding ``contains``, waiting up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.log_lines(contains)
            if lines:
                return lines[0]
            if time.monotonic() >= deadline:
                raise DovecotError(f"no log line with {contains!r} within {timeout} s")
            time.sleep(0.01)

    # ----------------------------------------------------------------- internals
    def _prepare_root(self) -> None:
        if self._root_arg is None:
            self._root = Path(tempfile.mkdtemp(prefix="nxpop3-dc-", dir=default_parent()))
            self._made_root = True
        else:
            self._root = self._root_arg.resolve()
            self._root.mkdir(parents=True, exist_ok=True)
        if any(ch.isspace() for ch in os.fspath(self._root)):
            raise DovecotError(f"root {self._root} holds white space: Dovecot's passdb "
                               "arguments cannot quote it")
        # Mail processes run as the mail user: they must be able to reach mail/.
        os.chmod(self._root, 0o755)
        mail = self._root / "mail"
        mail.mkdir(exist_ok=True)
        os.chown(mail, self._uid, self._gid)
        for name in self._users:
            self._make_maildir(name)
            self._write_passwd(name)
        sockets = len(os.fspath(self._root / "run" / "login" / "tokenlogin")) + 16
        if sockets > 107:
            raise DovecotError(f"root {self._root} is too long for UNIX socket paths")

    def _make_maildir(self, name: str) -> None:
        if self._root is None:
            return  # created when the server starts
        home = self._root / "mail" / name
        for path in (home, home / "Maildir", *(home / "Maildir" / s for s in
                                               ("cur", "new", "tmp"))):
            path.mkdir(exist_ok=True)
            os.chown(path, self._uid, self._gid)
            os.chmod(path, 0o700)

    def _write_passwd(self, name: str, changed: bool = False) -> None:
        """Write the user's own passwd-file (``passwd.d/NAME``).

        One file per user, because Dovecot stats a passwd-file at most once a second:
        a new user's file is read at its first lookup. A changed password is seen only
        once the second of the last lookup has passed, so ``changed`` waits for that.
        """
        if self._root is None:
            return  # written when the server starts
        folder = self._root / "passwd.d"
        folder.mkdir(exist_ok=True)
        target = folder / name
        tmp = folder / f".{name}.tmp"
        tmp.write_text(f"{name}:{{PLAIN}}{self._users[name]}::::::\n")
        # Read by the auth process, which runs as the unprivileged user.
        os.chown(tmp, self._uid, self._gid)
        os.chmod(tmp, 0o600)
        if changed:
            # Dovecot compares mtime and size: make the mtime differ from the old file's.
            old = target.stat().st_mtime
            os.utime(tmp, (old + 1, old + 1))
        os.replace(tmp, target)
        if changed and self._pid:
            start = int(time.time())
            while int(time.time()) == start:
                time.sleep(0.01)

    def _take_seq(self, user: str) -> int:
        if user not in self._next_seq:
            existing = [int(p.name.split(".", 1)[0]) - _SEQ_BASE
                        for p in self.message_paths(user)
                        if p.name.split(".", 1)[0].isdigit()]
            self._next_seq[user] = max(existing, default=0) + 1
        seq = self._next_seq[user]
        self._next_seq[user] = seq + 1
        return seq

    def _write_config(self) -> None:
        root = self.root
        listen = ", ".join(self._hosts)
        text = f"""\
# Written by nxpop3.testing.dovecot: a private POP3 server for tests.
base_dir = {_quote(root / "run")}
state_dir = {_quote(root / "state")}
instance_name = {_quote(root.name)}
log_path = {_quote(self.log_path)}
info_log_path = {_quote(self.log_path)}
protocols = pop3
listen = {listen}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain apop
auth_failure_delay = 0
default_login_user = {self._user}
default_internal_user = {self._user}
default_internal_group = {self._group}
first_valid_uid = 1
first_valid_gid = {1 if self._gid else 0}
mail_location = maildir:~/Maildir
mail_uid = {self._uid}
mail_gid = {self._gid}
mail_fsync = never
pop3_uidl_format = %08Xu%08Xv
protocol pop3 {{
  mail_max_userip_connections = {self.max_connections}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root / "passwd.d"}/%u
}}
userdb {{
  driver = static
  args = uid={self._uid} gid={self._gid} home={root / "mail"}/%u
}}
# No auth penalty: failed logins from 127.0.0.1 would delay later logins by 2 to 15 s.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {self._port}
  }}
}}
"""
        self.config_path.write_text(text)

    def _launch(self, binary: str, deadline: float) -> bool:
        """Run ``dovecot -c CONFIG``; False when a port was taken (try another one)."""
        out_path = self.root / "startup.out"
        timeout = max(0.1, deadline - time.monotonic())
        # Dovecot is another program: it gets none of our preloads (a sanitizer
        # runtime preloaded into a test run breaks its memory limits).
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        with open(out_path, "wb") as out:
            # Output to a file, never a pipe: the daemonized master keeps stderr open.
            try:
                proc = subprocess.run([binary, "-c", os.fspath(self.config_path)],
                                      stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                      timeout=timeout, check=False, env=env)
            except subprocess.TimeoutExpired:
                raise DovecotError(f"dovecot did not start within {self.start_timeout} s:\n"
                                   + self.log_text()) from None
        if proc.returncode == 0:
            return True
        output = out_path.read_bytes()
        if _PORT_TAKEN.search(output):
            return False
        raise DovecotError(f"dovecot exited with status {proc.returncode}:\n"
                           + self.log_text())

    def _pid_from_file(self) -> int:
        try:
            text = (self.root / "run" / "master.pid").read_text().strip()
        except (FileNotFoundError, DovecotError):
            return 0
        return int(text) if text.isdigit() else 0

    def _read_pid(self, deadline: float) -> int:
        while True:
            pid = self._pid_from_file()
            if pid:
                return pid
            if time.monotonic() >= deadline:
                raise DovecotError("dovecot wrote no master.pid:\n" + self.log_text())
            time.sleep(0.005)

    def _is_ours(self, pid: int) -> bool:
        """True when ``pid`` is the master started with our configuration."""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                args = cmdline.read().split(b"\0")
        except FileNotFoundError:
            return False
        except OSError:
            return True  # no /proc: trust the pid file
        return os.fsencode(self.config_path) in args

    def _terminate(self, pid: int) -> None:
        if not self._is_ours(pid):
            return
        deadline = time.monotonic() + max(self.start_timeout, 5.0)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            while _pid_alive(pid):
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.005)
            else:
                return
            deadline = time.monotonic() + 5.0
        raise DovecotError(f"dovecot master {pid} did not exit")

    def _wait_greeting(self, host: str, deadline: float) -> bytes:
        """Connect until the server answers a greeting line starting ``+OK``; return it."""
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            remaining = max(0.05, deadline - time.monotonic())
            try:
                with socket.create_connection((host, self._port), timeout=remaining) as sock:
                    line = self._read_line(sock, deadline)
                    if line.startswith(b"+OK"):
                        sock.sendall(b"QUIT\r\n")
                        return line
                    raise DovecotError(f"unexpected greeting {line!r}:\n" + self.log_text())
            except OSError as exc:
                if exc.errno not in (errno.ECONNREFUSED, errno.ECONNRESET, None):
                    raise
                last_error = exc
            time.sleep(0.01)
        raise DovecotError(f"no +OK greeting from {host} port {self._port} within "
                           f"{self.start_timeout} s ({last_error}):\n" + self.log_text())

    @staticmethod
    def _read_line(sock: socket.socket, deadline: float) -> bytes:
        data = b""
        while b"\r\n" not in data and len(data) < 4096:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = sock.recv(512)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0]


class DovecotMailbox:
    """One user of a ``DovecotServer``: where to connect, how to log in, what is stored.

    Every method works on this user's Maildir; see the ``DovecotServer`` methods of the
    same names.
    """

    def __init__(self, server: DovecotServer, user: str) -> None:
        self.server = server
        self.user = user

    @property
    def password(self) -> str:
        return self.server.users[self.user]

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    def add_message(self, data: bytes | Iterable[bytes]) -> Path:
        return self.server.add_message(self.user, data)

    def add_messages(self, messages: Iterable[bytes]) -> list[Path]:
        return self.server.add_messages(self.user, messages)

    def messages(self) -> list[bytes]:
        return self.server.messages(self.user)

    def message_paths(self) -> list[Path]:
        return self.server.message_paths(self.user)

    def message_count(self) -> int:
        return self.server.message_count(self.user)

    @property
    def maildir(self) -> Path:
        return self.server.maildir(self.user)

    def __repr__(self) -> str:
        return f"<DovecotMailbox {self.user!r} on {self.server.hosts} port {self.server.port}>"


def _serve_forever() -> None:
    """``python -m nxpop3.testing.dovecot``: run a server by hand until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(description=_serve_forever.__doc__)
    parser.add_argument("--user", default="alice")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--messages", type=int, default=3, help="sample messages to add")
    parser.add_argument("--root", help="instance folder (kept); a temporary one if omitted")
    args = parser.parse_args()

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(0)  # leaves the with block below, which stops Dovecot

    signal.signal(signal.SIGTERM, terminate)
    server = DovecotServer(args.root, keep=args.root is not None)
    server.add_user(args.user, args.password)
    with server:
        for n in range(1, args.messages + 1):
            server.add_message(args.user, f"Subject: sample {n}\n\nbody {n}\n".encode())
        for host in server.hosts:
            print(f"POP3 on {host} port {server.port}: user {args.user!r} "
                  f"password {args.password!r}")
        print(f"folder {server.root}, log {server.log_path}; Ctrl-C stops", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    _serve_forever()
