"""POP3 clients that are not ours work against Pop3Server: Python's poplib and curl,
with byte-exact results."""
from __future__ import annotations

import os
import poplib
import subprocess

import pytest

from nxpop3.testing import Message, Pop3Server, sample_messages
from nxpop3.testing.dependencies import require_tool

PLAIN = b"From: a@example.test\r\nSubject: one\r\n\r\nHello\r\n"
DOTS = b"Subject: dots\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nlast line\r\n"
NO_BODY = b"Subject: no body\r\n"
MESSAGES = [PLAIN, DOTS, NO_BODY]


def joined(lines: list[bytes]) -> bytes:
    """poplib's lines of a body (unstuffed, CRLF removed) back into bytes."""
    return b"".join(line + b"\r\n" for line in lines)


# -- poplib ------------------------------------------------------------------------------------

def test_poplib_speaks_every_command(monkeypatch):
    monkeypatch.setattr(poplib, "_MAXLINE", 1 << 20)  # the sample has lines over 2048
    stored = [m.data for m in sample_messages()] + MESSAGES
    with Pop3Server(sample_messages() + MESSAGES) as server:
        uids = [m.uid for m in server.mailbox().entries]
        client = poplib.POP3(*server.address, timeout=5)
        assert client.getwelcome() == b"+OK nxpop3 test server ready"
        caps = client.capa()
        assert {"TOP", "UIDL", "USER", "PIPELINING", "RESP-CODES", "UTF8"} <= set(caps)
        assert caps["IMPLEMENTATION"] == ["nxpop3-testing"]
        assert client.utf8() == b"+OK UTF8 enabled"
        client.user("alice")
        client.pass_("secret")
        assert server.sessions[0].utf8
        assert client.stat() == (len(stored), sum(map(len, stored)))
        _, listing, _ = client.list()
        assert listing == [b"%d %d" % (n, len(m)) for n, m in enumerate(stored, start=1)]
        assert client.list(2) == b"+OK 2 %d" % len(stored[1])
        _, uid_lines, _ = client.uidl()
        assert uid_lines == [b"%d %s" % (n, u.encode()) for n, u in enumerate(uids, start=1)]
        assert client.uidl(3) == b"+OK 3 %s" % uids[2].encode()
        for number, message in enumerate(server.mailbox().entries, start=1):
            _, lines, _ = client.retr(number)
            assert joined(lines) == message.data
            for top_lines in (0, 1, 3):
                _, lines, _ = client.top(number, top_lines)
                assert joined(lines) == message.top(top_lines)
        assert client.noop() == b"+OK"
        client.dele(1)
        client.dele(2)
        with pytest.raises(poplib.error_proto, match="already deleted"):
            client.retr(1)
        assert len(client.uidl()[1]) == len(stored) - 2
        assert client.rset().startswith(b"+OK")
        client.dele(len(stored))
        assert client.quit().startswith(b"+OK")
        assert server.messages == stored[:-1]
        assert server.errors == []


def test_poplib_apop():
    stamp = "<1896.697170952@dbc.mtview.ca.us>"
    with Pop3Server(MESSAGES, password="tanstaaf", apop=True, timestamp=stamp) as server:
        client = poplib.POP3(*server.address, timeout=5)
        assert client.apop("alice", "tanstaaf").startswith(b"+OK")
        assert client.uidl(1).startswith(b"+OK 1 ")
        assert joined(client.top(2, 1)[1]) == Message(DOTS, "x").top(1)
        client.quit()
        assert server.commands[0] == "APOP alice c4c9334bac560ecc979e58001b3e22fb"


def test_poplib_sees_response_codes_and_an_old_server():
    with Pop3Server(MESSAGES) as server:
        client = poplib.POP3(*server.address, timeout=5)
        client.user("alice")
        with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\]"):
            client.pass_("wrong")
        client.quit()
    with Pop3Server(MESSAGES, capa=False) as old:
        client = poplib.POP3(*old.address, timeout=5)
        with pytest.raises(poplib.error_proto):
            client.capa()
        client.user("alice")
        client.pass_("secret")
        assert client.stat() == (3, sum(map(len, MESSAGES)))
        client.quit()


# -- curl ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def curl() -> str:
    return require_tool("curl", "curl")


def fetch(curl: str, server: Pop3Server, path: str = "", *options: str,
          user: str = "alice:secret") -> bytes:
    url = f"pop3://{server.host}:{server.port}/{path}"
    # curl is not ours: the sanitizer runtime tests/run_sanitized.sh preloads into
    # Python is no business of it (preloaded into curl, it hangs).
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    done = subprocess.run(
        [curl, "--silent", "--show-error", "--max-time", "10", "--user", user, url, *options],
        capture_output=True, timeout=30, check=False, env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_curl_lists_and_retrieves_byte_exact(curl):
    messages = sample_messages() + MESSAGES
    with Pop3Server(messages) as server:
        stored = server.mailbox().entries
        listing = b"".join(b"%d %d\r\n" % (n, m.size) for n, m in enumerate(stored, start=1))
        assert fetch(curl, server) == listing
        for number, message in enumerate(stored, start=1):
            assert fetch(curl, server, str(number)) == message.data
        assert server.commands[:4] == ["CAPA", "USER alice", "PASS secret", "LIST"]
        assert server.errors == []


def test_curl_uidl_top_and_dele(curl):
    with Pop3Server(MESSAGES) as server:
        entries = server.mailbox().entries
        expected = b"".join(b"%d %s\r\n" % (n, m.uid.encode()) for n, m in enumerate(entries, 1))
        assert fetch(curl, server, "", "--request", "UIDL") == expected
        assert fetch(curl, server, "", "--request", "TOP 2 1") == entries[1].top(1)
        assert fetch(curl, server, "", "--request", "TOP 3 0") == NO_BODY
        assert fetch(curl, server, "1", "--request", "DELE", "--head") == b""
        assert server.messages == [DOTS, NO_BODY]


def test_curl_with_apop_and_against_an_old_server(curl):
    with Pop3Server(MESSAGES, apop=True) as server:
        assert fetch(curl, server, "2") == DOTS
        assert server.commands[:2] == ["CAPA", server.commands[1]]
        assert server.commands[1].startswith("APOP alice ")
    with Pop3Server(MESSAGES, capa=False) as old:
        assert fetch(curl, old, "2") == DOTS
        assert old.commands[:3] == ["CAPA", "USER alice", "PASS secret"]
