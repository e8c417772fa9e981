"""Where ``nxpop3 fetch`` finds what the command line leaves out: ``~/.netrc`` (or
``$NETRC``) for the user and password, refused unless private; the accounts file of
``--account NAME`` (TOML), its password only in a private file; ``--mechanism`` and
``--allow-plaintext`` handed to ``Client`` only when given."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from test_nxpop3_cli import maildir_messages, make_messages, run_cli

import nxpop3
import nxpop3.cli
from nxpop3.cli import EXIT_CONFIG, EXIT_OK, EXIT_USAGE
from nxpop3.cli.accounts import default_config_path, load_account
from nxpop3.cli.credentials import check_private, netrc_entry
from nxpop3.cli.exit_codes import FetchFailed
from nxpop3.testing import Pop3Server

SECRET = "n3trc-s3cret"


def write_private(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def logged_in_as(server: Pop3Server) -> list[str | None]:
    assert server.wait_idle(5)
    return [session.user for session in server.sessions]


# -- .netrc -----------------------------------------------------------------------------------

def test_netrc_gives_the_user_and_password(tmp_path):
    netrc = write_private(tmp_path / "netrc",
                          f"machine 127.0.0.1\n  login alice\n  password {SECRET}\n")
    with Pop3Server(make_messages(2), password=SECRET) as server:
        result = run_cli("fetch", "127.0.0.1", "-p", str(server.port), cwd=tmp_path,
                         env={"NETRC": str(netrc)})
        assert result.returncode == EXIT_OK, result.stderr
        assert logged_in_as(server) == ["alice"]
        assert maildir_messages(tmp_path / "nxpop3-mail") == sorted(server.messages)
    assert SECRET not in result.stdout + result.stderr


def test_the_default_netrc_is_in_home_and_serves_the_given_user(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    write_private(home / ".netrc", f"machine 127.0.0.1 login alice password {SECRET}\n"
                                   "default login nobody password wrong\n")
    with Pop3Server(make_messages(1), password=SECRET) as server:
        env = {"HOME": str(home), "NETRC": ""}
        result = run_cli("fetch", "127.0.0.1", "-p", str(server.port), "-u", "alice",
                         cwd=tmp_path, env=env)
        assert result.returncode == EXIT_OK, result.stderr
        # Another user: the entry is alice's, so its password is not used; no terminal.
        other = run_cli("fetch", "127.0.0.1", "-p", str(server.port), "-u", "bob",
                        cwd=tmp_path, env=env)
        assert other.returncode == EXIT_USAGE and "no password" in other.stderr
        assert logged_in_as(server) == ["alice"]


def test_the_password_variable_wins_over_netrc(tmp_path):
    netrc = write_private(tmp_path / "netrc", "machine 127.0.0.1 login alice password wrong\n")
    with Pop3Server(make_messages(1)) as server:
        result = run_cli("fetch", "127.0.0.1", "-p", str(server.port), cwd=tmp_path,
                         password="secret", env={"NETRC": str(netrc)})
        assert result.returncode == EXIT_OK, result.stderr
        assert logged_in_as(server) == ["alice"]  # the login still came from .netrc


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660])
def test_a_netrc_others_can_read_or_change_is_refused(tmp_path, mode):
    netrc = write_private(tmp_path / "netrc", f"machine 127.0.0.1 login alice password {SECRET}\n",
                          mode)
    with Pop3Server(make_messages(1), password=SECRET) as server:
        result = run_cli("fetch", "127.0.0.1", "-p", str(server.port), cwd=tmp_path,
                         env={"NETRC": str(netrc)})
        assert result.returncode == EXIT_CONFIG == 9
        assert f"{netrc} holds passwords and others can read or change it" in result.stderr
        assert f"mode {mode:04o}" in result.stderr and "chmod 600" in result.stderr
        assert SECRET not in result.stdout + result.stderr
        assert server.commands == []  # refused before connecting


def test_a_netrc_of_another_user_is_refused(tmp_path, monkeypatch):
    netrc = write_private(tmp_path / "netrc", f"machine h login a password {SECRET}\n")
    monkeypatch.setattr(os, "getuid", lambda: netrc.stat().st_uid + 1)
    with pytest.raises(FetchFailed) as failure:
        netrc_entry("h", netrc)
    assert failure.value.code == EXIT_CONFIG
    assert "belongs to another user" in str(failure.value) and SECRET not in str(failure.value)


def test_a_netrc_that_does_not_parse_names_the_line_not_its_text(tmp_path):
    netrc = write_private(tmp_path / "netrc",
                          f"machine h\nlogin a\npassword {SECRET} {SECRET}-again\n")
    with pytest.raises(FetchFailed) as failure:
        netrc_entry("h", netrc)
    assert failure.value.code == EXIT_CONFIG
    assert re.fullmatch(f"cannot parse the netrc file {re.escape(str(netrc))} at line \\d+",
                        str(failure.value))


def test_netrc_lookups(tmp_path):
    netrc = write_private(tmp_path / "netrc",
                          "machine pop.example.test login a password p4ssw0rd\n"
                          "machine ::1 login six password q\n")
    assert netrc_entry("POP.example.test", netrc).login == "a"
    assert netrc_entry("[::1]", netrc).login == "six"
    assert netrc_entry("other.test", netrc) is None
    assert netrc_entry("h", tmp_path / "missing") is None
    entry = netrc_entry("pop.example.test", netrc)
    assert entry.password == "p4ssw0rd" and "p4ssw0rd" not in repr(entry)
    assert check_private(netrc, "x") is None


# -- the accounts file ------------------------------------------------------------------------

def accounts_file(tmp_path: Path, work: Pop3Server, home: Pop3Server, extra: str = "",
                  mode: int = 0o644) -> Path:
    return write_private(tmp_path / "accounts.toml", f"""
# two accounts, one table each
[work]
host = "127.0.0.1"
port = {work.port}
user = "alice"
destination = "mail/work"
{extra}

[home]
host = "127.0.0.1"
port = {home.port}
user = "bob"
destination = "mail/home"
format = "mbox"
delete = true
""", mode)


def test_two_accounts_and_account_selects_one(tmp_path):
    with Pop3Server(make_messages(3)) as work, \
            Pop3Server(make_messages(2, seed=7), user="bob", password="pw") as home:
        config = accounts_file(tmp_path, work, home)
        cwd = tmp_path / "elsewhere"
        cwd.mkdir()
        result = run_cli("fetch", "--config", str(config), "--account", "work", cwd=cwd,
                         password="secret")
        assert result.returncode == EXIT_OK, result.stderr
        # Paths in the file are relative to the file's folder, not the current one.
        assert maildir_messages(tmp_path / "mail" / "work") == sorted(work.messages)
        assert home.commands == [] and len(work.messages) == 3  # keep: the default

        result = run_cli("fetch", "--config", str(config), "--account", "home", cwd=cwd,
                         password="pw")
        assert result.returncode == EXIT_OK, result.stderr
        assert "into " + str(tmp_path / "mail" / "home") + " (mbox)" in result.stdout
        assert "deleted 2 on the server" in result.stdout and home.messages == []
        assert logged_in_as(home) == ["bob"]


def test_the_command_line_wins_over_the_accounts_file(tmp_path):
    with Pop3Server(make_messages(2)) as work, Pop3Server([], user="bob") as home:
        config = accounts_file(tmp_path, work, home)
        result = run_cli("fetch", "--config", str(config), "--account", "work", "--to", "here",
                         "--delete", cwd=tmp_path, password="secret")
        assert result.returncode == EXIT_OK, result.stderr
        assert len(maildir_messages(tmp_path / "here")) == 2 and work.messages == []
        result = run_cli("fetch", "--config", str(config), "--account", "home", "--keep",
                         cwd=tmp_path, password="secret")
        assert result.returncode == EXIT_OK, result.stderr
        assert "deleted" not in result.stdout  # --keep beat the file's delete = true


def test_the_default_accounts_file_is_under_xdg_config_home(tmp_path):
    with Pop3Server(make_messages(1)) as work, Pop3Server([], user="bob") as home:
        config_home = tmp_path / "config"
        (config_home / "nxpop3").mkdir(parents=True)
        accounts_file(tmp_path, work, home).rename(config_home / "nxpop3" / "accounts.toml")
        result = run_cli("fetch", "--account", "work", cwd=tmp_path, password="secret",
                         env={"XDG_CONFIG_HOME": str(config_home)})
        assert result.returncode == EXIT_OK, result.stderr
        assert len(maildir_messages(config_home / "nxpop3" / "mail" / "work")) == 1


def test_default_config_path(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_config_path() == tmp_path / "nxpop3" / "accounts.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_config_path() == tmp_path / "home" / ".config" / "nxpop3" / "accounts.toml"


def test_a_password_in_the_accounts_file_only_when_it_is_private(tmp_path):
    with Pop3Server(make_messages(1), password=SECRET) as work, Pop3Server([]) as home:
        extra = f'password = "{SECRET}"'
        config = accounts_file(tmp_path, work, home, extra, mode=0o644)
        refused = run_cli("fetch", "--config", str(config), "--account", "work", cwd=tmp_path)
        assert refused.returncode == EXIT_CONFIG
        assert "holds passwords and others can read" in refused.stderr
        assert SECRET not in refused.stdout + refused.stderr
        assert work.commands == []
        config.chmod(0o600)
        result = run_cli("fetch", "--config", str(config), "--account", "work", cwd=tmp_path)
        assert result.returncode == EXIT_OK, result.stderr
        assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(("text", "message"), [
    ("[work]\nport = 110\n", "[work]: no host"),
    ('[work]\nhost = "h"\nprot = 110\n', "unknown key 'prot'"),
    ('[work]\nhost = "h"\nport = "110"\n', "port must be an integer from 1 to 65535"),
    ('[work]\nhost = "h"\nport = 70000\n', "port must be an integer"),
    ('[work]\nhost = "h"\ntls = "yes"\n', "tls must be true or false"),
    ('[work]\nhost = "h"\nformat = "mh"\n', "format must be maildir or mbox"),
    ('[work]\nhost = "h"\nmechanism = "GSSAPI"\n', "mechanism must be one of SCRAM-SHA-256,"),
    ('[work]\nhost = "h"\ndelete_older_than = -2\n', "delete_older_than must be a number"),
    ('[work]\nhost = "h"\ntls = true\nstarttls = true\n', "tls and starttls exclude"),
    ('[work]\nhost = "h"\ndelete = true\ndelete_older_than = 3\n', "exclude each other"),
    ('host = "h"\n[work]\n', "'host' is outside any [account] table"),
    ('[other]\nhost = "h"\n', "no account [work] in"),
    ("[work\n", "is not valid TOML"),
])
def test_a_wrong_accounts_file_says_what_is_wrong(tmp_path, text, message):
    config = write_private(tmp_path / "accounts.toml", text)
    result = run_cli("fetch", "--config", str(config), "--account", "work", cwd=tmp_path)
    assert result.returncode == EXIT_CONFIG
    assert message in result.stderr


def test_account_usage_errors(tmp_path):
    missing = run_cli("fetch", "--config", str(tmp_path / "none.toml"), "--account", "x",
                      cwd=tmp_path)
    assert missing.returncode == EXIT_CONFIG and "no accounts file" in missing.stderr
    alone = run_cli("fetch", "--config", str(tmp_path / "none.toml"), cwd=tmp_path)
    assert alone.returncode == EXIT_USAGE and "--config needs --account" in alone.stderr
    both = run_cli("fetch", "127.0.0.1", "--account", "x", cwd=tmp_path)
    assert both.returncode == EXIT_USAGE and "HOST or --account, not both" in both.stderr


def test_without_tomllib_the_accounts_file_says_it_needs_python_3_11(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tomllib", None)  # import tomllib raises ImportError
    with pytest.raises(FetchFailed) as failure:
        load_account(tmp_path / "accounts.toml", "work")
    assert failure.value.code == EXIT_CONFIG
    assert "needs Python 3.11 or later" in str(failure.value)


# -- --mechanism and --allow-plaintext ----------------------------------------------------------

class _Recorded(Exception):
    pass


def _client_kwargs(monkeypatch, tmp_path, *options: str) -> dict:
    """The keyword arguments ``nxpop3 fetch`` gives ``Client``, with a stand-in that
    records them."""
    seen: dict = {}

    def client(host, port, user, password, **kwargs):
        seen.update(kwargs, host=host)
        raise _Recorded

    monkeypatch.setattr(nxpop3, "Client", client)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    code = None
    try:
        code = nxpop3.cli.main(["fetch", "127.0.0.1", "-u", "a", "--password", "p", *options])
    except _Recorded:
        pass
    seen["exit"] = code
    return seen


def test_mechanism_and_allow_plaintext_reach_client_only_when_given(monkeypatch, tmp_path):
    plain = _client_kwargs(monkeypatch, tmp_path)
    assert "mechanism" not in plain and "allow_plaintext" not in plain
    chosen = _client_kwargs(monkeypatch, tmp_path, "--mechanism", "scram-sha-256",
                            "--allow-plaintext")
    assert chosen["mechanism"] == "SCRAM-SHA-256" and chosen["allow_plaintext"] is True


def test_unknown_mechanism_is_a_usage_error(monkeypatch, tmp_path, capsys):
    seen = _client_kwargs(monkeypatch, tmp_path, "--mechanism", "KERBEROS_V4")
    assert seen["exit"] == EXIT_USAGE
    assert "unknown mechanism 'KERBEROS_V4'" in capsys.readouterr().err
    seen = _client_kwargs(monkeypatch, tmp_path, "--mechanism", "PLAIN", "--apop")
    assert seen["exit"] == EXIT_USAGE
    assert "--apop and --mechanism PLAIN exclude each other" in capsys.readouterr().err


def test_the_accounts_file_mechanism_reaches_client(monkeypatch, tmp_path):
    config = write_private(tmp_path / "accounts.toml",
                           '[work]\nhost = "127.0.0.1"\nmechanism = "cram-md5"\n'
                           "allow_plaintext = true\n")
    seen: dict = {}

    def client(host, port, user, password, *, mechanism=None, allow_plaintext=False, **kw):
        seen.update(mechanism=mechanism, allow_plaintext=allow_plaintext, port=port)
        raise _Recorded

    monkeypatch.setattr(nxpop3, "Client", client)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NETRC", str(tmp_path / "none"))
    with pytest.raises(_Recorded):
        nxpop3.cli.main(["fetch", "--config", str(config), "--account", "work", "-u", "a",
                         "--password", "p"])
    assert seen == {"mechanism": "CRAM-MD5", "allow_plaintext": True, "port": 110}


def test_a_password_refused_in_clear_says_how_to_go_on(monkeypatch):
    from nxpop3 import errors
    from nxpop3.cli.report import describe_error
    from nxpop3.codes import NX_NOT_SUPPORTED

    refused = getattr(errors, "PlaintextRefused", None)
    if refused is None:  # a Client without SASL: the class it will raise, as it will be
        refused = type("PlaintextRefused", (errors.AuthenticationError,), {})
        monkeypatch.setattr(errors, "PlaintextRefused", refused, raising=False)
    text = describe_error(refused(NX_NOT_SUPPORTED, message="no way to log in without TLS"))
    assert "nothing was sent" in text and "--starttls" in text and "--allow-plaintext" in text
