"""nxpop3.poplib beside Python's poplib: the same script run by both clients against
the same server in one test, every return value and every exception compared
(the response lines as bytes, the (response, lines, octets) tuples, error_proto's
arguments, the OSError of a connect). Where the facade differs on purpose
(docs/poplib.md), the test shows both behaviours side by side."""
from __future__ import annotations

import inspect
import poplib as std
import re
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nxpop3 import poplib as ours
from nxpop3.testing.mailstore import Message
from nxpop3.testing.server import Pop3Server

MESSAGES = [
    b"Subject: one\r\n\r\nhello\r\n",
    b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n",
    b"Subject: utf-8 \xc3\xa9\r\n\r\n" + b"line of text\r\n" * 500,
]
MODULES = (std, ours)


def outcome(step: Callable[[], Any]) -> tuple[str, Any]:
    """What a step did: ("ok", value), ("error_proto", args) or (OSError class, args)."""
    try:
        return "ok", step()
    except (std.error_proto, ours.error_proto) as exc:
        return "error_proto", exc.args
    except OSError as exc:
        return type(exc).__name__, exc.args


def both(script: Callable[[Any], list], server: Pop3Server | None = None) -> tuple[list, list]:
    """The script's outcomes with poplib, then with the facade (same server, each
    run once the sessions before it have ended: the maildrop is locked till then)."""
    results = []
    for module in MODULES:
        if server is not None:
            assert server.wait_idle()
        results.append(script(module))
    return results[0], results[1]


def login(module: Any, server: Pop3Server, timeout: float = 5) -> Any:
    assert server.wait_idle()
    pop = module.POP3(server.host, server.port, timeout=timeout)
    pop.user(server.user)
    pop.pass_(server.password)
    return pop


@pytest.fixture
def server(pop3_server_factory: Callable[..., Pop3Server]) -> Pop3Server:
    return pop3_server_factory(MESSAGES, apop=True)


# The module's surface.
def test_constants_and_names_are_poplib_s() -> None:
    for name in ("POP3_PORT", "POP3_SSL_PORT", "CR", "LF", "CRLF", "HAVE_SSL"):
        assert getattr(ours, name) == getattr(std, name), name
    assert {"POP3", "POP3_SSL", "error_proto"} <= set(ours.__all__)
    assert issubclass(ours.error_refused, ours.error_proto)
    assert issubclass(ours.error_refused, ValueError)


@pytest.mark.parametrize("cls", ["POP3", "POP3_SSL"])
def test_every_public_method_takes_poplib_s_arguments(cls: str) -> None:
    theirs, mine = getattr(std, cls), getattr(ours, cls)
    for name, member in inspect.getmembers(theirs, inspect.isfunction):
        if name.startswith("_") and name != "__init__":
            continue
        assert hasattr(mine, name), name
        expected = inspect.signature(member).parameters
        got = inspect.signature(getattr(mine, name)).parameters
        for parameter in expected.values():  # each of poplib's, same name, kind, default
            assert parameter.name in got, f"{cls}.{name}({parameter.name})"
            assert got[parameter.name].kind == parameter.kind, f"{cls}.{name}"
            assert got[parameter.name].default == parameter.default, f"{cls}.{name}"


# A whole session, identical.
def test_a_whole_session_returns_the_same_values(server: Pop3Server) -> None:
    def script(module: Any) -> list:
        pop = module.POP3(server.host, server.port, timeout=5)
        steps = [outcome(pop.getwelcome)[0], outcome(pop.capa), outcome(lambda: pop.utf8())]
        pop.user(server.user)
        steps += [outcome(lambda: pop.pass_(server.password)), outcome(pop.stat),
                  outcome(pop.list), outcome(lambda: pop.list(2)), outcome(lambda: pop.list("3")),
                  outcome(pop.uidl), outcome(lambda: pop.uidl(1)),
                  *(outcome(lambda n=n: pop.retr(n)) for n in (1, 2, 3, "2")),
                  outcome(lambda: pop.top(3, 0)), outcome(lambda: pop.top(3, 2)),
                  outcome(lambda: pop.top("2", "1")), outcome(lambda: pop.dele(1)),
                  outcome(pop.stat), outcome(pop.list), outcome(pop.noop), outcome(pop.rset),
                  outcome(pop.stat), outcome(pop.quit)]
        return steps

    theirs, mine = both(script, server)
    assert mine == theirs
    assert server.messages == MESSAGES  # RSET undid the deletions, twice


def test_greeting_and_apop(server: Pop3Server) -> None:
    def script(module: Any) -> list:
        pop = module.POP3(server.host, server.port, timeout=5)
        steps = [outcome(lambda: pop.apop(server.user, server.password)), outcome(pop.stat),
                 outcome(pop.quit)]
        return [pop.getwelcome() == pop.welcome, *steps]

    theirs, mine = both(script, server)
    assert mine == theirs
    assert "PASS secret" not in server.commands


def test_dele_applied_by_quit(pop3_server_factory: Callable[..., Pop3Server]) -> None:
    results = []
    for module in MODULES:
        server = pop3_server_factory(MESSAGES)
        pop = login(module, server)
        results.append([outcome(lambda pop=pop: pop.dele(2)), outcome(pop.quit)])
        assert server.messages == [MESSAGES[0], MESSAGES[2]]
    assert results[0] == results[1]


# -ERR to each command: error_proto with the server's line.
@pytest.mark.parametrize("command, call", [
    ("STAT", lambda pop: pop.stat()),
    ("LIST", lambda pop: pop.list()),
    ("LIST", lambda pop: pop.list(1)),
    ("RETR", lambda pop: pop.retr(1)),
    ("DELE", lambda pop: pop.dele(1)),
    ("NOOP", lambda pop: pop.noop()),
    ("RSET", lambda pop: pop.rset()),
    ("TOP", lambda pop: pop.top(1, 0)),
    ("UIDL", lambda pop: pop.uidl()),
    ("UIDL", lambda pop: pop.uidl(1)),
    ("CAPA", lambda pop: pop.capa()),
    ("QUIT", lambda pop: pop.quit()),
])
def test_err_to_a_command_is_error_proto_with_its_line(server: Pop3Server, command: str,
                                                        call: Callable) -> None:
    server.fault(command, err="[SYS/TEMP] not now")

    def script(module: Any) -> list:
        pop = login(module, server)
        steps = [outcome(lambda: call(pop))]
        if command != "QUIT":
            steps.append(outcome(pop.noop))  # the session goes on after a -ERR
        pop.close()
        return steps

    theirs, mine = both(script, server)
    assert mine == theirs
    assert mine[0][0] == "error_proto"


def test_no_such_message_and_a_refused_login(server: Pop3Server) -> None:
    def script(module: Any) -> list:
        pop = module.POP3(server.host, server.port, timeout=5)
        pop.user(server.user)
        steps = [outcome(lambda: pop.pass_("wrong"))]
        pop.user(server.user)
        steps += [outcome(lambda: pop.pass_(server.password)), outcome(lambda: pop.retr(9)),
                  outcome(lambda: pop.dele(9)), outcome(lambda: pop.top(9, 1)),
                  outcome(lambda: pop.list(9)), outcome(lambda: pop.uidl(9)), outcome(pop.quit)]
        return steps

    theirs, mine = both(script, server)
    assert mine == theirs
    assert mine[0] == ("error_proto", (b"-ERR [AUTH] invalid user name or password",))


def test_err_greeting_utf8_and_capa_refused(server: Pop3Server) -> None:
    server.fault("UTF8", err="no UTF8 here")
    server.fault("CAPA", err="")

    def script(module: Any) -> list:
        pop = module.POP3(server.host, server.port, timeout=5)
        steps = [outcome(pop.utf8), outcome(pop.capa), outcome(pop.stls)]
        pop.close()
        return steps

    theirs, mine = both(script, server)
    assert mine == theirs
    assert mine[1] == ("error_proto", ("-ERR CAPA not supported by server",))
    server.fault("GREETING", err="[SYS/PERM] maintenance")
    theirs, mine = both(lambda module: [outcome(lambda: module.POP3(server.host, server.port))])
    assert mine == theirs == [("error_proto", (b"-ERR [SYS/PERM] maintenance",))]


def test_stls_not_offered(server: Pop3Server) -> None:
    theirs, mine = both(lambda module: [
        outcome(module.POP3(server.host, server.port, timeout=5).stls)])
    assert mine == theirs == [("error_proto", ("-ERR STLS not supported by server",))]


def test_apop_without_a_timestamp(pop3_server_factory: Callable[..., Pop3Server]) -> None:
    server = pop3_server_factory(MESSAGES)  # no APOP timestamp in the greeting
    theirs, mine = both(lambda module: [
        outcome(lambda: module.POP3(server.host, server.port, timeout=5).apop("alice", "x"))])
    assert mine == theirs == [("error_proto", ("-ERR APOP not supported by server",))]
    assert not any(c.startswith(("APOP", "USER", "PASS")) for c in server.commands)


# The connection ending, or never made.
@pytest.mark.parametrize("fault, expected", [
    ({"close_after": 0}, ("error_proto", ("-ERR EOF",))),
    ({"close_after": 30}, ("error_proto", ("-ERR EOF",))),  # inside a body
    ({"close_after": 0, "reset": True},
     ("ConnectionResetError", (104, "Connection reset by peer"))),
    ({"silent": True}, ("TimeoutError", ("timed out",))),
    ({"status_line": b"+OK " + b"x" * 3000}, ("error_proto", ("line too long",))),
])
def test_the_connection_failing(server: Pop3Server, fault: dict, expected: tuple) -> None:
    server.fault("RETR", **fault)

    def script(module: Any) -> list:
        pop = login(module, server, timeout=0.5)
        step = outcome(lambda: pop.retr(2))
        pop.close()
        return [step]

    theirs, mine = both(script, server)
    assert mine == theirs == [expected]


def test_connect_failures_raise_the_socket_s_errors() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, not listening: refused
        theirs, mine = both(lambda module: [
            outcome(lambda: module.POP3("127.0.0.1", port, timeout=2)),
            outcome(lambda: module.POP3("no-such-host.invalid", port, timeout=2)),
            outcome(lambda: module.POP3_SSL("127.0.0.1", port, timeout=2)),
        ])
    assert mine == theirs
    assert mine[0][0] == "ConnectionRefusedError"
    assert mine[1][0] == "gaierror"
    for module in MODULES:
        with pytest.raises(ValueError, match="timeout=0"):
            module.POP3("127.0.0.1", 110, timeout=0)


def test_debug_output_is_poplib_s_without_the_password(server: Pop3Server, capsys) -> None:
    outputs = []
    for module in MODULES:
        pop = module.POP3(server.host, server.port, timeout=5)
        pop.set_debuglevel(2)
        pop.user(server.user)
        pop.pass_(server.password)
        pop.stat()
        pop.quit()
        outputs.append(capsys.readouterr().out)
    assert "PASS secret" in outputs[0]  # poplib prints the password
    assert "secret" not in outputs[1]
    assert outputs[1] == outputs[0].replace("PASS secret", "PASS ********")


# What poplib does unsafely, and this module does not (docs/poplib.md).
def test_crlf_in_an_argument_is_refused_not_sent(server: Pop3Server) -> None:
    pop = login(std, server)
    assert pop.retr("1\r\nDELE 2")[1][0] == b"Subject: one"  # poplib sent two commands
    assert pop.quit() == b"+OK message 2 deleted"  # and reads every reply one late
    assert server.wait_idle() and "DELE 2" in server.commands

    server.commands.clear()
    pop = login(ours, server)
    for call in (lambda: pop.retr("1\r\nDELE 2"), lambda: pop.top(1, "0\r\nDELE 1"),
                 lambda: pop.list("x"), lambda: pop.retr(True), lambda: pop.user("a\r\nb"),
                 lambda: pop.retr(0)):
        with pytest.raises(ours.error_refused) as caught:
            call()
        assert isinstance(caught.value, ours.error_proto) and isinstance(caught.value, ValueError)
        assert "nothing sent" in str(caught.value)
    assert pop.noop() == b"+OK"  # the session goes on
    pop.quit()
    assert server.commands == ["USER alice", "PASS secret", "NOOP", "QUIT"]


@pytest.mark.parametrize("line", [b"+ERR no such message", b"+OKAY", b"+whatever"])
def test_a_status_line_not_plus_ok_is_not_a_success(server: Pop3Server, line: bytes) -> None:
    server.fault("DELE", raw=line + b"\r\n")
    pop = login(std, server)
    assert pop.dele(1) == line  # poplib takes any line starting with "+"
    pop.close()
    pop = login(ours, server)
    with pytest.raises(ours.error_proto) as caught:
        pop.dele(1)
    assert caught.value.args == (line,)
    pop.close()


def test_a_trickling_server_cannot_hold_the_client(server: Pop3Server) -> None:
    # One byte every 0.2 s: each byte comes within poplib's 0.5 s per recv.
    server.fault("NOOP", status_line=b"+OK slow", split=1, pause=0.2)
    pop = login(std, server, timeout=0.5)
    assert pop.noop() == b"+OK slow"
    pop.close()
    pop = login(ours, server, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        pop.noop()
    assert time.monotonic() - started < 1.5  # the whole line is bounded by the timeout
    pop.close()


def test_apop_refused_never_sends_the_password(server: Pop3Server) -> None:
    server.fault("APOP", err="[AUTH] no")

    def session(module: Any) -> list:
        pop = module.POP3(server.host, server.port, timeout=5)
        return [outcome(lambda: pop.apop("alice", "secret")), outcome(pop.quit)]

    theirs, mine = both(session)
    assert mine[0] == theirs[0] == ("error_proto", (b"-ERR [AUTH] no",))
    assert mine[1] == theirs[1]  # the session went on: QUIT answered
    assert not any(c.startswith(("USER", "PASS")) for c in server.commands)
    assert not server.sent_in_clear("secret")


# What this module does differently for want of a C call (docs/poplib.md).
def test_user_is_sent_with_pass(server: Pop3Server) -> None:
    server.fault("USER", err="no such user")
    pop = std.POP3(server.host, server.port, timeout=5)
    with pytest.raises(std.error_proto) as theirs:
        pop.user("bob")  # poplib: at USER
    pop.close()
    pop = ours.POP3(server.host, server.port, timeout=5)
    assert pop.user("bob").startswith(b"+OK nxpop3")  # nothing sent yet
    with pytest.raises(ours.error_proto) as mine:
        pop.pass_("secret")  # ours: USER then PASS, the -ERR to USER raised here
    assert mine.value.args == theirs.value.args == (b"-ERR no such user",)
    with pytest.raises(ours.error_proto, match="user\\(\\) comes before pass_\\(\\)"):
        pop.pass_("secret")
    pop.close()
    assert server.commands == ["USER bob", "USER bob"]


def test_rpop_utf8_after_login_and_a_closed_session(server: Pop3Server) -> None:
    pop = login(ours, server)
    with pytest.raises(ours.error_proto, match="RPOP is not supported"):
        pop.rpop("alice")
    with pytest.raises(ours.error_proto, match="UTF8 is not allowed in this state"):
        pop.utf8()
    pop.quit()
    with pytest.raises(ours.error_proto, match="the connection is closed"):
        pop.noop()  # poplib: AttributeError ('NoneType' object has no attribute 'sendall')
    pop.close()  # twice is fine
    assert server.commands == ["USER alice", "PASS secret", "QUIT"]


def test_long_lines_and_bare_lf(pop3_server_factory: Callable[..., Pop3Server]) -> None:
    server = pop3_server_factory([
        Message(b"Subject: long\r\n\r\n" + b"x" * 3000 + b"\r\n", "u1"),
        Message(b"Subject: lf\n\nbare\nlf\r\n\rcr first\nend\n", "u2"),
        Message(b"", "u3"),
    ])
    server.fault("NOOP", status_line=b"+OK " + b"y" * 600)
    theirs = login(std, server)
    with pytest.raises(std.error_proto, match="line too long"):
        theirs.retr(1)  # poplib: a body line over 2048 octets
    theirs.close()
    theirs = login(std, server)
    theirs_results = [theirs.retr(2), theirs.retr(3), theirs.noop()]
    theirs.close()
    mine = login(ours, server)
    assert mine.retr(1)[1:] == ([b"Subject: long", b"", b"x" * 3000], 3019)
    assert [mine.retr(2), mine.retr(3)] == theirs_results[:2]  # bare LF split as poplib does
    assert theirs_results[2] == b"+OK " + b"y" * 600  # poplib: status lines to 2048 octets
    with pytest.raises(ours.error_proto, match="line too long"):
        mine.noop()  # ours: 512 (RFC 2449)
    mine.close()


# TLS.
def test_pop3_ssl_side_by_side(pop3_tls_server: Pop3Server,
                               tls_client_context: ssl.SSLContext) -> None:
    server = pop3_tls_server
    server.add_message(MESSAGES[1])

    def script(module: Any) -> list:
        pop = module.POP3_SSL(server.host, server.port, timeout=5, context=tls_client_context)
        steps = [outcome(pop.stls), outcome(lambda: pop.stls(context=tls_client_context))]
        pop.user(server.user)
        steps += [outcome(lambda: pop.pass_(server.password)), outcome(lambda: pop.retr(1)),
                  outcome(pop.quit)]
        return [pop.getwelcome(), *steps]

    theirs, mine = both(script, server)
    assert mine == theirs
    assert mine[1] == ("error_proto", ("-ERR TLS session already established",))
    assert not server.sent_in_clear(server.password)


def test_stls_side_by_side(pop3_starttls_server: Pop3Server,
                           tls_client_context: ssl.SSLContext) -> None:
    server = pop3_starttls_server
    server.add_message(MESSAGES[0])

    def script(module: Any) -> list:
        pop = module.POP3(server.host, server.port, timeout=5)
        steps = [outcome(lambda: pop.stls(tls_client_context)),
                 outcome(lambda: pop.stls(tls_client_context))]
        pop.user(server.user)
        steps += [outcome(lambda: pop.pass_(server.password)), outcome(lambda: pop.retr(1)),
                  outcome(pop.quit)]
        return steps

    theirs, mine = both(script, server)
    assert mine == theirs
    assert mine[0] == ("ok", b"+OK begin TLS negotiation") or mine[0][0] == "ok"
    assert not server.sent_in_clear(server.password)


@pytest.mark.parametrize("fault", [{"err": "[SYS/TEMP] not now"},
                                   {"inject": b"+OK injected in clear\r\n"}])
def test_stls_refused_or_injected(pop3_starttls_server: Pop3Server,
                                  tls_client_context: ssl.SSLContext, fault: dict) -> None:
    server = pop3_starttls_server
    server.fault("STLS", **fault)
    pop = std.POP3(server.host, server.port, timeout=5)
    theirs = outcome(lambda: pop.stls(tls_client_context))
    pop.close()
    assert server.wait_idle()
    pop = ours.POP3(server.host, server.port, timeout=5)
    mine = outcome(lambda: pop.stls(tls_client_context))
    pop.close()
    if "err" in fault:
        assert mine == theirs == ("error_proto", (b"-ERR [SYS/TEMP] not now",))
    else:  # poplib drops what its buffer held after the +OK; ours ends the session
        assert theirs == ("ok", b"+OK Begin TLS negotiation")
        assert mine[0] == "error_proto" and "STARTTLS injection" in mine[1][0]
    assert not server.sent_in_clear(server.password)


def test_the_default_context_verifies(pop3_tls_server: Pop3Server,
                                      pop3_starttls_server: Pop3Server) -> None:
    # poplib's default context checks neither the chain nor the name: the test CA is
    # unknown to it, and it logs in all the same.
    tls, starttls = pop3_tls_server, pop3_starttls_server
    pop = std.POP3_SSL(tls.host, tls.port, timeout=5)
    pop.quit()
    pop = std.POP3(starttls.host, starttls.port, timeout=5)
    pop.stls()
    pop.quit()
    with pytest.raises(ssl.SSLCertVerificationError):
        ours.POP3_SSL(tls.host, tls.port, timeout=5)
    pop = ours.POP3(starttls.host, starttls.port, timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError):
        pop.stls()
    pop.close()


def test_keyfile_and_context_exclude_each_other(tls_client_context: ssl.SSLContext) -> None:
    for module in MODULES:
        with pytest.raises(ValueError, match="mutually exclusive"):
            module.POP3_SSL("127.0.0.1", 1, keyfile="k", context=tls_client_context)
        with pytest.raises(ValueError, match="mutually exclusive"):
            module.POP3_SSL("127.0.0.1", 1, certfile="c", context=tls_client_context)


# Dovecot.
def test_dovecot_side_by_side(dovecot: Any) -> None:
    for data in MESSAGES:
        dovecot.add_message(data)

    def script(module: Any) -> list:
        pop = module.POP3(dovecot.host, dovecot.port, timeout=10)
        steps = [outcome(pop.capa)]
        pop.user(dovecot.user)
        steps += [outcome(lambda: pop.pass_("wrong"))]
        pop.user(dovecot.user)
        steps += [outcome(lambda: pop.pass_(dovecot.password)), outcome(pop.stat),
                  outcome(pop.list), outcome(lambda: pop.list(2)), outcome(pop.uidl),
                  outcome(lambda: pop.uidl(3)),
                  *(outcome(lambda n=n: pop.retr(n)) for n in (1, 2, 3)),
                  outcome(lambda: pop.top(3, 1)), outcome(lambda: pop.retr(7)),
                  outcome(lambda: pop.dele(1)), outcome(pop.rset), outcome(pop.noop),
                  outcome(pop.quit)]
        return steps

    theirs, mine = both(script)
    assert mine == theirs
    assert mine[1][0] == "error_proto" and mine[12][0] == "error_proto"


def test_dovecot_apop_and_tls(dovecot: Any) -> None:
    dovecot.add_message(MESSAGES[0])
    context = dovecot.client_context()

    def script(module: Any) -> list:
        pop = module.POP3(dovecot.host, dovecot.port, timeout=10)
        steps = [outcome(lambda: pop.apop(dovecot.user, dovecot.password)),
                 outcome(lambda: pop.retr(1)), outcome(pop.quit)]
        pop = module.POP3(dovecot.host, dovecot.port, timeout=10)
        steps += [outcome(lambda: pop.stls(context))]
        pop.user(dovecot.user)
        steps += [outcome(lambda: pop.pass_(dovecot.password)), outcome(lambda: pop.retr(1)),
                  outcome(pop.quit)]
        pop = module.POP3_SSL(dovecot.host, dovecot.tls_port, timeout=10, context=context)
        pop.user(dovecot.user)
        steps += [outcome(lambda: pop.pass_(dovecot.password)), outcome(lambda: pop.retr(1)),
                  outcome(pop.quit)]
        return steps

    theirs, mine = both(script)
    assert mine == theirs
    assert all(step[0] == "ok" for step in mine)


def test_the_migration_page_example_runs(server: Pop3Server) -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "poplib.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    example = next(b for b in blocks if "from nxpop3 import poplib" in b)
    names: dict[str, Any] = {"host": server.host, "port": server.port}
    exec(compile(example, str(doc), "exec"), names)
    assert names["count"] == len(MESSAGES)
    assert names["lines"] == MESSAGES[0].split(b"\r\n")[:-1]


def _poplib_reads(data: bytes) -> tuple[list[bytes], int]:
    """The lines and octets poplib's own line reader makes of a body ``data``."""
    import io

    reader = std.POP3.__new__(std.POP3)
    reader._debugging = 0
    reader.file = io.BytesIO(b"+OK\r\n" + data + b".\r\n")
    _, lines, octets = reader._getlongresp()
    return lines, octets


def test_lines_are_split_as_poplib_splits_them() -> None:
    # Messages of CR, LF and text (no dots: poplib's unstuffing is the C client's job
    # here), cut into chunks anywhere, against poplib's own line reader. Three shapes:
    # any mix of CR and LF; LFs made CRLFs (bare CRs left); and only CRLF line ends
    # (retr's fast path), whose CRLFs the cuts also split in two.
    import random

    from nxpop3.poplib import _split_lines, _stream_lines

    rng = random.Random(15)
    for _ in range(3000):
        data = bytes(rng.choice(b"ab\r\n") for _ in range(rng.randint(0, 40)))
        shape = rng.randrange(3)
        if shape == 1:
            data = data.replace(b"\n", b"\r\n").replace(b"\r\r", b"\r")
        elif shape == 2:
            data = data.replace(b"\r", b"").replace(b"\n", b"\r\n")
        data += b"\r\n"  # the body's last line end: RFC 1939's terminator starts with it
        expected = _poplib_reads(data)
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 6))))
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
        assert _split_lines(data) == expected, data
        assert _stream_lines(iter(chunks)) == expected, chunks
        assert _stream_lines(iter([data[i:i + 1] for i in range(len(data))])) == expected, data
        for cut in range(1, len(data)):
            assert _stream_lines(iter([data[:cut], b"", data[cut:]])) == expected, (data, cut)


def test_a_last_line_without_its_end_is_split_the_same_streamed() -> None:
    # Not from a server that ends the body with CRLF.CRLF (RFC 1939), but the C
    # client passes it on: streamed, it must come out as _split_lines makes it.
    import random

    from nxpop3.poplib import _split_lines, _stream_lines

    rng = random.Random(1939)
    for _ in range(1000):
        data = bytes(rng.choice(b"ab\r\n") for _ in range(rng.randint(1, 30)))
        if rng.random() < 0.5:
            data = data.replace(b"\r", b"").replace(b"\n", b"\r\n")
        data += rng.choice([b"x", b"\r", b"xy\r"])
        expected = _split_lines(data)
        for cut in range(1, len(data)):
            assert _stream_lines(iter([data[:cut], data[cut:]])) == expected, (data, cut)
