"""The socket-free POP3 session and the fault description, without any socket."""
from __future__ import annotations

import socket
import subprocess
import sys
import warnings

import pytest

from nxpop3.testing import Mailbox, Pop3Session, apop_digest
from nxpop3.testing.faults import Effect, Fault, FaultList
from nxpop3.testing.session import IN_TRANSACTION, Command, State, parse_command

ONE = b"Subject: one\r\n\r\nfirst\r\n"
TWO = b"Subject: two\r\n\r\n.dot\r\nsecond\r\n"


def new_session(*messages: bytes, **options) -> Pop3Session:
    return Pop3Session({"alice": Mailbox("alice", "secret", messages)}, **options)


def logged_in(*messages: bytes) -> Pop3Session:
    session = new_session(*messages)
    session.greet()
    assert session.handle("USER alice").startswith(b"+OK")
    assert session.handle(b"PASS secret\r\n").startswith(b"+OK")
    return session


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here may open a socket."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the POP3 session opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)


# -- the session --------------------------------------------------------------------------

def test_login_with_user_and_pass():
    session = new_session(ONE, TWO)
    assert session.greet() == b"+OK nxpop3 test server ready\r\n"
    assert session.state is State.AUTHORIZATION and not session.logged_in
    assert session.handle("USER alice") == b"+OK send the password for alice\r\n"
    reply = session.handle("PASS secret")
    assert reply == b"+OK maildrop has 2 messages (%d octets)\r\n" % (len(ONE) + len(TWO))
    assert session.state is State.TRANSACTION
    assert session.user == "alice" and session.mailbox is not None and session.mailbox.locked


def test_wrong_password_and_pass_without_user():
    session = new_session()
    assert session.handle("PASS secret") == b"-ERR send USER first\r\n"
    session.handle("USER alice")
    assert session.handle("PASS wrong") == b"-ERR [AUTH] invalid user name or password\r\n"
    session.handle("USER nobody")
    assert session.handle("PASS secret") == b"-ERR [AUTH] invalid user name or password\r\n"
    assert session.state is State.AUTHORIZATION


def test_apop_uses_the_greeting_timestamp():
    stamp = "<1896.697170952@dbc.mtview.ca.us>"
    session = new_session(ONE, apop=True, timestamp=stamp)
    assert session.greet() == f"+OK nxpop3 test server ready {stamp}\r\n".encode()
    assert session.timestamp == stamp
    assert session.handle("APOP alice 0123") == b"-ERR [AUTH] invalid user name or digest\r\n"
    assert session.handle(f"APOP alice {apop_digest(stamp, 'secret')}").startswith(b"+OK")
    assert session.state is State.TRANSACTION


def test_apop_refused_when_off():
    session = new_session()
    session.greet()
    assert session.handle("APOP alice x") == b"-ERR APOP not available\r\n"


def test_stat_after_dele_and_rset():
    session = logged_in(ONE, TWO)
    assert session.handle("STAT") == b"+OK 2 %d\r\n" % (len(ONE) + len(TWO))
    assert session.handle("DELE 1") == b"+OK message 1 deleted\r\n"
    assert session.handle("STAT") == b"+OK 1 %d\r\n" % len(TWO)
    assert session.handle("DELE 1") == b"-ERR message 1 already deleted\r\n"
    assert session.handle("RETR 1") == b"-ERR message 1 already deleted\r\n"
    assert session.handle("RSET") == b"+OK maildrop has 2 messages (%d octets)\r\n" % (
        len(ONE) + len(TWO))
    assert session.handle("STAT") == b"+OK 2 %d\r\n" % (len(ONE) + len(TWO))


def test_retr_list_uidl_top_are_dot_stuffed_multi_line_replies():
    session = logged_in(ONE, TWO)
    assert session.handle("RETR 2") == (
        b"+OK %d octets\r\nSubject: two\r\n\r\n..dot\r\nsecond\r\n.\r\n" % len(TWO))
    assert session.handle("LIST") == b"+OK 2 messages (%d octets)\r\n1 %d\r\n2 %d\r\n.\r\n" % (
        len(ONE) + len(TWO), len(ONE), len(TWO))
    assert session.handle("LIST 2") == b"+OK 2 %d\r\n" % len(TWO)
    uids = [m.uid for m in session.mailbox.entries]
    assert session.handle("UIDL 1") == f"+OK 1 {uids[0]}\r\n".encode()
    assert session.handle("TOP 2 0") == b"+OK top of message follows\r\nSubject: two\r\n\r\n.\r\n"
    assert session.handle("TOP 2") == b"-ERR usage: TOP msg n\r\n"
    assert session.handle("RETR 3") == b"-ERR no such message 3\r\n"
    assert session.handle("RETR x") == b"-ERR invalid message number 'x'\r\n"


def test_unknown_command_and_commands_in_the_wrong_state():
    session = new_session(ONE)
    assert session.handle("XYZZY") == b"-ERR unknown command XYZZY\r\n"
    assert session.handle("STAT") == b"-ERR not logged in\r\n"
    session.handle("USER alice")
    session.handle("PASS secret")
    assert session.handle("USER alice") == b"-ERR already logged in\r\n"
    assert session.handle("xyzzy 1") == b"-ERR unknown command XYZZY\r\n"
    assert session.handle("noop") == b"+OK\r\n"  # keywords are case-insensitive


def test_capa_in_both_states():
    session = new_session(apop=True)
    session.greet()
    reply = session.handle("CAPA")
    assert reply.startswith(b"+OK capability list follows\r\nAPOP\r\nTOP\r\n")
    assert reply.endswith(b"IMPLEMENTATION nxpop3-testing\r\n.\r\n")
    fixed = new_session(capabilities=["USER"])
    assert fixed.handle("CAPA") == b"+OK capability list follows\r\nUSER\r\n.\r\n"


def test_quit_applies_deletions_and_ends_the_session():
    session = logged_in(ONE, TWO)
    box = session.mailbox
    session.handle("DELE 1")
    assert box.messages == [ONE, TWO]  # only at QUIT
    reply = session.handle("QUIT")
    assert reply == b"+OK nxpop3 test server signing off (1 messages left)\r\n"
    assert session.ended and session.state is State.UPDATE
    assert box.messages == [TWO] and not box.locked
    with pytest.raises(RuntimeError):
        session.handle("NOOP")


def test_quit_before_login():
    session = new_session()
    assert session.handle("QUIT") == b"+OK nxpop3 test server signing off\r\n"
    assert session.ended


def test_close_without_quit_deletes_nothing_and_unlocks():
    session = logged_in(ONE)
    box = session.mailbox
    session.handle("DELE 1")
    session.close()
    assert box.messages == [ONE] and not box.locked


def test_a_second_session_finds_the_maildrop_in_use():
    boxes = {"alice": Mailbox("alice", "secret", [ONE])}
    first, second = Pop3Session(boxes), Pop3Session(boxes)
    first.handle("USER alice")
    assert first.handle("PASS secret").startswith(b"+OK")
    second.handle("USER alice")
    assert second.handle("PASS secret") == b"-ERR [IN-USE] maildrop already locked\r\n"
    first.handle("QUIT")
    second.handle("USER alice")
    assert second.handle("PASS secret").startswith(b"+OK")


def test_parse_command():
    assert parse_command("retr 1\r\n") == ("RETR", "1")
    assert parse_command(b"USER al ice\n") == ("USER", "al ice")
    assert parse_command(b"\xff") == ("\udcff", "")


def test_a_command_is_one_table_row_and_one_method():
    class WithLast(Pop3Session):
        COMMANDS = {**Pop3Session.COMMANDS, "LAST": Command("_last", IN_TRANSACTION)}

        def _last(self, args: str) -> bytes:
            return b"+OK 0\r\n"

    session = WithLast({"alice": Mailbox("alice", "secret")})
    assert session.handle("LAST") == b"-ERR not logged in\r\n"
    session.handle("USER alice")
    session.handle("PASS secret")
    assert session.handle("LAST") == b"+OK 0\r\n"


# -- faults -------------------------------------------------------------------------------

def test_faults_merge_latest_knob_wins():
    faults = FaultList()
    faults.add(Fault(command="*", delay=0.1, split=2))
    faults.add(Fault(command="RETR", split=1, reset=True))
    effect = faults.take("RETR", "1")
    assert (effect.delay, effect.split, effect.reset) == (0.1, 1, True)
    assert faults.take("STAT", "") == Effect(delay=0.1, split=2)


def test_fault_times_skip_and_remove():
    faults = FaultList()
    once = faults.add(Fault(command="RETR 2", err="busy", times=1, skip=1))
    assert faults.take("RETR", "2").err is None  # skipped
    assert faults.take("RETR", "1").err is None  # other arguments
    assert faults.take("RETR", "2").err == "busy"
    assert once.hits == 1 and not once.active
    assert faults.take("RETR", "2").err is None
    other = faults.add(Fault(command="NOOP", silent=True))
    other.remove()
    assert not other.active and list(faults) == [once]


def test_fault_knobs_are_checked_and_normalised():
    with pytest.raises(ValueError):
        Fault(command="*", split=[])
    with pytest.raises(ValueError):
        Fault(command="*", close_after=-1)
    fault = Fault(command="*", split=[1, 2], status_line="+OK", raw=bytearray(b"x"))
    assert fault.split == (1, 2) and fault.status_line == b"+OK" and fault.raw == b"x"


def test_effect_rewrites_and_segments():
    assert Effect(err="").refusal() == b"-ERR\r\n"
    assert Effect(err="[IN-USE] busy").refusal() == b"-ERR [IN-USE] busy\r\n"
    assert Effect(status_line=b"+OKAY").rewrite(b"+OK 1\r\nbody\r\n") == b"+OKAY\r\nbody\r\n"
    assert Effect(raw=b"x").rewrite(b"+OK\r\n") == b"x"
    assert list(Effect(split=(1, 2)).segments(b"abcdef")) == [b"a", b"bc", b"def"]
    assert list(Effect(split=4).segments(b"abcdef")) == [b"abcd", b"ef"]
    assert list(Effect().segments(b"abc")) == [b"abc"]


# -- the old import path ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("Fault", "nxpop3.testing.faults"),
        ("DEFAULT_CAPABILITIES", "nxpop3.testing.session"),
        ("apop_digest", "nxpop3.testing.session"),
        ("dot_stuff", "nxpop3.testing.session"),
        ("CRLF", "nxpop3.testing.session"),
    ],
)
def test_moved_names_still_import_from_server_with_a_warning(name: str, home: str):
    import importlib

    import nxpop3.testing.server as server

    with pytest.warns(DeprecationWarning, match=f"{name} moved to {home}"):
        old = getattr(server, name)
    assert old is getattr(importlib.import_module(home), name)


def test_from_import_of_a_moved_name_warns():
    with pytest.warns(DeprecationWarning):
        from nxpop3.testing.server import Fault as OldFault
    assert OldFault is Fault


def test_names_that_stay_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from nxpop3.testing.server import MAX_COMMAND_LINE, Pop3Server, Session  # noqa: F401
    import nxpop3.testing.server as server

    with pytest.raises(AttributeError):
        server.no_such_name  # noqa: B018


def test_each_testing_module_imports_first_in_a_fresh_interpreter():
    """No import cycle: every module can be the first one imported."""
    for module in ("faults", "session", "mailstore", "server", "plugin", "dovecot"):
        subprocess.run(
            [sys.executable, "-W", "error", "-c", f"import nxpop3.testing.{module}"],
            check=True, timeout=60,
        )
