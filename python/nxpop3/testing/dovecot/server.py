"""``DovecotServer``: one private Dovecot instance for tests, and ``DovecotMailbox``, one
user of it. The pieces it puts together live beside it: ``config`` (the folder layout
and ``dovecot.conf``), ``passwd`` (users), ``maildir`` (messages), ``process`` (running
``dovecot``)."""
from __future__ import annotations

import atexit
import grp
import os
import pwd
import shutil
import ssl
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from nxpop3.testing.dovecot import maildir as _maildir
from nxpop3.testing.dovecot import passwd as _passwd
from nxpop3.testing.dovecot import process as _process
from nxpop3.testing.dovecot.config import Layout, MailAccount, render_config
from nxpop3.testing.dovecot.errors import DovecotError

if TYPE_CHECKING:
    from typing import Self

    from nxpop3.testing.certificates import CertificateAuthority

__all__ = ["DovecotMailbox", "DovecotServer", "default_parent"]


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
        certificates: a :class:`~nxpop3.testing.certificates.CertificateAuthority`: turns
            TLS on, with a server certificate from it (for ``localhost``, ``127.0.0.1``
            and ``::1``) written into the instance folder: ``STLS`` on :attr:`port`,
            POP3S on :attr:`tls_port`. None: no TLS (``ssl = no``).
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
        certificates: CertificateAuthority | None = None,
    ) -> None:
        self._root_arg = Path(root) if root is not None else None
        self._hosts = list(hosts) if hosts is not None else self.default_hosts()
        if not self._hosts:
            raise ValueError("hosts must not be empty")
        self._binary = binary
        self.start_timeout = float(start_timeout)
        self.max_connections = int(max_connections)
        self.keep = keep
        self.certificates = certificates
        """The test CA whose certificate the server presents (None: no TLS)."""
        if os.geteuid() == 0:
            self._account = MailAccount(mail_user, mail_group, pwd.getpwnam(mail_user).pw_uid,
                                        grp.getgrnam(mail_group).gr_gid)
        else:
            uid, gid = os.geteuid(), os.getegid()
            self._account = MailAccount(pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name,
                                        uid, gid)
        self._layout: Layout | None = None
        self._made_root = False
        self._port = 0
        self._tls_port = 0
        self._pid = 0
        self._greeting = b""
        self._users: dict[str, str] = {}
        self._next_seq: dict[str, int] = {}
        self._mailbox_counter = 0

    # ----------------------------------------------------------------- properties
    @staticmethod
    def default_hosts() -> list[str]:
        """127.0.0.1, and ::1 when this host has an IPv6 loopback."""
        return ["127.0.0.1", "::1"] if _process.has_ipv6_loopback() else ["127.0.0.1"]

    @property
    def mail_account(self) -> MailAccount:
        """The account that runs the mail and login processes and owns the Maildirs."""
        return self._account

    @property
    def running(self) -> bool:
        """True while the master started by ``start`` is alive."""
        return self._pid != 0 and _process.pid_alive(self._pid)

    @property
    def layout(self) -> Layout:
        """Where each file of the instance is (see :class:`~.config.Layout`)."""
        if self._layout is None:
            raise DovecotError("the server has not been started")
        return self._layout

    @property
    def root(self) -> Path:
        """The instance folder (configuration, ``run/``, ``state/``, ``mail/``, log)."""
        return self.layout.root

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
    def tls(self) -> bool:
        """True when TLS is on (``certificates`` given): ``STLS`` and POP3S."""
        return self.certificates is not None

    @property
    def tls_port(self) -> int:
        """The POP3S port (TLS from the first byte), the same on every host."""
        if self.certificates is None:
            raise DovecotError("TLS is off: give DovecotServer(certificates=...)")
        if not self._tls_port:
            raise DovecotError("the server has not been started")
        return self._tls_port

    @property
    def tls_address(self) -> tuple[str, int]:
        return (self.host, self.tls_port)

    def client_context(self) -> ssl.SSLContext:
        """A new client ``ssl.SSLContext`` that trusts the server's certificate
        (verification on)."""
        if self.certificates is None:
            raise DovecotError("TLS is off: give DovecotServer(certificates=...)")
        return self.certificates.client_context()

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
        return self.layout.config

    @property
    def log_path(self) -> Path:
        return self.layout.log

    @property
    def base_dir(self) -> Path:
        return self.layout.base_dir

    def log_text(self) -> str:
        """Dovecot's log so far, plus anything the ``dovecot`` command printed."""
        parts = []
        for path in (self.layout.startup_output, self.layout.log):
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
        binary = self._binary or _process.find_dovecot()
        if binary is None:
            raise DovecotError("the dovecot binary is not installed (apt-get install "
                               "dovecot-core dovecot-pop3d)")
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise DovecotError(f"{binary} is not an executable file")
        self._prepare_root()
        layout = self.layout
        deadline = time.monotonic() + self.start_timeout
        try:
            for attempt in range(20):
                self._port = _process.free_port(self._hosts)
                tls_port = None
                if self.certificates is not None:
                    tls_port = _process.free_port(self._hosts, avoid=(self._port,))
                self._tls_port = tls_port or 0
                layout.config.write_text(render_config(
                    layout, self._hosts, self._port, self._account, self.max_connections,
                    tls_port))
                if _process.launch(binary, layout.config, layout.startup_output,
                                   max(0.1, deadline - time.monotonic()),
                                   self.start_timeout, self.log_text):
                    break
                if time.monotonic() >= deadline:
                    raise DovecotError(f"no free port found in {attempt + 1} tries")
            else:
                raise DovecotError("every port tried was taken before Dovecot bound it")
            self._pid = _process.read_pid(layout.pid_file, deadline, self.log_text)
            atexit.register(self.stop)
            for host in self._hosts:
                self._greeting = _process.wait_greeting(host, self._port, deadline,
                                                        self.start_timeout, self.log_text)
                if self.certificates is not None:
                    _process.wait_greeting(host, self._tls_port, deadline, self.start_timeout,
                                           self.log_text, self.certificates.client_context())
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the master by the pid in its ``master.pid``, then remove the folder.

        Safe to call more than once, and on a server that failed to start.
        """
        atexit.unregister(self.stop)
        pid = self._pid
        if not pid and self._layout is not None:
            pid = _process.pid_from_file(self._layout.pid_file)
        if pid and self._layout is not None:
            _process.terminate(pid, self._layout.config, max(self.start_timeout, 5.0))
        self._pid = 0
        self._port = 0
        self._tls_port = 0
        if self._layout is not None and self._made_root and not self.keep:
            shutil.rmtree(self._layout.root, ignore_errors=True)
        if self._made_root and not self.keep:
            self._layout = None
            self._made_root = False

    # ----------------------------------------------------------------- users and mail
    def add_user(self, name: str, password: str) -> None:
        """Add a user (or change the password of one) and create an empty Maildir.

        Works while the server runs. Changing the password of a user Dovecot has already
        looked up can wait up to a second (see :mod:`~nxpop3.testing.dovecot.passwd`).
        """
        _passwd.check_user(name, password)
        changed = name in self._users and self._users[name] != password
        self._users[name] = password
        if self._layout is not None:  # else made when the server starts
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
        return self.layout.maildir(user)

    def add_message(self, user: str, data: bytes | Iterable[bytes]) -> Path:
        """Deliver one message into the user's Maildir; it becomes the last message.

        ``data`` is bytes or an iterable of bytes chunks (for messages too large to hold).
        The file is written in ``tmp/``, given to the mail user, then renamed into ``new/``,
        as a Maildir delivery does. Returns the path of the delivered file.
        """
        maildir = self.maildir(user)
        if user not in self._next_seq:
            self._next_seq[user] = _maildir.next_sequence(maildir)
        seq = self._next_seq[user]
        self._next_seq[user] = seq + 1
        return _maildir.deliver(maildir, seq, data, self._account.uid, self._account.gid)

    def add_messages(self, user: str, messages: Iterable[bytes]) -> list[Path]:
        """Deliver several messages, in order."""
        return [self.add_message(user, message) for message in messages]

    def message_paths(self, user: str) -> list[Path]:
        """The files of the user's messages, in the server's order (POP3 number - 1).

        Reflects what the server stores now: messages deleted at a QUIT are gone. During a
        session Dovecot may move a file from ``new/`` to ``cur/`` (its name gets a ``:2,``
        suffix): a path can go stale, ``messages()`` copes with that.
        """
        return _maildir.message_paths(self.maildir(user))

    def messages(self, user: str) -> list[bytes]:
        """The bytes of every stored message, in the server's order, exactly as on disk.

        ``as_retrieved`` turns one into what a client gets from RETR.
        """
        return _maildir.read_messages(self.maildir(user))

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
            root = Path(tempfile.mkdtemp(prefix="nxpop3-dc-", dir=default_parent()))
            self._made_root = True
        else:
            root = self._root_arg.resolve()
            root.mkdir(parents=True, exist_ok=True)
        self._layout = layout = Layout(root)
        layout.check()
        # Mail processes run as the mail user: they must be able to reach mail/.
        os.chmod(root, 0o755)
        layout.mail.mkdir(exist_ok=True)
        os.chown(layout.mail, self._account.uid, self._account.gid)
        if self.certificates is not None:  # read by the master, which runs as us
            layout.tls_dir.mkdir(mode=0o700, exist_ok=True)
            self.certificates.write_server_files(layout.tls_dir)
        for name in self._users:
            self._make_maildir(name)
            self._write_passwd(name)

    def _make_maildir(self, name: str) -> None:
        _maildir.make_maildir(self.layout.mail / name, self._account.uid, self._account.gid)

    def _write_passwd(self, name: str, changed: bool = False) -> None:
        _passwd.write_passwd(self.layout.passwd_dir, name, self._users[name],
                             self._account.uid, self._account.gid,
                             changed=changed, running=bool(self._pid))


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

    @property
    def tls_port(self) -> int:
        """The POP3S port (see :attr:`DovecotServer.tls_port`)."""
        return self.server.tls_port

    def client_context(self) -> ssl.SSLContext:
        """A new client context trusting the server's certificate."""
        return self.server.client_context()

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
