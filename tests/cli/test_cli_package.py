"""The nxpop3.cli package in-process: one job per module, exit codes decided by
exception types, and the names of the old single-file nxpop3/cli.py still importable
from nxpop3.cli, with a DeprecationWarning."""
from __future__ import annotations

import argparse
import importlib
import io
import socket
import warnings

import pytest

import nxpop3.cli
from nxpop3 import errors
from nxpop3.cli import exit_codes, fetch, progress, report, serve, storage
from nxpop3.cli.exit_codes import FetchFailed
from nxpop3.codes import (
    NX_NO_PACKET,
    NX_NOT_CONNECTED,
    NX_POP3_CLIENT_INVALID_STATE,
    NX_POP3_INVALID_REPLY,
    NX_POP3_PARAM_ERROR,
    NX_POP3_SERVER_ERROR_STATUS,
)

MOVED = {
    "human_size": progress, "Progress": progress, "Store": storage,
    "describe_message": report, "describe_error": report,
    "exit_code_for": exit_codes, "FetchFailed": exit_codes,
    "PASSWORD_ENV": fetch, "DEFAULT_DESTINATION": fetch, "DEMO_USER": fetch,
    "DEMO_PASSWORD": fetch, "read_password": fetch, "connect": fetch, "run_fetch": fetch,
    "cmd_fetch": fetch, "demo_fetch": fetch, "cmd_serve": serve,
}


@pytest.mark.parametrize("name", sorted(MOVED))
def test_moved_names_warn_and_still_work(name):
    with pytest.warns(DeprecationWarning, match=f"nxpop3.cli.{name} moved to"):
        value = getattr(nxpop3.cli, name)
    assert value is getattr(MOVED[name], name)


def test_from_import_of_a_moved_name_warns():
    with pytest.warns(DeprecationWarning):
        from nxpop3.cli import human_size
    assert human_size(1234567) == "1.2 MB"


def test_old_resolve_warns_and_keeps_its_results_and_errors():
    with pytest.warns(DeprecationWarning, match="addresses_to_try"):
        resolve = nxpop3.cli.resolve
    assert resolve("[::1]", 110, 0) == ["::1"]
    assert resolve("127.0.0.1", 110, socket.AF_INET) == ["127.0.0.1"]
    with pytest.raises(FetchFailed) as failure:
        resolve("127.0.0.1", 110, socket.AF_INET6)
    assert failure.value.code == exit_codes.EXIT_USAGE
    assert str(failure.value) == "-6 given but 127.0.0.1 is an IPv4 address"
    with pytest.raises(FetchFailed) as failure:
        resolve("::1", 110, socket.AF_INET)
    assert str(failure.value) == "-4 given but ::1 is an IPv6 address"


def test_unresolvable_name_is_a_network_failure():
    with pytest.raises(FetchFailed) as failure:
        fetch.addresses_to_try("name.invalid", 110, socket.AF_UNSPEC)
    assert failure.value.code == exit_codes.EXIT_NETWORK
    assert str(failure.value).startswith("cannot resolve name.invalid")


def test_names_that_stay_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from nxpop3.cli import EXIT_AUTH, EXIT_CODES, build_parser, main  # noqa: F401
    assert nxpop3.cli.main is importlib.import_module("nxpop3.cli.parser").main
    assert EXIT_AUTH == 3 and EXIT_CODES[EXIT_AUTH].startswith("login refused")


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        nxpop3.cli.no_such_name  # noqa: B018


@pytest.mark.parametrize(("error", "code"), [
    (errors.AuthenticationError(NX_POP3_SERVER_ERROR_STATUS, "[AUTH] no", "PASS"),
     exit_codes.EXIT_AUTH),
    (errors.ServerError(NX_POP3_SERVER_ERROR_STATUS, "[SYS/TEMP] later", "RETR"),
     exit_codes.EXIT_SERVER),
    (errors.ProtocolError(NX_POP3_INVALID_REPLY, "many", "STAT"), exit_codes.EXIT_PROTOCOL),
    (errors.BadArgument(NX_POP3_PARAM_ERROR, message="too long"), exit_codes.EXIT_USAGE),
    (errors.Pop3Timeout(NX_NO_PACKET, command="STAT"), exit_codes.EXIT_NETWORK),
    (errors.ConnectionClosed(NX_NOT_CONNECTED, command="RETR"), exit_codes.EXIT_NETWORK),
    (errors.InvalidState(NX_POP3_CLIENT_INVALID_STATE), exit_codes.EXIT_FAILURE),
    (OSError("disk full"), exit_codes.EXIT_FAILURE),
])
def test_exit_code_follows_the_exception_type(error, code):
    assert exit_codes.exit_code_for(error) == code


def test_exit_code_ignores_what_the_message_says():
    """A network failure whose text talks of a login still exits as a network failure."""
    error = errors.ConnectionClosed(NX_NOT_CONNECTED,
                                    message="PASS refused: -ERR [AUTH] invalid password")
    assert exit_codes.exit_code_for(error) == exit_codes.EXIT_NETWORK
    assert "connection refused or closed" in report.describe_error(error)


def _args(**overrides):
    values = dict(ipv4=False, ipv6=False, apop=False, timeout=1.0, progress=False, to="m",
                  format="maildir", lf=False, limit=None, verbose=False, delete=False)
    values.update(overrides)
    return argparse.Namespace(**values)


def test_where_a_refused_command_stopped_is_said_once(monkeypatch, tmp_path):
    """STAT refused: its own text places it ("STAT refused"); RETR 2 refused: the step
    adds the message number."""

    class Refusing:
        def __init__(self, command):
            self.command = command

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def stat(self):
            if self.command == "STAT":
                raise errors.ServerError(NX_POP3_SERVER_ERROR_STATUS, "no", "STAT")
            return 3, 30

        def uidl(self):
            return [(1, "one"), (2, "two"), (3, "three")]

        def retr(self, n):
            if n == 2:
                raise errors.ServerError(NX_POP3_SERVER_ERROR_STATUS, "gone", "RETR")
            return b"Subject: x\r\n\r\nbody\r\n"

    for command, expected in (("STAT", "STAT refused: -ERR no\n"),
                              ("RETR", "RETR refused: -ERR gone at RETR 2 (message 2 of 3)\n")):
        monkeypatch.setattr(fetch, "connect", lambda *a, c=command: Refusing(c))
        with pytest.raises(FetchFailed) as failure:
            fetch.run_fetch(_args(to=str(tmp_path / command)), "h", 110, "u", "p",
                            io.StringIO())
        assert failure.value.code == exit_codes.EXIT_SERVER
        assert expected in str(failure.value)
        assert "nothing was deleted on the server" in str(failure.value)


def test_storage_and_progress_need_no_extension(tmp_path):
    box = storage.Store(tmp_path / "mail", "maildir", lf=True)
    box.add(b"Subject: a\r\n\r\nb\r\n")
    box.close()
    assert box.count == 1 and box.octets == len(b"Subject: a\n\nb\n")
    out = io.StringIO()
    bar = progress.Progress(out, 1, 10, enabled=True)
    bar.update(1, 10, force=True)
    bar.finish()
    assert "1/1 messages" in out.getvalue() and out.getvalue().endswith("\n")


def test_report_helpers():
    assert report.hostport("::1", 110) == "[::1]:110"
    assert report.hostport("127.0.0.1", 110) == "127.0.0.1:110"
    assert report.redact(["USER a", "pass s3cret", "STAT"]) == ["USER a", "PASS ****", "STAT"]
