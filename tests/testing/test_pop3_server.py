"""Pop3Server speaks RFC 1939 correctly: checked with poplib and with raw sockets."""
from __future__ import annotations

import hashlib
import poplib
import re
import socket
import threading
import time

import pytest

from nxpop3.testing import Message, Pop3Server, apop_digest, dot_stuff, sample_messages, to_crlf

PLAIN = b"From: a@example.test\r\nSubject: one\r\n\r\nHello\r\n"
DOTS = b"Subject: dots\n\n.starts with a dot\n..two\n.\nlast line"


def server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pop3-")]


# -- life cycle ------------------------------------------------------------------------------

def test_starts_on_an_ephemeral_loopback_port():
    # Start-up time is measured by benchmarks/startup.py, not asserted here.
    with Pop3Server([PLAIN]) as server:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert server.address == ("127.0.0.1", server.port)
        assert server.running


def test_close_stops_every_thread_even_with_clients_connected(raw_client):
    server = Pop3Server([PLAIN]).start()
    clients = [raw_client(server.address) for _ in range(3)]
    for client in clients:
        assert client.line().startswith(b"+OK")
    server.fault("*", silent=True)
    clients[0].send(b"NOOP\r\n")
    server.close()  # bounded: it joins each thread for at most a few seconds
    assert not server.running
    assert server_threads() == []
    assert server.errors == []
    server.close()  # idempotent


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = Pop3Server([PLAIN], host="::1").start()
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback: {exc}")
    with server:
        client = poplib.POP3(server.host, server.port, timeout=5)
        client.user("alice")
        client.pass_("secret")
        assert client.stat() == (1, len(PLAIN))
        client.quit()
        assert server.address == ("::1", server.port)


def test_several_servers_at_once_are_independent():
    with Pop3Server([PLAIN]) as one, Pop3Server([PLAIN, PLAIN], user="bob") as two:
        assert one.port != two.port
        first = poplib.POP3(*one.address, timeout=5)
        first.user("alice")
        first.pass_("secret")
        second = poplib.POP3(*two.address, timeout=5)
        second.user("bob")
        second.pass_("secret")
        assert first.stat()[0] == 1
        assert second.stat()[0] == 2
        first.quit()
        second.quit()
        assert one.commands == ["USER alice", "PASS secret", "STAT", "QUIT"]
        assert two.commands == ["USER bob", "PASS secret", "STAT", "QUIT"]


def test_concurrent_clients_on_separate_mailboxes_are_thread_safe():
    users = {f"user{i}": (f"pw{i}", [f"Subject: {i}\r\n\r\nbody {i}\r\n".encode()] * 5)
             for i in range(8)}
    with Pop3Server(mailboxes=users) as server:
        failures: list[BaseException] = []

        def fetch(user: str, password: str) -> None:
            try:
                client = poplib.POP3(*server.address, timeout=5)
                client.user(user)
                client.pass_(password)
                for n in range(1, 6):
                    client.retr(n)
                    client.dele(n)
                client.quit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=fetch, args=(u, p)) for u, (p, _) in users.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert failures == []
        assert all(len(server.mailbox(u)) == 0 for u in users)
        assert len(server.mailbox("alice")) == 0
        assert server.errors == []


# -- messages ----------------------------------------------------------------------------------

def test_messages_are_stored_with_crlf_line_ends():
    with Pop3Server([b"Subject: x\n\nbare LF\nlast", "text\r\nmixed\n"]) as server:
        assert server.messages == [
            b"Subject: x\r\n\r\nbare LF\r\nlast\r\n",
            b"text\r\nmixed\r\n",
        ]
    assert to_crlf(b"") == b""


def test_a_message_object_is_served_verbatim():
    with Pop3Server([Message(b"odd\nline ends", "odd-1")]) as server:
        client = poplib.POP3(*server.address, timeout=5)
        client.user("alice")
        client.pass_("secret")
        assert client.list(1) == b"+OK 1 13"
        assert client.uidl(1) == b"+OK 1 odd-1"
        client.quit()


def test_messages_from_an_eml_folder_and_a_maildir(tmp_path):
    import mailbox

    folder = tmp_path / "eml"
    folder.mkdir()
    (folder / "b.eml").write_bytes(b"Subject: b\n\nB\n")
    (folder / "a.eml").write_bytes(b"Subject: a\n\nA\n")
    (folder / "notes.txt").write_bytes(b"not a message")
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(b"Subject: m\n\nM\n")
    with Pop3Server(folder) as server:
        assert server.messages == [b"Subject: a\r\n\r\nA\r\n", b"Subject: b\r\n\r\nB\r\n"]
        assert [m.uid for m in server.mailbox().entries] == ["a", "b"]
    with Pop3Server(str(tmp_path / "Maildir")) as server:
        assert server.messages == [b"Subject: m\r\n\r\nM\r\n"]


def test_bundled_sample_maildrop_has_the_promised_variety():
    messages = [m.data for m in sample_messages()]
    assert len(messages) >= 5
    assert any(b"multipart/mixed" in m for m in messages)
    assert any(b"\r\n.\r\n" in m and b"\r\n.hidden" in m for m in messages)
    assert any(max(len(line) for line in m.split(b"\r\n")) > 10000 for m in messages)
    assert any(b"=?UTF-8?" in m.split(b"\r\n\r\n")[0] for m in messages)
    assert all(m.endswith(b"\r\n") and b"\n" not in m.replace(b"\r\n", b"") for m in messages)


# -- RFC 1939 ----------------------------------------------------------------------------------

def test_greeting_and_user_pass_login(raw_client):
    with Pop3Server([PLAIN]) as server:
        client = raw_client(server.address)
        assert client.line() == b"+OK nxpop3 test server ready\r\n"
        assert client.command("USER alice").startswith(b"+OK")
        assert client.command("PASS secret") == b"+OK maildrop has 1 messages (%d octets)\r\n" % (
            len(PLAIN)
        )


def test_wrong_password_answers_auth_response_code(raw_client):
    with Pop3Server([PLAIN]) as server:
        client = raw_client(server.address)
        client.line()
        client.command("USER alice")
        assert client.command("PASS wrong").startswith(b"-ERR [AUTH] ")
        assert client.command("PASS secret").startswith(b"-ERR")  # USER must come again
        assert client.command("STAT").startswith(b"-ERR")


def test_apop_greeting_timestamp_and_digest(raw_client):
    with Pop3Server([PLAIN], apop=True) as server:
        client = raw_client(server.address)
        greeting = client.line()
        match = re.search(rb"<(\d+)\.(\d+)@([^>]+)>", greeting)
        assert match, greeting
        timestamp = match.group(0).decode()
        digest = hashlib.md5((timestamp + "secret").encode()).hexdigest()
        assert client.command(f"APOP alice {digest.upper()}").startswith(b"-ERR [AUTH]")
        assert client.command(f"APOP alice {digest}").startswith(b"+OK")


def test_apop_rfc_vector_with_a_fixed_timestamp():
    stamp = "<1896.697170952@dbc.mtview.ca.us>"
    assert apop_digest(stamp, "tanstaaf") == "c4c9334bac560ecc979e58001b3e22fb"
    with Pop3Server([PLAIN], password="tanstaaf", apop=True, timestamp=stamp) as server:
        client = poplib.POP3(*server.address, timeout=5)
        assert client.getwelcome().endswith(stamp.encode())
        client.apop("alice", "tanstaaf")
        client.quit()
        assert server.commands[0] == "APOP alice c4c9334bac560ecc979e58001b3e22fb"


def test_apop_is_refused_when_not_offered(raw_client):
    with Pop3Server([PLAIN]) as server:
        client = raw_client(server.address)
        assert b"<" not in client.line()
        assert client.command("APOP alice 0123456789abcdef0123456789abcdef").startswith(b"-ERR")


def test_stat_list_uidl_report_exact_octets():
    messages = [PLAIN, DOTS, b"x" * 5000]
    with Pop3Server(messages) as server:
        stored = server.messages
        client = poplib.POP3(*server.address, timeout=5)
        client.user("alice")
        client.pass_("secret")
        assert client.stat() == (3, sum(map(len, stored)))
        _, lines, _ = client.list()
        assert lines == [b"%d %d" % (i + 1, len(m)) for i, m in enumerate(stored)]
        assert client.list(2) == b"+OK 2 %d" % len(stored[1])
        uids = client.uidl()[1]
        assert len(set(uids)) == 3
        assert all(re.fullmatch(rb"\d \S{1,70}", u) for u in uids)
        assert client.uidl(3).split()[-1] == uids[2].split()[-1]
        with pytest.raises(poplib.error_proto):
            client.list(4)
        client.quit()


def test_empty_maildrop_is_plus_ok_0_0(raw_client):
    with Pop3Server() as server:
        client = raw_client(server.address)
        client.login()
        assert client.command("STAT") == b"+OK 0 0\r\n"
        assert client.command("LIST").startswith(b"+OK")
        assert client.multi() == b".\r\n"


def test_retr_dot_stuffs_and_terminates_on_the_wire(raw_client):
    with Pop3Server([DOTS]) as server:
        stored = server.messages[0]
        client = raw_client(server.address)
        client.login()
        assert client.command("RETR 1") == b"+OK %d octets\r\n" % len(stored)
        body = client.multi()
        assert body == dot_stuff(stored) + b".\r\n"
        assert b"\r\n..starts with a dot\r\n...two\r\n..\r\nlast line\r\n.\r\n" in body


def test_retr_round_trips_every_sample_message_through_poplib(monkeypatch):
    monkeypatch.setattr(poplib, "_MAXLINE", 1 << 20)  # the default is below our long lines
    with Pop3Server(sample_messages()) as server:
        client = poplib.POP3(*server.address, timeout=5)
        client.user("alice")
        client.pass_("secret")
        for number, stored in enumerate(server.messages, start=1):
            _, lines, _ = client.retr(number)
            assert b"\r\n".join(lines) + b"\r\n" == stored
        client.quit()


def test_top_sends_headers_blank_line_and_n_body_lines(raw_client):
    message = b"Subject: t\r\nX: y\r\n\r\none\r\n.two\r\nthree\r\n"
    with Pop3Server([message]) as server:
        client = raw_client(server.address)
        client.login()
        assert client.command("TOP 1 0").startswith(b"+OK")
        assert client.multi() == b"Subject: t\r\nX: y\r\n\r\n.\r\n"
        assert client.command("TOP 1 2").startswith(b"+OK")
        assert client.multi() == b"Subject: t\r\nX: y\r\n\r\none\r\n..two\r\n.\r\n"
        assert client.command("TOP 1 99").startswith(b"+OK")
        assert client.multi() == dot_stuff(message) + b".\r\n"
        assert client.command("TOP 1").startswith(b"-ERR")


def test_dele_takes_effect_only_at_quit():
    with Pop3Server([PLAIN, DOTS, b"three"]) as server:
        client = poplib.POP3(*server.address, timeout=5)
        client.user("alice")
        client.pass_("secret")
        client.dele(2)
        assert len(server.messages) == 3
        assert client.stat()[0] == 2
        with pytest.raises(poplib.error_proto):
            client.retr(2)
        with pytest.raises(poplib.error_proto):
            client.dele(2)
        client.quit()
        assert server.messages == [PLAIN, b"three\r\n"]


def test_dele_without_quit_deletes_nothing(raw_client):
    with Pop3Server([PLAIN, DOTS]) as server:
        client = raw_client(server.address)
        client.login()
        assert client.command("DELE 1").startswith(b"+OK")
        client.close()
        assert server.wait_idle(5)
        assert len(server.messages) == 2
        assert not server.mailbox().locked


def test_rset_undeletes(raw_client):
    with Pop3Server([PLAIN, DOTS]) as server:
        client = raw_client(server.address)
        client.login()
        client.command("DELE 1")
        client.command("DELE 2")
        assert client.command("STAT").startswith(b"+OK 0 0")
        assert client.command("RSET").startswith(b"+OK")
        assert client.command("STAT").startswith(b"+OK 2 ")
        assert client.command("QUIT").startswith(b"+OK")
        assert len(server.messages) == 2


def test_a_second_session_gets_in_use(raw_client):
    with Pop3Server([PLAIN]) as server:
        first = raw_client(server.address)
        first.login()
        second = raw_client(server.address)
        second.line()
        second.command("USER alice")
        assert second.command("PASS secret").startswith(b"-ERR [IN-USE]")
        first.command("QUIT")
        assert first.read_all() == b""
        second.command("USER alice")
        assert second.command("PASS secret").startswith(b"+OK")


def test_noop_capa_unknown_and_wrong_state_commands(raw_client):
    with Pop3Server([PLAIN], apop=True) as server:
        client = raw_client(server.address)
        client.line()
        assert client.command("NOOP").startswith(b"-ERR")
        assert client.command("RETR 1").startswith(b"-ERR")
        assert client.command("CAPA") == b"+OK capability list follows\r\n"
        caps = client.multi().split(b"\r\n")
        assert b"APOP" in caps and b"UIDL" in caps and b"TOP" in caps
        assert client.command("XYZZY").startswith(b"-ERR")
        client.command("USER alice")
        client.command("PASS secret")
        assert client.command("noop") == b"+OK\r\n"  # keywords are case-insensitive
        assert client.command("USER alice").startswith(b"-ERR")
        assert client.command("RETR x").startswith(b"-ERR")
        assert client.command("RETR 0").startswith(b"-ERR")
        assert client.command("CAPA").startswith(b"+OK")
        client.multi()
        assert client.command("QUIT").startswith(b"+OK")
        assert client.read_all() == b""


def test_capabilities_can_be_replaced(raw_client):
    with Pop3Server(capabilities=["USER", "X-TEST 1"]) as server:
        client = raw_client(server.address)
        client.line()
        client.command("CAPA")
        assert client.multi() == b"USER\r\nX-TEST 1\r\n.\r\n"


def test_pipelined_commands_are_answered_in_order(raw_client):
    with Pop3Server([PLAIN, DOTS]) as server:
        client = raw_client(server.address)
        client.line()
        client.send(b"USER alice\r\nPASS secret\r\nSTAT\r\nLIST 2\r\nNOOP\r\n")
        replies = [client.line() for _ in range(5)]
        assert [r[:3] for r in replies] == [b"+OK"] * 5
        assert replies[2].startswith(b"+OK 2 ")
        assert replies[3].startswith(b"+OK 2 ")


def test_an_idle_connection_is_dropped_after_the_timeout(raw_client):
    with Pop3Server(timeout=0.3) as server:
        client = raw_client(server.address)
        started = time.monotonic()
        assert client.read_all().startswith(b"+OK")
        assert time.monotonic() - started > 0.25  # dropped by the timeout, not at once
        assert server.wait_idle(2)


def test_connections_over_the_limit_get_sys_temp(raw_client):
    with Pop3Server(max_connections=2) as server:
        first, second = raw_client(server.address), raw_client(server.address)
        first.line()
        second.line()
        third = raw_client(server.address)
        assert third.read_all() == b"-ERR [SYS/TEMP] too many connections\r\n"


def test_odd_arguments_get_err_not_a_crash(raw_client):
    with Pop3Server([PLAIN]) as server:
        client = raw_client(server.address)
        client.login()
        for command in ("TOP 1 \u00b2", "RETR \u00b2", "LIST 99999999999999999999", "DELE",
                        "UIDL -1", "TOP x 1", "RETR"):
            assert client.command(command).startswith(b"-ERR"), command
        client.send(b"NOOP \xff\xfe\r\n")
        assert client.line() == b"+OK\r\n"
        assert server.commands[-1] == b"NOOP \xff\xfe".decode("utf-8", "surrogateescape")
    assert server.errors == []


def test_an_overlong_command_line_is_refused_and_closed(raw_client):
    with Pop3Server() as server:
        client = raw_client(server.address)
        client.line()
        client.send(b"X" * 10000)
        assert client.read_all().startswith(b"-ERR")


# -- transcript ------------------------------------------------------------------------------------

def test_commands_are_recorded_verbatim_with_passwords(raw_client):
    with Pop3Server([PLAIN]) as server:
        client = raw_client(server.address)
        client.line()
        client.send(b"USER alice\r\nPASS secret\r\nLIST 1\nQUIT\r\n")
        client.read_all()
        assert server.commands == ["USER alice", "PASS secret", "LIST 1", "QUIT"]
        session = server.sessions[0]
        assert session.commands == server.commands
        assert bytes(session.received) == b"USER alice\r\nPASS secret\r\nLIST 1\nQUIT\r\n"
        assert bytes(session.sent).startswith(b"+OK nxpop3 test server ready\r\n")


# -- faults ------------------------------------------------------------------------------------

def test_split_sends_chosen_segments_separately(raw_client):
    with Pop3Server([PLAIN]) as server:
        server.fault("STAT", split=[1, 1, 5], pause=0.2)
        client = raw_client(server.address)
        client.login()
        reply = b"+OK 1 %d\r\n" % len(PLAIN)
        client.send(b"STAT\r\n")
        chunks = []
        deadline = time.monotonic() + 5
        while sum(map(len, chunks)) < len(reply):
            assert time.monotonic() < deadline
            chunks.append(client.sock.recv(100))
        assert b"".join(chunks) == reply
        assert len(chunks) >= 2  # the pauses kept the reads apart (exactly 4 unless loaded)
        assert server.sessions[0].writes[-4:] == [1, 1, 5, len(reply) - 7]


def test_split_one_sends_a_byte_at_a_time(raw_client):
    with Pop3Server([DOTS]) as server:
        fault = server.fault("RETR", split=1)
        client = raw_client(server.address)
        client.login()
        client.command("RETR 1")
        assert client.multi() == dot_stuff(server.messages[0]) + b".\r\n"
        assert fault.hits == 1
        session = server.sessions[0]
        reply_size = len(b"+OK  octets\r\n.\r\n") + len(str(len(server.messages[0])))
        reply_size += len(dot_stuff(server.messages[0]))
        assert session.writes[-reply_size:] == [1] * reply_size
        assert session.sent.endswith(b".\r\n")


def test_delay_holds_the_reply(raw_client):
    with Pop3Server([PLAIN]) as server:
        server.fault("NOOP", delay=0.3)
        client = raw_client(server.address)
        client.login()
        started = time.perf_counter()
        assert client.command("NOOP") == b"+OK\r\n"
        assert time.perf_counter() - started >= 0.3


def test_star_fault_applies_to_the_greeting_too(raw_client):
    with Pop3Server() as server:
        server.fault("*", delay=0.2)
        started = time.perf_counter()
        client = raw_client(server.address)
        client.line()
        assert time.perf_counter() - started >= 0.2


def test_err_with_response_code_and_the_command_is_not_carried_out(raw_client):
    with Pop3Server([PLAIN]) as server:
        server.fault("PASS", err="[IN-USE] busy", once=True)
        server.fault("DELE", err="")
        client = raw_client(server.address)
        client.line()
        client.command("USER alice")
        assert client.command("PASS secret") == b"-ERR [IN-USE] busy\r\n"
        client.command("USER alice")
        assert client.command("PASS secret").startswith(b"+OK")
        assert client.command("DELE 1") == b"-ERR\r\n"
        client.command("QUIT")
        assert server.messages == [PLAIN]


def test_err_on_quit_keeps_the_messages_and_closes(raw_client):
    with Pop3Server([PLAIN]) as server:
        server.fault("QUIT", err="[SYS/TEMP] cannot update")
        client = raw_client(server.address)
        client.login()
        client.command("DELE 1")
        assert client.command("QUIT").startswith(b"-ERR [SYS/TEMP]")
        assert client.read_all() == b""
        assert server.wait_idle(5)
        assert server.messages == [PLAIN]


def test_err_greeting_closes_before_any_command(raw_client):
    with Pop3Server() as server:
        server.fault("GREETING", err="[SYS/PERM] go away")
        client = raw_client(server.address)
        assert client.read_all() == b"-ERR [SYS/PERM] go away\r\n"


def test_close_after_n_bytes_of_a_reply(raw_client):
    message = b"x" * 1000
    with Pop3Server([message]) as server:
        server.fault("RETR", close_after=100)
        client = raw_client(server.address)
        client.login()
        client.send(b"RETR 1\r\n")
        data = client.read_all()
        assert len(data) == 100
        assert data.startswith(b"+OK 1002 octets\r\nxxx")


def test_close_after_with_reset_sends_rst(raw_client):
    with Pop3Server([PLAIN]) as server:
        server.fault("STAT", close_after=0, reset=True)
        client = raw_client(server.address)
        client.login()
        client.send(b"STAT\r\n")
        with pytest.raises(ConnectionResetError):
            client.read_all()


def test_silent_reads_commands_and_never_answers(raw_client):
    with Pop3Server([PLAIN]) as server:
        server.fault("STAT", silent=True)
        client = raw_client(server.address)
        client.login()
        client.sock.settimeout(0.3)
        client.send(b"STAT\r\nNOOP\r\n")
        with pytest.raises(socket.timeout):
            client.line()
        deadline = time.monotonic() + 2
        while server.commands[-1:] != ["NOOP"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.commands[-2:] == ["STAT", "NOOP"]


def test_status_line_of_any_length_keeps_the_body(raw_client):
    with Pop3Server([PLAIN]) as server:
        long_status = b"+OK " + b"s" * 5000
        server.fault("RETR", status_line=long_status)
        client = raw_client(server.address)
        client.login()
        assert client.command("RETR 1") == long_status + b"\r\n"
        assert client.multi() == PLAIN + b".\r\n"


def test_raw_replaces_the_reply_bytes(raw_client):
    with Pop3Server([PLAIN, PLAIN]) as server:
        server.fault("STAT", raw=b"+OK 1\r\n")
        client = raw_client(server.address)
        client.login()
        assert client.command("STAT") == b"+OK 1\r\n"
        assert client.command("LIST 2").startswith(b"+OK 2")


def test_times_once_skip_hits_and_remove(raw_client):
    with Pop3Server() as server:
        twice = server.fault("NOOP", err="first two", times=2, skip=1)
        client = raw_client(server.address)
        client.login()
        assert client.command("NOOP") == b"+OK\r\n"  # skipped
        assert client.command("NOOP") == b"-ERR first two\r\n"
        assert client.command("NOOP") == b"-ERR first two\r\n"
        assert client.command("NOOP") == b"+OK\r\n"
        assert twice.hits == 2 and not twice.active
        always = server.fault("NOOP", err="always")
        assert client.command("NOOP") == b"-ERR always\r\n"
        assert client.command("NOOP") == b"-ERR always\r\n"
        always.remove()
        assert client.command("NOOP") == b"+OK\r\n"
        assert server.faults == [twice]
        server.clear_faults()
        assert server.faults == []


def test_fault_with_arguments_matches_only_that_message(raw_client):
    with Pop3Server([PLAIN, PLAIN]) as server:
        server.fault("RETR 2", err="[SYS/TEMP] later")
        client = raw_client(server.address)
        client.login()
        assert client.command("RETR 1").startswith(b"+OK")
        client.multi()
        assert client.command("RETR 2") == b"-ERR [SYS/TEMP] later\r\n"


def test_later_faults_override_knobs_of_earlier_ones(raw_client):
    with Pop3Server() as server:
        server.fault("*", delay=0.2)
        server.fault("NOOP", err="overridden")
        server.fault("NOOP", err="latest")
        client = raw_client(server.address)
        client.login()
        started = time.perf_counter()
        assert client.command("NOOP") == b"-ERR latest\r\n"
        assert time.perf_counter() - started >= 0.2


def test_bad_fault_arguments_are_refused():
    server = Pop3Server()
    with pytest.raises(ValueError):
        server.fault("RETR", split=[0])
    with pytest.raises(ValueError):
        server.fault("RETR", close_after=-1)
