"""Server text is untrusted: a greeting, an -ERR text or a header can carry
terminal control sequences. str(exception) shows them escaped
(nxpop3.server_text.printable); .reply keeps the text as sent."""
from __future__ import annotations

import unicodedata

import pytest

from nxpop3 import Client, ProtocolError, ServerError
from nxpop3.errors import Pop3Error, response_code
from nxpop3.server_text import printable
from nxpop3.testing.server import Pop3Server
from nxpop3.transport import ScriptedTransport

# Clear the screen, retitle the terminal, ring the bell, overwrite the line,
# hide the rest, a C1 CSI, DEL and a right-to-left override.
HOSTILE = "\x1b[2J\x1b]0;owned\x07 \rfake\x08\x08 \x1b[8mhidden \x9b31m \x7f \u202eexe.txt"
# The same without CR: a bare CR inside a status line is a protocol error.
HOSTILE_LINE = HOSTILE.replace("\r", "")


def shown_safely(text: str) -> bool:
    """No control, format, surrogate or line-separator character is left."""
    return not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in text)


@pytest.mark.parametrize("raw, shown", [
    ("plain text", "plain text"),
    ("caf\u00e9 \u65e5\u672c", "caf\u00e9 \u65e5\u672c"),
    ("\x1b[31mred", "\\x1b[31mred"),
    ("bell\x07", "bell\\x07"),
    ("a\r\nb\tc", "a\\r\\nb\\tc"),
    ("back\x08space", "back\\x08space"),
    ("\x9b2J c1", "\\x9b2J c1"),
    ("del\x7f", "del\\x7f"),
    ("\u202egnp.exe", "\\u202egnp.exe"),
    ("line\u2028sep", "line\\u2028sep"),
    ("C:\\dir", "C:\\\\dir"),
    (b"\xff\xfebytes\x1b", "\\xff\\xfebytes\\x1b"),
    (b"caf\xc3\xa9", "caf\u00e9"),
])
def test_printable(raw: str | bytes, shown: str) -> None:
    assert printable(raw) == shown
    assert shown_safely(printable(raw))


def test_every_code_point_below_0x3000_comes_out_printable() -> None:
    text = "".join(chr(i) for i in range(0x3000) if not 0xD800 <= i <= 0xDFFF)
    assert shown_safely(printable(text))


def test_error_text_is_escaped_and_the_reply_kept() -> None:
    error = Pop3Error(0xB4, reply=HOSTILE, command="STAT")
    assert shown_safely(str(error))
    assert "\\x1b[2J" in str(error)
    assert error.reply == HOSTILE


def test_a_response_code_holding_controls_is_not_one() -> None:
    assert response_code("[IN-USE] busy") == "IN-USE"
    assert response_code("[IN\x1bUSE] busy") is None


def scripted(greeting: bytes) -> ScriptedTransport:
    return ScriptedTransport(greeting)


def test_hostile_greeting_over_the_scripted_transport() -> None:
    t = scripted(b"-ERR " + HOSTILE_LINE.encode() + b"\r\n")
    with pytest.raises(ServerError) as caught:
        Client("127.0.0.1", user="alice", password="secret", mechanism="USER", transport=t)
    assert shown_safely(str(caught.value))
    assert caught.value.reply is not None and "\x1b[2J" in caught.value.reply


def test_hostile_err_text_over_the_scripted_transport() -> None:
    t = scripted(b"+OK \x1b]0;title\x07 ready\r\n")
    t.expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    t.expect("STAT", b"-ERR " + HOSTILE_LINE.encode() + b"\r\n").expect("QUIT", b"+OK\r\n")
    with Client("127.0.0.1", user="alice", password="secret", mechanism="USER", transport=t) as c:
        with pytest.raises(ServerError) as caught:
            c.stat()
        assert shown_safely(str(caught.value))
        assert "\x07" in c.last_reply  # the raw text, for who asks for it
    assert caught.value.reply == HOSTILE_LINE[: len(caught.value.reply)]
    assert caught.value.reply.startswith("\x1b[2J")


def test_a_bare_cr_is_a_protocol_error_and_its_text_shown_escaped() -> None:
    t = scripted(b"+OK ready\r\n")
    t.expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    t.expect("STAT", b"-ERR " + HOSTILE.encode() + b"\r\n")
    c = Client("127.0.0.1", user="alice", password="secret", mechanism="USER", transport=t)
    with pytest.raises(ProtocolError) as caught:
        c.stat()
    assert shown_safely(str(caught.value))
    c.close()


def test_hostile_err_text_over_sockets() -> None:
    with Pop3Server([b"Subject: a\r\n\r\nx\r\n"]) as server:
        server.fault("STAT", err="\x1b[2J\x1b]0;owned\x07 busy")
        with Client(server.host, server.port, "alice", "secret", timeout=5) as c:
            with pytest.raises(ServerError) as caught:
                c.stat()
    assert shown_safely(str(caught.value))
    assert "\\x1b]0;owned\\x07 busy" in str(caught.value)
    assert caught.value.reply == "\x1b[2J\x1b]0;owned\x07 busy"


def test_hostile_greeting_over_sockets() -> None:
    with Pop3Server([], greeting="\x1b[2Jwelcome\x07") as server:
        server.fault("GREETING", err="\x1b[5m go away \x1b[0m")
        with pytest.raises(ServerError) as caught:
            Client(server.host, server.port, "alice", "secret", timeout=5)
    assert shown_safely(str(caught.value))
    assert "\x1b[5m" in caught.value.reply
