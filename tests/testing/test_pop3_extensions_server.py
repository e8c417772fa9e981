"""The POP3 extensions over sockets: pipelining, CAPA options, UTF8, LOGIN-DELAY, response
codes, and every fault knob on the new commands. Byte-exact against the socket-free session."""
from __future__ import annotations

import socket
import time

import pytest

from nxpop3.testing import Mailbox, Message, Pop3Server, Pop3Session, dot_stuff

PLAIN = b"From: a@example.test\r\nSubject: one\r\n\r\nHello\r\n"
DOTS = b"Subject: dots\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nlast line\r\n"
NO_BODY = b"Subject: no body\r\n"
MESSAGES = [PLAIN, DOTS, NO_BODY]
LOGIN = ["USER alice", "PASS secret"]


def replay(messages: list[bytes | Message], commands: list[str], **options) -> list[bytes]:
    """The greeting and the reply to each command from a socket-free session over the same
    messages (so the same UIDs): what the server must send, byte for byte."""
    session = Pop3Session({"alice": Mailbox("alice", "secret", messages)}, **options)
    replies = [session.greet()]
    for command in commands:
        replies.append(session.handle(command))
        if session.ended:
            break
    return replies


def run(address: tuple[str, int], commands: list[str], *, chunk: int | None = None) -> bytes:
    """Send every command in one write (or ``chunk`` bytes at a time), read until close."""
    data = b"".join(c.encode() + b"\r\n" for c in commands)
    with socket.create_connection(address, timeout=5) as sock:
        if chunk is None:
            sock.sendall(data)
        else:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for start in range(0, len(data), chunk):
                sock.sendall(data[start : start + chunk])
        received = bytearray()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            piece = sock.recv(65536)
            if not piece:
                return bytes(received)
            received += piece
    raise TimeoutError("the server did not close the connection")


# -- pipelining -------------------------------------------------------------------------------

SESSION = [*LOGIN, "CAPA", "STAT", "LIST", "UIDL", "TOP 1 0", "TOP 2 2", "RETR 2", "UIDL 3",
           "LIST 3", "DELE 1", "LIST", "UIDL", "UIDL 1", "TOP 3 5", "NOOP", "RSET", "STAT",
           "DELE 2", "QUIT"]


def test_a_whole_session_pipelined_in_one_write_gets_every_reply_in_order():
    with Pop3Server(MESSAGES) as server:
        assert run(server.address, SESSION) == b"".join(replay(MESSAGES, SESSION))
        assert server.commands == SESSION
        assert bytes(server.sessions[0].received) == b"".join(
            c.encode() + b"\r\n" for c in SESSION)
        assert server.messages == [PLAIN, NO_BODY]


@pytest.mark.parametrize("chunk", [1, 7])
def test_pipelined_commands_cut_anywhere_across_segments(chunk):
    messages = [Message(m, f"uid-{i}") for i, m in enumerate(MESSAGES)]
    with Pop3Server(messages) as server:
        assert run(server.address, SESSION, chunk=chunk) == b"".join(replay(messages, SESSION))


def test_hundreds_of_pipelined_retr_and_dele_in_one_write():
    messages = [b"Subject: %d\r\n\r\n%s\r\n" % (n, b".x" * n) for n in range(400)]
    commands = [*LOGIN]
    for n in range(1, 401):
        commands += [f"RETR {n}", f"DELE {n}"]
    commands += ["STAT", "QUIT"]
    with Pop3Server(messages) as server:
        assert run(server.address, commands) == b"".join(replay(messages, commands))
        assert server.messages == []


def test_the_session_after_quit_ignores_pipelined_commands():
    with Pop3Server(MESSAGES) as server:
        data = run(server.address, [*LOGIN, "QUIT", "STAT", "NOOP"])
        assert data == b"".join(replay(MESSAGES, [*LOGIN, "QUIT"]))


def test_replies_go_out_as_they_are_produced():
    with Pop3Server(MESSAGES) as server:
        run(server.address, [*LOGIN, "STAT", "NOOP", "QUIT"])
        assert len(server.sessions[0].writes) == 6  # greeting + one send per reply


def test_coalesce_sends_the_replies_to_a_pipelined_batch_together():
    with Pop3Server(MESSAGES, coalesce=True) as server:
        assert run(server.address, SESSION) == b"".join(replay(MESSAGES, SESSION))
        writes = server.sessions[0].writes
        assert len(writes) < len(SESSION) // 2  # most replies shared a send (one, unless the
        # client's write reached the server in several reads)


def test_coalesce_still_sends_a_faulted_reply_on_its_own():
    commands = [*LOGIN, "STAT", "UIDL", "NOOP", "LIST", "QUIT"]
    replies = replay(MESSAGES, commands)
    with Pop3Server(MESSAGES, coalesce=True) as server:
        server.fault("UIDL", split=[4])
        server.fault("LIST", close_after=5)
        assert run(server.address, commands) == b"".join(replies[:6]) + replies[6][:5]
        sent = bytes(server.sessions[0].sent)
        writes = server.sessions[0].writes
    uidl_at = sent.index(replies[4])
    offsets = [sum(writes[:i]) for i in range(len(writes))]
    assert uidl_at in offsets and uidl_at + 4 in offsets  # UIDL split where asked
    assert len(sent) - 5 in offsets  # the cut LIST reply went alone


# -- every fault knob on the new commands ---------------------------------------------------

NEW_COMMANDS = ["CAPA", "LIST", "UIDL", "UIDL 2", "TOP 2 1", "TOP 3 0", "UTF8"]


def _plan(command: str) -> list[str]:
    """The commands around ``command``: UTF8 before login, the others after."""
    if command == "UTF8":
        return ["UTF8", *LOGIN, "QUIT"]
    return [*LOGIN, command, "QUIT"]


def _faulted_run(command: str, **knobs) -> tuple[bytes, bytes, bytes, Pop3Server]:
    """(bytes before the reply, the reply as sent, bytes after) and the server."""
    plan = _plan(command)
    replies = replay(MESSAGES, plan)
    at = plan.index(command) + 1  # replies[0] is the greeting
    with Pop3Server(MESSAGES) as server:
        fault = server.fault(command.split()[0], **knobs)
        data = run(server.address, plan)
        assert fault.hits == 1
    before = b"".join(replies[:at])
    assert data.startswith(before)
    if knobs.get("close_after") is not None:
        return before, data[len(before) :], b"", server
    after = b"".join(replies[at + 1 :])
    if knobs.get("err") is not None and command == "UTF8":
        after = b"".join(replay(MESSAGES, plan[1:])[1:])
    assert data.endswith(after)
    return before, data[len(before) : len(data) - len(after)], after, server


def _reply(command: str) -> bytes:
    plan = _plan(command)
    return replay(MESSAGES, plan)[plan.index(command) + 1]


@pytest.mark.parametrize("command", NEW_COMMANDS)
def test_split_one_byte_at_a_time_with_pauses(command):
    _, sent, _, server = _faulted_run(command, split=1, pause=0.001)
    assert sent == _reply(command)
    writes = server.sessions[0].writes
    assert writes.count(1) >= len(sent)


@pytest.mark.parametrize("command", NEW_COMMANDS)
def test_split_at_chosen_sizes(command):
    _, sent, _, server = _faulted_run(command, split=[2, 3])
    reply = _reply(command)
    assert sent == reply
    first = 1 + _plan(command).index(command)  # the greeting, then one write per reply
    assert server.sessions[0].writes[first : first + 3] == [2, 3, len(reply) - 5]


@pytest.mark.parametrize("command", NEW_COMMANDS)
def test_err_refuses_and_the_command_is_not_carried_out(command):
    _, sent, _, server = _faulted_run(command, err="[SYS/TEMP] not now")
    assert sent == b"-ERR [SYS/TEMP] not now\r\n"
    assert not server.sessions[0].utf8


@pytest.mark.parametrize("command", NEW_COMMANDS)
@pytest.mark.parametrize("cut", [0, 1, 6, 12])
def test_close_after_cuts_the_reply(command, cut):
    _, sent, _, server = _faulted_run(command, close_after=cut)
    assert sent == _reply(command)[:cut]
    assert server.messages == MESSAGES  # no QUIT, nothing deleted


@pytest.mark.parametrize("command", NEW_COMMANDS)
def test_raw_and_status_line_replace_bytes(command):
    _, sent, _, _ = _faulted_run(command, raw=b"+OK raw\r\n")
    assert sent == b"+OK raw\r\n"
    _, sent, _, _ = _faulted_run(command, status_line=b"+OK " + b"s" * 600)
    reply = _reply(command)
    assert sent == b"+OK " + b"s" * 600 + reply[reply.index(b"\r\n") :]


@pytest.mark.parametrize("command", ["CAPA", "LIST", "UIDL", "TOP 2 1"])
def test_lines_garbles_one_line_of_a_listing_or_body(command):
    reply = _reply(command)
    _, sent, _, _ = _faulted_run(command, lines={2: b"2 garbled line"})
    lines = reply.split(b"\r\n")
    lines[2] = b"2 garbled line"
    assert sent == b"\r\n".join(lines)


@pytest.mark.parametrize("command", ["UIDL 2", "UTF8"])
def test_lines_leaves_single_line_replies_alone(command):
    _, sent, _, _ = _faulted_run(command, lines={1: b"garbled"})
    assert sent == _reply(command)


def test_a_fault_in_the_middle_of_a_pipelined_batch():
    commands = [*LOGIN, "LIST", "UIDL", "TOP 1 0", "RETR 2", "NOOP", "QUIT"]
    replies = replay(MESSAGES, commands)
    with Pop3Server(MESSAGES) as server:
        server.fault("UIDL", split=1)
        server.fault("RETR", close_after=10)
        data = run(server.address, commands)
    assert data == b"".join(replies[:6]) + replies[6][:10]


def test_delay_on_a_pipelined_command_keeps_the_order():
    commands = [*LOGIN, "UIDL", "STAT", "QUIT"]
    with Pop3Server(MESSAGES) as server:
        server.fault("UIDL", delay=0.2)
        started = time.monotonic()
        assert run(server.address, commands) == b"".join(replay(MESSAGES, commands))
        assert time.monotonic() - started >= 0.2


# -- CAPA options, UTF8, LOGIN-DELAY, response codes ---------------------------------------------

def test_utf8_is_flagged_on_the_session(raw_client):
    with Pop3Server([PLAIN]) as server:
        client = raw_client(server.address)
        client.line()
        assert client.command("UTF8") == b"+OK UTF8 enabled\r\n"
        assert client.command("USER alice").startswith(b"+OK")
        assert client.command("PASS secret").startswith(b"+OK")
        assert client.command("UTF8") == b"-ERR already logged in\r\n"
        assert server.sessions[0].utf8 and server.sessions[0].protocol.utf8


def test_an_old_server_without_capa(raw_client):
    with Pop3Server([PLAIN], capa=False, max_connections=1) as server:
        client = raw_client(server.address)
        client.line()
        assert client.command("CAPA") == b"-ERR unknown command CAPA\r\n"
        assert client.command("UTF8") == b"-ERR unknown command UTF8\r\n"
        client.command("USER alice")
        assert client.command("PASS wrong") == b"-ERR invalid user name or password\r\n"
        refused = raw_client(server.address)
        assert refused.read_all() == b"-ERR too many connections\r\n"


def test_capabilities_after_login_and_changed_on_a_running_server(raw_client):
    with Pop3Server([PLAIN], capabilities_after_login=["TOP", "UIDL"]) as server:
        client = raw_client(server.address)
        client.login()
        client.command("CAPA")
        assert client.multi() == b"TOP\r\nUIDL\r\n.\r\n"
        client.command("QUIT")
        server.capabilities = ["USER"]
        server.capabilities_after_login = None
        server.login_delay = 3600
        again = raw_client(server.address)
        again.line()
        again.command("CAPA")
        assert again.multi() == b"USER\r\n.\r\n"


def test_login_delay_advertised_and_enforced(raw_client):
    with Pop3Server([PLAIN], login_delay=3600, expire=30) as server:
        first = raw_client(server.address)
        first.line()
        first.command("CAPA")
        caps = first.multi().split(b"\r\n")
        assert b"LOGIN-DELAY 3600" in caps and b"EXPIRE 30" in caps
        first.command("USER alice")
        assert first.command("PASS secret").startswith(b"+OK")
        first.command("QUIT")
        second = raw_client(server.address)
        second.line()
        second.command("USER alice")
        assert second.command("PASS secret") == (
            b"-ERR [LOGIN-DELAY] wait 3600 seconds between logins\r\n")
        server.mailbox().last_login = None
        second.command("USER alice")
        assert second.command("PASS secret").startswith(b"+OK")


def test_bad_policy_options_are_refused_at_construction():
    with pytest.raises(ValueError):
        Pop3Server(login_delay=-5)
    with pytest.raises(ValueError):
        Pop3Server(expire="SOON")


def test_top_on_the_wire_is_dot_stuffed_and_terminated(raw_client):
    message = Message(b"Subject: t\r\n\r\n.one\r\ntwo", "t1")
    with Pop3Server([message]) as server:
        client = raw_client(server.address)
        client.login()
        assert client.command("TOP 1 1") == b"+OK top of message follows\r\n"
        assert client.multi() == b"Subject: t\r\n\r\n..one\r\n.\r\n"
        assert client.command("TOP 1 2").startswith(b"+OK")
        assert client.multi() == dot_stuff(message.data) + b"\r\n.\r\n"
