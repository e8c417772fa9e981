"""``nxpop3 fetch`` against a real Dovecot over STLS (certificate from the test CA,
verified): incremental by Dovecot's UIDL, so a second run stores nothing new and a third
only the message that arrived; then --delete empties the maildrop.

``LOGINS`` holds the login options the whole story is repeated with: the client's
default (the strongest mechanism Dovecot offers), SCRAM-SHA-256 named, and USER/PASS
named; Dovecot's log says which one each login used, inside TLS.
"""
from __future__ import annotations

import mailbox
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nxpop3.testing.dovecot import DovecotMailbox, as_retrieved

MESSAGES = [b"Subject: one\n\nfirst\n", b"Subject: two\n\n.dot line\nsecond\n",
            b"Subject: three\n\nthird\n"]
LOGINS: list[list[str]] = [[], ["--mechanism", "SCRAM-SHA-256"], ["--mechanism", "USER"]]
# What Dovecot's log calls each named mechanism.
LOGGED_AS = {"SCRAM-SHA-256": "SCRAM-SHA-256", "USER": "PLAIN"}


def fetch(box: DovecotMailbox, ca_file: Path, cwd: Path,
          *options: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NXPOP3_PASSWORD", "NETRC")}
    env.update(NXPOP3_PASSWORD=box.password, NETRC=str(cwd / "none"), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "nxpop3", "fetch", box.host, "-p", str(box.port), "--starttls",
         "--cafile", str(ca_file), "-u", box.user, "--to", "mail", *options],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=120, start_new_session=True,
    )


def stored(cwd: Path) -> list[bytes]:
    box = mailbox.Maildir(str(cwd / "mail"), factory=None, create=False)
    return sorted(box.get_bytes(key) for key in box.iterkeys())


@pytest.mark.parametrize("login", LOGINS, ids=lambda options: " ".join(options) or "default")
def test_incremental_fetch_over_stls_twice(dovecot_tls: DovecotMailbox, tls_ca_file: Path,
                                           tmp_path: Path, login: list[str]) -> None:
    dovecot_tls.add_messages(MESSAGES)
    first = fetch(dovecot_tls, tls_ca_file, tmp_path, *login)
    assert first.returncode == 0, first.stderr
    assert "Fetched 3 of 3 messages" in first.stdout
    assert stored(tmp_path) == sorted(as_retrieved(m) for m in MESSAGES)
    logged = dovecot_tls.server.wait_log(f"Login: user=<{dovecot_tls.user}>")
    assert ", TLS," in logged
    if login:
        assert f"method={LOGGED_AS[login[1]]}," in logged

    second = fetch(dovecot_tls, tls_ca_file, tmp_path, *login)
    assert second.returncode == 0, second.stderr
    assert "Fetched 0 of 3 messages" in second.stdout
    assert "3 skipped as already stored" in second.stdout
    assert len(stored(tmp_path)) == 3

    late = b"Subject: four\n\nfourth\n"
    dovecot_tls.add_message(late)
    third = fetch(dovecot_tls, tls_ca_file, tmp_path, *login)
    assert third.returncode == 0, third.stderr
    assert "Fetched 1 of 4 messages" in third.stdout
    assert stored(tmp_path) == sorted(as_retrieved(m) for m in [*MESSAGES, late])

    emptied = fetch(dovecot_tls, tls_ca_file, tmp_path, "--delete", *login)
    assert emptied.returncode == 0, emptied.stderr
    assert "Fetched 0 of 4 messages" in emptied.stdout and "deleted 4" in emptied.stdout
    assert dovecot_tls.message_count() == 0
    assert len(stored(tmp_path)) == 4
