"""nxpop3.Client against a real Dovecot (the ``dovecot`` fixture in conftest.py).

Every test uses its own Dovecot user and a PacketPool that must be full again at the end.

No test message starts with ``.``: Dovecot does not dot-stuff a ``.`` that is the very
first byte of a message (its RETR code starts with "no previous line ending"), so the
client would, correctly, remove a dot that belongs to the message. That is a server bug,
not the client's; lines starting with ``.`` after the first are stuffed and tested here.
"""
from __future__ import annotations

import hashlib
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nxpop3 import codes
from nxpop3.testing.dovecot import DovecotMailbox, as_retrieved, listed_size

#: The status nxpop3 gives a -ERR to PASS or APOP (from the C header, by name).
AUTH_FAILED_STATUS = codes.NX_POP3_SERVER_ERROR_STATUS

MESSAGES: list[bytes] = [
    b"From: a@example.org\nTo: b@example.org\nSubject: plain\n\nHello, world.\n",
    b"Subject: dot lines\n\n.leading dot\n..two dots\n.\nafter a lone dot\n. space\n",
    b"Subject: already CRLF\r\n\r\nline one\r\nline two\r\n",
    b"Subject: empty lines\n\n\n\n\nend\n",
    b"Subject: a 100 kB line\n\n" + b"x" * 100_000 + b"\n",
    b"Subject: 8-bit\n\n" + bytes(range(0x20, 0x7F)) + "caf\u00e9 \u20ac".encode() + b"\n"
    + bytes(range(0x80, 0x100)) + b"\n",
    b"Subject: terminator look-alikes\n\nline\n.\r\n..\n.. \n",
    b"Subject: no final line ending\n\nlast line",
]


def _text(reply: Any) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _assert_first_byte_not_dot(messages: list[bytes]) -> None:
    # See the module docstring: Dovecot would send such a dot unstuffed.
    assert not any(m.startswith(b".") for m in messages)


@pytest.fixture
def mailbox(dovecot: DovecotMailbox) -> DovecotMailbox:
    """The test user with MESSAGES delivered."""
    _assert_first_byte_not_dot(MESSAGES)
    dovecot.add_messages(MESSAGES)
    return dovecot


def test_user_pass_login_and_stat(mailbox: DovecotMailbox, connect: Callable[..., Any]) -> None:
    with connect(mechanism="USER") as client:
        assert client.apop_used is False
        assert client.stat() == (len(MESSAGES), sum(listed_size(m) for m in MESSAGES))
        client.quit()
    mailbox.server.wait_log(f"Login: user=<{mailbox.user}>, method=PLAIN")


def test_apop_login_is_used(mailbox: DovecotMailbox, connect: Callable[..., Any]) -> None:
    assert b"<" in mailbox.server.greeting  # APOP is offered: the greeting has a timestamp
    with connect(apop=True) as client:
        assert client.apop_used is True
        assert client.stat()[0] == len(MESSAGES)
        client.quit()
    mailbox.server.wait_log(f"Login: user=<{mailbox.user}>, method=APOP")


@pytest.mark.parametrize("apop", [False, True], ids=["user-pass", "apop"])
def test_wrong_password_raises_authentication_error(
    dovecot: DovecotMailbox, nxpop3_module: Any, pool: Any, apop: bool
) -> None:
    with pytest.raises(nxpop3_module.errors.AuthenticationError) as caught:
        nxpop3_module.Client(dovecot.host, dovecot.port, dovecot.user, "wrong password",
                             apop=apop, timeout=10.0, pool=pool)
    error = caught.value
    assert isinstance(error, nxpop3_module.ServerError)
    assert error.status == AUTH_FAILED_STATUS
    assert "[AUTH]" in _text(error.reply)


def test_list_size_of_each_message(mailbox: DovecotMailbox, connect: Callable[..., Any]) -> None:
    with connect() as client:
        sizes = [client.size(n) for n in range(1, len(MESSAGES) + 1)]
        client.quit()
    assert sizes == [listed_size(m) for m in mailbox.messages()]


def test_retr_every_message_byte_for_byte(
    mailbox: DovecotMailbox, connect: Callable[..., Any]
) -> None:
    stored = mailbox.messages()
    assert stored == MESSAGES  # the server stores what was delivered, in order
    with connect() as client:
        received = [client.retr(n) for n in range(1, len(stored) + 1)]
        client.quit()
    for n, (got, kept) in enumerate(zip(received, stored), start=1):
        assert got == as_retrieved(kept), f"message {n} differs"


def test_retrieve_chunks_join_to_retr(
    mailbox: DovecotMailbox, connect: Callable[..., Any]
) -> None:
    stored = mailbox.messages()
    with connect() as client:
        for n, kept in enumerate(stored, start=1):
            assert b"".join(client.retrieve(n)) == as_retrieved(kept), f"message {n}"
        client.quit()


def test_dele_then_quit_removes_messages(
    mailbox: DovecotMailbox, connect: Callable[..., Any]
) -> None:
    with connect() as client:
        client.delete(1)
        client.delete(3)
        # Deleted messages vanish from this session's STAT at once...
        assert client.stat()[0] == len(MESSAGES) - 2
        client.quit()
    # ...and from the maildrop at QUIT.
    kept = [m for i, m in enumerate(MESSAGES, start=1) if i not in (1, 3)]
    assert mailbox.messages() == kept
    with connect() as client:
        assert client.stat() == (len(kept), sum(listed_size(m) for m in kept))
        assert client.retr(1) == as_retrieved(kept[0])
        client.quit()


def test_dele_then_rset_keeps_messages(
    mailbox: DovecotMailbox, connect: Callable[..., Any]
) -> None:
    full = (len(MESSAGES), sum(listed_size(m) for m in MESSAGES))
    with connect() as client:
        client.delete(1)
        client.delete(2)
        assert client.stat()[0] == len(MESSAGES) - 2
        client.reset()
        assert client.stat() == full
        client.quit()
    assert mailbox.messages() == MESSAGES
    with connect() as client:
        assert client.stat() == full
        assert client.retr(1) == as_retrieved(MESSAGES[0])
        client.quit()


def test_noop_keeps_the_session(mailbox: DovecotMailbox, connect: Callable[..., Any]) -> None:
    with connect() as client:
        client.noop()
        client.noop()
        assert client.stat()[0] == len(MESSAGES)
        client.quit()


def test_empty_maildrop(dovecot: DovecotMailbox, connect: Callable[..., Any],
                        nxpop3_module: Any) -> None:
    assert dovecot.message_count() == 0
    with connect() as client:
        assert client.stat() == (0, 0)
        # There is no message 1: the client refuses it (the STAT count is 0) or Dovecot does.
        with pytest.raises(nxpop3_module.Pop3Error):
            client.size(1)
        assert client.stat() == (0, 0)  # the session goes on
        client.quit()


def test_ipv6_loopback(mailbox: DovecotMailbox, connect: Callable[..., Any]) -> None:
    host = mailbox.server.ipv6_host
    if host is None:
        pytest.skip("this host has no ::1")
    with connect(host=host, mechanism="USER") as client:
        assert client.stat()[0] == len(MESSAGES)
        assert client.retr(2) == as_retrieved(MESSAGES[1])
        client.quit()
    mailbox.server.wait_log(f"Login: user=<{mailbox.user}>, method=PLAIN, rip=::1")


def test_2000_small_messages_in_one_session(
    dovecot: DovecotMailbox, connect: Callable[..., Any]
) -> None:
    messages = [f"Subject: message {n}\nX-Seq: {n}\n\nbody of {n}\n{'.' * (n % 5)}\n".encode()
                for n in range(1, 2001)]
    dovecot.add_messages(messages)
    with connect() as client:
        assert client.stat() == (2000, sum(listed_size(m) for m in messages))
        for n, message in enumerate(messages, start=1):
            assert client.retr(n) == as_retrieved(message), f"message {n}"
        client.quit()


def _big_message(total: int) -> Iterator[bytes]:
    """About ``total`` bytes in blocks of numbered 80-byte lines, every 97th starting "."."""
    yield b"Subject: big\nX-Size: about %d\n\n" % total
    filler = b"abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ-+=/"
    line_no = 0
    sent = 0
    while sent < total:
        lines = []
        for _ in range(1024):
            line_no += 1
            lead = b"." if line_no % 97 == 0 else b" "
            lines.append(lead + b"%010d" % line_no + filler + b"\n")
        block = b"".join(lines)
        sent += len(block)
        yield block


def test_50_mb_message_streams_in_constant_memory(
    dovecot: DovecotMailbox, connect: Callable[..., Any]
) -> None:
    size = 50 * 1024 * 1024
    expected = hashlib.sha256()
    expected_len = 0

    def deliver() -> Iterator[bytes]:
        nonlocal expected_len
        for block in _big_message(size):
            crlf = as_retrieved(block)  # each block ends with LF: converts on its own
            expected.update(crlf)
            expected_len += len(crlf)
            yield block

    dovecot.add_message(deliver())
    assert expected_len > size

    with connect() as client:
        assert client.size(1) == expected_len
        got = hashlib.sha256()
        got_len = 0
        chunks = 0
        largest = 0
        tracemalloc.start()
        try:
            for chunk in client.retrieve(1):
                got.update(chunk)
                got_len += len(chunk)
                chunks += 1
                largest = max(largest, len(chunk))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        client.quit()
    assert got_len == expected_len
    assert got.hexdigest() == expected.hexdigest()
    # Streamed: many chunks, none large, and Python memory never near the message size.
    assert chunks > 100
    assert largest <= 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while streaming {got_len} bytes"


def test_several_clients_at_once(
    dovecot: DovecotMailbox, nxpop3_module: Any, make_pool: Callable[..., Any]
) -> None:
    threads_count = 6
    boxes = [dovecot.server.new_mailbox() for _ in range(threads_count)]
    for i, box in enumerate(boxes):
        box.add_messages(
            [f"Subject: {box.user} {n}\n\n{'payload ' * (i + n)}\n".encode() for n in range(20)]
        )
    pools = [make_pool() for _ in boxes]
    barrier = threading.Barrier(threads_count, timeout=10.0)
    errors: list[BaseException] = []
    results: dict[str, list[bytes]] = {}

    def session(box: DovecotMailbox, pool: Any) -> None:
        try:
            barrier.wait()
            with nxpop3_module.Client(box.host, box.port, box.user, box.password,
                                      timeout=10.0, pool=pool) as client:
                count, _ = client.stat()
                results[box.user] = [client.retr(n) for n in range(1, count + 1)]
                client.quit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(box, pool), daemon=True)
               for box, pool in zip(boxes, pools)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30.0)
    assert not any(thread.is_alive() for thread in threads), "a client thread hung"
    assert not errors, errors
    for box in boxes:
        assert results[box.user] == [as_retrieved(m) for m in box.messages()]
