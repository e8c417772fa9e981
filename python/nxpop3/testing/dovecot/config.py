"""The instance folder of a test Dovecot and the ``dovecot.conf`` written into it.

Everything Dovecot reads or writes stays under one folder (:class:`Layout`); nothing comes
from ``/etc/dovecot``. :func:`render_config` is the whole configuration, one template.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nxpop3.testing.dovecot.errors import DovecotError

__all__ = ["DH_PARAMETERS", "Layout", "MailAccount", "quote", "render_config"]

DH_PARAMETERS = Path("/usr/share/dovecot/dh.pem")
"""The Diffie-Hellman parameters Debian's dovecot-core ships (for DHE cipher suites with
an RSA key); left out of the configuration when absent."""


@dataclass(frozen=True)
class Layout:
    """Where each file of one instance goes, under ``root``."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log(self) -> Path:
        return self.root / "dovecot.log"

    @property
    def startup_output(self) -> Path:
        """What the ``dovecot`` command printed while starting."""
        return self.root / "startup.out"

    @property
    def base_dir(self) -> Path:
        """Dovecot's ``base_dir``: its UNIX sockets and ``master.pid``."""
        return self.root / "run"

    @property
    def pid_file(self) -> Path:
        return self.base_dir / "master.pid"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def passwd_dir(self) -> Path:
        """One passwd-file per user (see :mod:`nxpop3.testing.dovecot.passwd`)."""
        return self.root / "passwd.d"

    @property
    def mail(self) -> Path:
        """The homes, ``mail/USER/Maildir``."""
        return self.root / "mail"

    def maildir(self, user: str) -> Path:
        return self.mail / user / "Maildir"

    @property
    def tls_dir(self) -> Path:
        """The server's certificate and key (``server.pem``, ``server.key``), written from
        the test CA when TLS is on."""
        return self.root / "tls"

    @property
    def ssl_cert(self) -> Path:
        return self.tls_dir / "server.pem"

    @property
    def ssl_key(self) -> Path:
        return self.tls_dir / "server.key"

    def check(self) -> None:
        """Refuse a root Dovecot cannot use: white space, or UNIX socket paths too long."""
        if any(ch.isspace() for ch in os.fspath(self.root)):
            raise DovecotError(f"root {self.root} holds white space: Dovecot's passdb "
                               "arguments cannot quote it")
        sockets = len(os.fspath(self.base_dir / "login" / "tokenlogin")) + 16
        if sockets > 107:
            raise DovecotError(f"root {self.root} is too long for UNIX socket paths")


@dataclass(frozen=True)
class MailAccount:
    """The unprivileged account that runs the login and mail processes and owns the mail."""

    user: str
    group: str
    uid: int
    gid: int


def quote(value: str | os.PathLike[str]) -> str:
    """Quote a value for dovecot.conf."""
    text = os.fspath(value)
    if any(ch in text for ch in '"\\\n\r'):
        raise DovecotError(f"cannot put {text!r} in a Dovecot configuration")
    return f'"{text}"'


def _tls_settings(layout: Layout, tls_port: int | None) -> tuple[str, str]:
    """The global TLS settings and the POP3S listener (both empty without TLS)."""
    if tls_port is None:
        return "ssl = no\n", ""
    settings = (
        "ssl = yes\n"
        f"ssl_cert = <{layout.ssl_cert}\n"
        f"ssl_key = <{layout.ssl_key}\n"
        "ssl_min_protocol = TLSv1.2\n"
    )
    if DH_PARAMETERS.is_file():
        settings += f"ssl_dh = <{DH_PARAMETERS}\n"
    listener = f"""\
  inet_listener pop3s {{
    port = {tls_port}
    ssl = yes
  }}
"""
    return settings, listener


def render_config(
    layout: Layout,
    hosts: Sequence[str],
    port: int,
    account: MailAccount,
    max_connections: int,
    tls_port: int | None = None,
) -> str:
    """The text of ``dovecot.conf``: POP3 only, USER/PASS, APOP and SASL (PLAIN, LOGIN,
    CRAM-MD5, SCRAM-SHA-256) logins, Maildirs; with
    ``tls_port``, TLS on (``STLS`` on ``port``, POP3S on ``tls_port``) with the certificate
    in ``layout.tls_dir``, plaintext logins still allowed on the plain port."""
    root = layout.root
    tls, pop3s = _tls_settings(layout, tls_port)
    return f"""\
# Written by nxpop3.testing.dovecot: a private POP3 server for tests.
base_dir = {quote(layout.base_dir)}
state_dir = {quote(layout.state_dir)}
instance_name = {quote(root.name)}
log_path = {quote(layout.log)}
info_log_path = {quote(layout.log)}
protocols = pop3
listen = {", ".join(hosts)}
{tls}disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 scram-sha-256 apop
auth_failure_delay = 0
default_login_user = {account.user}
default_internal_user = {account.user}
default_internal_group = {account.group}
first_valid_uid = 1
first_valid_gid = {1 if account.gid else 0}
mail_location = maildir:~/Maildir
mail_uid = {account.uid}
mail_gid = {account.gid}
mail_fsync = never
pop3_uidl_format = %08Xu%08Xv
protocol pop3 {{
  mail_max_userip_connections = {max_connections}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {layout.passwd_dir}/%u
}}
userdb {{
  driver = static
  args = uid={account.uid} gid={account.gid} home={layout.mail}/%u
}}
# No auth penalty: failed logins from 127.0.0.1 would delay later logins by 2 to 15 s.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {port}
  }}
{pop3s}}}
"""
