"""A throw-away Dovecot POP3 server for tests, started and stopped by Python.

``DovecotServer`` writes a self-contained configuration into a temporary folder (nothing
is read from ``/etc/dovecot``), starts ``dovecot -c CONFIG`` on free loopback ports, waits
for the ``+OK`` greeting and stops the master by the pid in its own ``master.pid``.
Users and messages go straight into a passwd-file and into Maildirs, before or between
sessions; what the server stores can be read back to compare with what a client received.

Pure Python: importing this package does not need the nxpop3 C extension.

Example::

    with DovecotServer() as server:
        server.add_user("alice", "secret")
        server.add_message("alice", b"Subject: hi\\n\\nhello\\n")
        print(server.host, server.port)

Modules: ``server`` (``DovecotServer``, ``DovecotMailbox``), ``process`` (finding,
starting and stopping ``dovecot``), ``config`` (the folder layout and ``dovecot.conf``),
``passwd`` (the users' passwd-files), ``maildir`` (delivering and reading messages),
``errors`` (``DovecotError``); ``python -m nxpop3.testing.dovecot`` runs one by hand.

Facts about Dovecot 2.3 this package relies on:

* It refuses to run mail or login processes as root, so when the tests run as root the
  mail tree belongs to an unprivileged user (``nobody``/``nogroup`` by default).
* The master keeps stderr open after it daemonizes: its output goes to a file, never a pipe.
* A listener cannot take port 0: free ports are picked here, and start-up is retried with
  new ones when ``dovecot`` reports a port already taken (another instance won the race).
* Failed logins make anvil delay later logins from the same IP (2 to 15 s), on top of
  ``auth_failure_delay``: both are turned off.
* ``apop`` in ``auth_mechanisms`` with plaintext passwords is what puts the APOP timestamp
  into the greeting. From the same ``{PLAIN}`` passwords it runs SASL PLAIN, LOGIN, CRAM-MD5
  and SCRAM-SHA-256 (all offered); SCRAM's server-final comes as a ``+`` continuation.
* New Maildir files get their POP3 numbers in the order of the number before the first
  ``.`` of their names, so file names carry an increasing sequence number.
* RETR converts bare LF to CRLF, and adds a final CRLF when the file lacks one. It does not
  dot-stuff a ``.`` that is the very first byte of a message (a server bug), so tests must
  not start a message with ``.``.
"""
from __future__ import annotations

from nxpop3.testing.dovecot.errors import DovecotError
from nxpop3.testing.dovecot.maildir import as_retrieved, listed_size
from nxpop3.testing.dovecot.process import find_dovecot, has_ipv6_loopback
from nxpop3.testing.dovecot.server import DovecotMailbox, DovecotServer, default_parent

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
