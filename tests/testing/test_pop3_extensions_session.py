"""The POP3 extensions of the socket-free session: CAPA, UIDL, LIST, TOP, UTF8, response
codes, LOGIN-DELAY and EXPIRE (RFC 1939, 2449, 3206, 6856), and the ``lines`` fault knob."""
from __future__ import annotations

import re
import socket

import pytest

from nxpop3.testing import DEFAULT_CAPABILITIES, Mailbox, Message, Pop3Session, sample_messages
from nxpop3.testing.faults import Effect, Fault, rewrite_lines
from nxpop3.testing.mailstore import valid_uid
from nxpop3.testing.session import State, capability_name, default_capabilities

ONE = b"Subject: one\r\n\r\nfirst\r\n"
TWO = b"Subject: two\r\nX-Two: 2\r\n\r\n.dot\r\nsecond\r\nthird\r\n"
THREE = b"Subject: three\r\n\r\n"
CAPA_OK = b"+OK capability list follows\r\n"


class Clock:
    """A hand-moved clock for LOGIN-DELAY."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def boxes(*messages: bytes | Message) -> dict[str, Mailbox]:
    return {"alice": Mailbox("alice", "secret", messages)}


def session_on(mailboxes: dict[str, Mailbox], **options) -> Pop3Session:
    session = Pop3Session(mailboxes, **options)
    session.greet()
    return session


def login(session: Pop3Session, password: str = "secret") -> bytes:
    assert session.handle("USER alice").startswith(b"+OK")
    return session.handle(f"PASS {password}")


def logged_in(*messages: bytes | Message, **options) -> Pop3Session:
    session = session_on(boxes(*messages), **options)
    assert login(session).startswith(b"+OK")
    return session


def capa_lines(reply: bytes) -> list[bytes]:
    assert reply.startswith(CAPA_OK) and reply.endswith(b"\r\n.\r\n"), reply
    return reply[len(CAPA_OK) : -len(b".\r\n")].split(b"\r\n")[:-1]


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here may open a socket."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the POP3 session opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)


# -- CAPA ---------------------------------------------------------------------------------

def test_default_capa_is_the_same_before_and_after_login():
    session = session_on(boxes(ONE))
    before = session.handle("CAPA")
    assert capa_lines(before) == [c.encode() for c in DEFAULT_CAPABILITIES]
    assert [capability_name(c) for c in DEFAULT_CAPABILITIES] == [
        "TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "UTF8",
        "IMPLEMENTATION",
    ]
    login(session)
    assert session.handle("capa") == before


def test_apop_login_delay_and_expire_are_advertised_when_set():
    session = session_on(boxes(), apop=True, login_delay=900, expire="NEVER")
    lines = capa_lines(session.handle("CAPA"))
    assert lines[0] == b"APOP"
    assert lines[-3:] == [b"LOGIN-DELAY 900", b"EXPIRE NEVER", b"IMPLEMENTATION nxpop3-testing"]
    assert default_capabilities(expire=0)[-2] == "EXPIRE 0"
    assert session.advertises("login-delay") and session.advertises("EXPIRE")


def test_capabilities_before_and_after_login_may_differ():
    session = session_on(
        boxes(ONE),
        capabilities=["USER", "EXPIRE 30 USER", "RESP-CODES"],
        capabilities_after_login=["TOP", "EXPIRE 7"],
    )
    assert session.handle("CAPA") == CAPA_OK + b"USER\r\nEXPIRE 30 USER\r\nRESP-CODES\r\n.\r\n"
    assert session.advertised(State.TRANSACTION) == ["TOP", "EXPIRE 7"]
    login(session)
    assert session.handle("CAPA") == CAPA_OK + b"TOP\r\nEXPIRE 7\r\n.\r\n"
    assert session.advertised(State.AUTHORIZATION) == ["USER", "EXPIRE 30 USER", "RESP-CODES"]


def test_explicit_capabilities_are_verbatim_and_may_be_empty():
    session = session_on(boxes(), capabilities=[], login_delay=5)
    assert session.handle("CAPA") == CAPA_OK + b".\r\n"


def test_a_server_without_capa_answers_err_and_sends_no_response_codes():
    mailboxes = boxes(ONE)
    old = session_on(mailboxes, capa=False)
    assert old.handle("CAPA") == b"-ERR unknown command CAPA\r\n"
    assert old.advertised() == [] and not old.advertises("UTF8")
    assert old.handle("UTF8") == b"-ERR unknown command UTF8\r\n"
    assert login(old, "wrong") == b"-ERR invalid user name or password\r\n"
    assert login(old).startswith(b"+OK")
    assert old.handle("CAPA") == b"-ERR unknown command CAPA\r\n"
    second = session_on(mailboxes, capa=False)
    assert login(second) == b"-ERR maildrop already locked\r\n"
    assert second.refusal("SYS/TEMP", "later") == b"-ERR later\r\n"


@pytest.mark.parametrize(
    ("capabilities", "auth", "in_use"),
    [
        (["RESP-CODES", "AUTH-RESP-CODE"], b"[AUTH] ", b"[IN-USE] "),
        (["RESP-CODES"], b"", b"[IN-USE] "),
        (["AUTH-RESP-CODE"], b"[AUTH] ", b""),
        (["USER"], b"", b""),
    ],
)
def test_response_codes_only_when_advertised(capabilities, auth, in_use):
    mailboxes = boxes(ONE)
    first = session_on(mailboxes, capabilities=capabilities)
    assert login(first, "wrong") == b"-ERR " + auth + b"invalid user name or password\r\n"
    assert login(first).startswith(b"+OK")
    second = session_on(mailboxes, capabilities=capabilities)
    assert login(second) == b"-ERR " + in_use + b"maildrop already locked\r\n"


def test_response_codes_follow_the_capabilities_of_the_present_state():
    session = session_on(boxes(), capabilities=["USER"], capabilities_after_login=["RESP-CODES"])
    assert session.refusal("SYS/PERM", "gone") == b"-ERR gone\r\n"
    login(session)
    assert session.refusal("SYS/PERM", "gone") == b"-ERR [SYS/PERM] gone\r\n"


def test_policy_options_are_checked():
    for bad in ({"login_delay": -1}, {"expire": -1}, {"expire": "SOMETIMES"},
                {"expire": True}, {"login_delay": True}):
        with pytest.raises(ValueError):
            Pop3Session(boxes(), **bad)


# -- LOGIN-DELAY ----------------------------------------------------------------------------

def test_login_delay_refuses_a_login_too_soon_after_the_last():
    clock = Clock()
    mailboxes = boxes(ONE)
    first = session_on(mailboxes, login_delay=60, clock=clock)
    assert login(first).startswith(b"+OK")
    first.handle("QUIT")
    clock.now += 59
    early = session_on(mailboxes, login_delay=60, clock=clock)
    assert login(early) == b"-ERR [LOGIN-DELAY] wait 60 seconds between logins\r\n"
    assert early.state is State.AUTHORIZATION and not mailboxes["alice"].locked
    assert login(early, "wrong").startswith(b"-ERR [AUTH]")  # credentials come first
    clock.now += 1
    assert login(early).startswith(b"+OK")


def test_login_delay_counts_only_successful_logins_and_can_be_reset():
    clock = Clock()
    mailboxes = boxes()
    session = session_on(mailboxes, login_delay=60, clock=clock)
    assert login(session, "wrong").startswith(b"-ERR [AUTH]")
    assert login(session).startswith(b"+OK")  # the failed attempt did not start the delay
    session.handle("QUIT")
    again = session_on(mailboxes, login_delay=60, clock=clock)
    assert login(again).startswith(b"-ERR [LOGIN-DELAY]")
    mailboxes["alice"].last_login = None
    assert login(again).startswith(b"+OK")


def test_login_delay_applies_to_apop():
    clock = Clock()
    mailboxes = boxes()
    stamp = "<1.2@test>"
    from nxpop3.testing import apop_digest

    for expected in (b"+OK", b"-ERR [LOGIN-DELAY]"):
        session = session_on(mailboxes, apop=True, timestamp=stamp, login_delay=9, clock=clock)
        assert session.handle(f"APOP alice {apop_digest(stamp, 'secret')}").startswith(expected)
        session.handle("QUIT")


# -- UTF8 -----------------------------------------------------------------------------------

def test_utf8_only_in_authorization_and_flagged():
    session = session_on(boxes(ONE))
    assert not session.utf8
    assert session.handle("UTF8 now") == b"-ERR UTF8 takes no argument\r\n"
    assert not session.utf8
    assert session.handle("utf8") == b"+OK UTF8 enabled\r\n"
    assert session.utf8
    assert session.handle("UTF8") == b"+OK UTF8 enabled\r\n"  # again: harmless
    login(session)
    assert session.handle("UTF8") == b"-ERR already logged in\r\n"
    assert session.utf8


def test_utf8_refused_when_not_advertised():
    session = session_on(boxes(), capabilities=["USER"])
    assert session.handle("UTF8") == b"-ERR unknown command UTF8\r\n"
    assert not session.utf8


def test_after_utf8_a_utf8_user_name_logs_in():
    session = Pop3Session({"zoë": Mailbox("zoë", "pässword", [ONE])})
    session.greet()
    session.handle("UTF8")
    assert session.handle("USER zoë".encode()).startswith(b"+OK")
    assert session.handle("PASS pässword".encode()).startswith(b"+OK")


# -- UIDL and LIST ----------------------------------------------------------------------------

def test_uidl_and_list_with_and_without_argument():
    session = logged_in(ONE, TWO, THREE)
    uids = [m.uid for m in session.mailbox.entries]
    total = len(ONE) + len(TWO) + len(THREE)
    assert session.handle("UIDL") == (
        b"+OK 3 messages (%d octets)\r\n" % total
        + b"".join(b"%d %s\r\n" % (n, u.encode()) for n, u in enumerate(uids, start=1))
        + b".\r\n"
    )
    assert session.handle("LIST") == (
        b"+OK 3 messages (%d octets)\r\n1 %d\r\n2 %d\r\n3 %d\r\n.\r\n"
        % (total, len(ONE), len(TWO), len(THREE))
    )
    assert session.handle("UIDL 2") == b"+OK 2 %s\r\n" % uids[1].encode()
    assert session.handle("LIST 3") == b"+OK 3 %d\r\n" % len(THREE)
    for command in ("UIDL 4", "LIST 0", "UIDL x", "LIST -1"):
        assert session.handle(command).startswith(b"-ERR"), command


def test_deleted_messages_leave_listings_and_numbers_never_change():
    session = logged_in(ONE, TWO, THREE)
    uids = [m.uid for m in session.mailbox.entries]
    session.handle("DELE 1")
    session.handle("DELE 3")
    assert session.handle("UIDL") == (
        b"+OK 1 messages (%d octets)\r\n2 %s\r\n.\r\n" % (len(TWO), uids[1].encode()))
    assert session.handle("LIST") == b"+OK 1 messages (%d octets)\r\n2 %d\r\n.\r\n" % (
        len(TWO), len(TWO))
    assert session.handle("UIDL 1") == b"-ERR message 1 already deleted\r\n"
    assert session.handle("LIST 3") == b"-ERR message 3 already deleted\r\n"
    assert session.handle("UIDL 2") == b"+OK 2 %s\r\n" % uids[1].encode()
    session.handle("DELE 2")
    assert session.handle("UIDL") == b"+OK 0 messages (0 octets)\r\n.\r\n"
    assert session.handle("LIST") == b"+OK 0 messages (0 octets)\r\n.\r\n"


def test_uids_are_stable_across_sessions_and_follow_their_message():
    mailboxes = boxes(ONE, TWO, THREE)
    first = session_on(mailboxes)
    login(first)
    listing = first.handle("UIDL")
    first.handle("QUIT")
    second = session_on(mailboxes)
    login(second)
    assert second.handle("UIDL") == listing  # the same messages, the same UIDs
    uids = [m.uid for m in second.mailbox.entries]
    second.handle("DELE 1")
    second.handle("QUIT")
    third = session_on(mailboxes)
    login(third)
    assert third.handle("UIDL 1") == b"+OK 1 %s\r\n" % uids[1].encode()  # renumbered, same UID
    mailboxes["alice"].add(ONE)
    assert mailboxes["alice"].entries[-1].uid not in uids  # a new message, a new UID


def test_every_uid_is_legal():
    legal = re.compile(r"[\x21-\x7e]{1,70}")
    box = Mailbox("alice", "secret", [ONE, ONE, b"", b"x" * 100000, *sample_messages()])
    box.add_messages([Message(b"y\r\n", "!" + "~" * 69)])
    uids = [m.uid for m in box.entries]
    assert all(legal.fullmatch(u) for u in uids) and len(set(uids)) == len(uids)
    for bad in ("", "x" * 71, "a b", "caf\u00e9", "tab\t"):
        assert not valid_uid(bad)
        with pytest.raises(ValueError):
            box.add(Message(b"z\r\n", bad))


# -- TOP --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("stored", "lines", "sent"),
    [
        (TWO, 0, b"Subject: two\r\nX-Two: 2\r\n\r\n"),
        (TWO, 1, b"Subject: two\r\nX-Two: 2\r\n\r\n..dot\r\n"),
        (TWO, 2, b"Subject: two\r\nX-Two: 2\r\n\r\n..dot\r\nsecond\r\n"),
        (TWO, 3, TWO.replace(b"\n.", b"\n..")),
        (TWO, 99, TWO.replace(b"\n.", b"\n..")),
        (THREE, 5, THREE),  # an empty body
        (b"Subject: only a header\r\n", 0, b"Subject: only a header\r\n"),  # no empty line
        (b"Subject: x\r\n\r\nno final line end", 0, b"Subject: x\r\n\r\n"),
        (b"Subject: x\r\n\r\nno final line end", 1, b"Subject: x\r\n\r\nno final line end\r\n"),
        (b"Subject: x\r\n\r\na\r\nno final line end", 1, b"Subject: x\r\n\r\na\r\n"),
        (b"Subject: lf\n\none\ntwo\n", 1, b"Subject: lf\n\none\n\r\n"),
        (b"\r\nbody without header\r\nmore\r\n", 1, b"\r\nbody without header\r\n"),
        (b".Subject: dot\r\n\r\n.\r\n", 1, b"..Subject: dot\r\n\r\n..\r\n"),
        (b"", 3, b""),
    ],
)
def test_top_sends_headers_the_empty_line_and_n_body_lines(stored, lines, sent):
    session = logged_in(Message(stored, "m1"))
    reply = session.handle(f"TOP 1 {lines}")
    assert reply == b"+OK top of message follows\r\n" + sent + b".\r\n"


def test_top_is_a_prefix_of_the_message():
    for message in sample_messages():
        for lines in (0, 1, 2, 10, 10000):
            top = message.top(lines)
            assert message.data.startswith(top)
            assert b"\r\n\r\n" in top or top == message.data


def test_top_arguments_and_deleted_messages():
    session = logged_in(ONE, TWO)
    session.handle("DELE 1")
    assert session.handle("TOP 1 0") == b"-ERR message 1 already deleted\r\n"
    for command in ("TOP", "TOP 2", "TOP 2 -1", "TOP 2 x", "TOP 3 0", "TOP 2 1 1"):
        assert session.handle(command).startswith(b"-ERR"), command
    assert session.handle("TOP 2 0").startswith(b"+OK")


# -- the lines knob -------------------------------------------------------------------------

LISTING = b"+OK 3 messages\r\n1 a\r\n2 b\r\n3 c\r\n.\r\n"


def test_rewrite_lines_replaces_removes_and_counts_from_either_end():
    assert rewrite_lines(LISTING, {2: b"2 bad uid"}) == (
        b"+OK 3 messages\r\n1 a\r\n2 bad uid\r\n3 c\r\n.\r\n")
    assert rewrite_lines(LISTING, {-1: "3", 1: None}) == b"+OK 3 messages\r\n2 b\r\n3\r\n.\r\n"
    assert rewrite_lines(LISTING, {2: b"2 bare lf\n"}) == (
        b"+OK 3 messages\r\n1 a\r\n2 bare lf\n3 c\r\n.\r\n")
    assert rewrite_lines(LISTING, {4: b"x", -4: b"y"}) == LISTING  # past the body: unchanged
    assert rewrite_lines(LISTING, {2: b"."}) == b"+OK 3 messages\r\n1 a\r\n.\r\n3 c\r\n.\r\n"


def test_rewrite_lines_with_a_function():
    def reverse_and_add(lines: list[bytes]) -> list[bytes]:
        return [*reversed(lines), b"4 " + b"u" * 71]

    assert rewrite_lines(LISTING, reverse_and_add) == (
        b"+OK 3 messages\r\n3 c\r\n2 b\r\n1 a\r\n4 " + b"u" * 71 + b"\r\n.\r\n")
    assert rewrite_lines(b"+OK\r\n.\r\n", lambda lines: [*lines, b"1 1"]) == (
        b"+OK\r\n1 1\r\n.\r\n")


def test_rewrite_lines_leaves_single_line_and_err_replies_alone():
    for reply in (b"+OK 1 2\r\n", b"-ERR no\r\n", b"-ERR x\r\n.\r\n", b"+OK", b""):
        assert rewrite_lines(reply, {1: b"garbled"}) == reply


def test_lines_knob_is_checked_and_merged_and_runs_before_status_line():
    with pytest.raises(ValueError):
        Fault(command="UIDL", lines={0: b"x"})
    with pytest.raises(ValueError):
        Fault(command="UIDL", lines={"1": b"x"})
    with pytest.raises(TypeError):
        Fault(command="UIDL", lines={1: 5})
    assert Fault(command="LIST", lines={1: "1 x"}).lines == {1: b"1 x"}
    effect = Effect.merge([Fault(command="*", lines={1: b"old"}),
                           Fault(command="LIST", lines={2: b"new"})])
    assert effect.lines == {2: b"new"}
    effect = Effect(lines={1: b"1 z"}, status_line=b"+OK changed")
    assert effect.rewrite(LISTING) == b"+OK changed\r\n1 z\r\n2 b\r\n3 c\r\n.\r\n"
    assert Effect(lines={1: b"z"}, raw=b"raw").rewrite(LISTING) == b"raw"


def test_plain_effect_is_one_that_does_not_touch_the_wire():
    assert Effect().plain and Effect(err="x", raw=b"y", lines={1: b"z"}).plain
    for knobs in ({"split": 1}, {"pause": 0.1}, {"delay": 0.1}, {"close_after": 0},
                  {"reset": True}, {"silent": True}):
        assert not Effect(**knobs).plain
