"""``nxpop3 fetch`` as a fetcher run every day: incremental by UIDL with the state beside
the destination, --all, --delete and --delete-older-than, and the summary line.

The command runs as a user runs it (``python -m nxpop3`` in a subprocess) against
nxpop3.testing.Pop3Server, whose unique-ids are stable; messages are added to the
server between runs, and deleted from it by another client (poplib), as happens to a
real maildrop. --delete-older-than runs in this process, with the state's clock set by
the test instead of waiting days.
"""
from __future__ import annotations

import mailbox
import poplib
import re
from pathlib import Path

from test_nxpop3_cli import maildir_messages, make_messages, run_cli

import nxpop3.cli
from nxpop3.cli import EXIT_OK, EXIT_SERVER, state
from nxpop3.testing import Pop3Server

DAY = 86400.0


def fetch(server: Pop3Server, cwd: Path, *extra: str, user: str | None = None,
          password: str = "secret"):
    args = ["fetch", server.host, "--port", str(server.port), "--user", user or server.user,
            "--to", "mail", *extra]
    return run_cli(*args, cwd=cwd, password=password)


def state_file(cwd: Path, user: str, server: Pop3Server, folder: str = "mail") -> Path:
    return cwd / folder / "nxpop3-state" / f"{user}@{server.host}:{server.port}.state"


def recorded(path: Path) -> dict[str, int]:
    """unique-id -> stored time, as the state file says (comment lines skipped)."""
    entries = {}
    for line in path.read_text("ascii").splitlines():
        if not line.startswith("#"):
            when, uid = line.split(" ")
            entries[uid] = int(when)
    return entries


def server_uids(server: Pop3Server, user: str | None = None) -> dict[str, bytes]:
    return {m.uid: m.data for m in server.mailbox(user).entries}


def delete_on_server(server: Pop3Server, *numbers: int) -> None:
    """Another client deletes these messages (and QUITs, so the server applies it)."""
    other = poplib.POP3(server.host, server.port, timeout=10)
    other.user(server.user)
    other.pass_(server.password)
    for number in numbers:
        other.dele(number)
    other.quit()
    assert server.wait_idle(5)


def retrieved(server: Pop3Server, since: int) -> list[str]:
    return [c for c in server.commands[since:] if c.startswith("RETR")]


# -- incremental -------------------------------------------------------------------------------

def test_three_runs_store_only_new_messages_and_all_stores_everything_again(tmp_path):
    with Pop3Server(make_messages(5)) as server:
        first = fetch(server, tmp_path)
        assert first.returncode == EXIT_OK, first.stderr
        assert maildir_messages(tmp_path / "mail") == sorted(server.messages)
        path = state_file(tmp_path, "alice", server)
        assert set(recorded(path)) == set(server_uids(server))
        assert "Fetched 5 of 5 messages" in first.stdout
        assert "skipped" not in first.stdout

        # Between runs: two messages arrive, two old ones are deleted by another client.
        server.add_message(b"Subject: six\r\n\r\nsixth\r\n")
        server.add_message(b"Subject: seven\r\n\r\nseventh\r\n")
        delete_on_server(server, 1, 2)
        mark = len(server.commands)
        second = fetch(server, tmp_path)
        assert second.returncode == EXIT_OK, second.stderr
        assert retrieved(server, mark) == ["RETR 4", "RETR 5"]  # the two new ones
        assert "Fetched 2 of 5 messages" in second.stdout
        assert "3 skipped as already stored" in second.stdout
        assert len(maildir_messages(tmp_path / "mail")) == 7
        # The state follows the server: the two deleted there are forgotten.
        assert set(recorded(path)) == set(server_uids(server))

        server.add_message(b"Subject: eight\r\n\r\neighth\r\n")
        delete_on_server(server, 3)
        mark = len(server.commands)
        third = fetch(server, tmp_path)
        assert third.returncode == EXIT_OK, third.stderr
        assert retrieved(server, mark) == ["RETR 5"]
        assert "Fetched 1 of 5 messages" in third.stdout
        assert "4 skipped as already stored" in third.stdout
        stored = maildir_messages(tmp_path / "mail")
        assert len(stored) == 8 and set(stored) >= set(server.messages)
        assert set(recorded(path)) == set(server_uids(server))

        mark = len(server.commands)
        again = fetch(server, tmp_path, "--all")
        assert again.returncode == EXIT_OK, again.stderr
        assert retrieved(server, mark) == [f"RETR {n}" for n in range(1, 6)]
        assert "Fetched 5 of 5 messages" in again.stdout and "skipped" not in again.stdout
        assert len(maildir_messages(tmp_path / "mail")) == 13
        assert set(recorded(path)) == set(server_uids(server))


def test_the_state_is_no_mail_folder_and_a_run_with_nothing_new_retrieves_nothing(tmp_path):
    with Pop3Server(make_messages(3)) as server:
        assert fetch(server, tmp_path).returncode == EXIT_OK
        mark = len(server.commands)
        result = fetch(server, tmp_path)
        assert result.returncode == EXIT_OK, result.stderr
        assert retrieved(server, mark) == []
        assert "Fetched 0 of 3 messages" in result.stdout
    box = mailbox.Maildir(str(tmp_path / "mail"), factory=None, create=False)
    assert box.list_folders() == []  # not a Maildir++ ".folder"
    assert len(box) == 3
    assert [p.name for p in (tmp_path / "mail" / "nxpop3-state").iterdir()] == [
        f"alice@127.0.0.1:{server.port}.state"
    ]


def test_two_accounts_into_one_maildir_keep_apart(tmp_path):
    alice, bob = make_messages(3, seed=1), make_messages(2, seed=2)
    with Pop3Server(alice, mailboxes={"bob": ("pw", bob)}) as server:
        for _ in range(2):
            assert fetch(server, tmp_path).returncode == EXIT_OK
            result = fetch(server, tmp_path, user="bob", password="pw")
            assert result.returncode == EXIT_OK, result.stderr
        assert len(maildir_messages(tmp_path / "mail")) == 5
        assert set(recorded(state_file(tmp_path, "alice", server))) == set(server_uids(server))
        assert set(recorded(state_file(tmp_path, "bob", server))) == set(
            server_uids(server, "bob"))


def test_mbox_keeps_its_state_beside_the_file(tmp_path):
    with Pop3Server(make_messages(3)) as server:
        for _ in range(2):
            result = fetch(server, tmp_path, "--format", "mbox", "--to", "box.mbox")
            assert result.returncode == EXIT_OK, result.stderr
        assert "3 skipped as already stored" in result.stdout
        folder = tmp_path / ".box.mbox.nxpop3-state"
        assert set(recorded(folder / f"alice@127.0.0.1:{server.port}.state")) == set(
            server_uids(server))
    assert len(mailbox.mbox(str(tmp_path / "box.mbox"), create=False)) == 3


def test_limit_counts_the_new_messages(tmp_path):
    with Pop3Server(make_messages(6)) as server:
        assert fetch(server, tmp_path, "--limit", "2").returncode == EXIT_OK
        mark = len(server.commands)
        result = fetch(server, tmp_path, "--limit", "3")
        assert result.returncode == EXIT_OK, result.stderr
        assert retrieved(server, mark) == ["RETR 3", "RETR 4", "RETR 5"]
        assert "Fetched 3 of 6 messages" in result.stdout


# -- a server without UIDL ---------------------------------------------------------------------

def test_without_uidl_incremental_is_refused_and_nothing_is_fetched(tmp_path):
    with Pop3Server(make_messages(3)) as server:
        server.fault("UIDL", err="not here")
        result = fetch(server, tmp_path, "--delete")
        assert result.returncode == EXIT_SERVER
        assert "UIDL refused: -ERR not here" in result.stderr
        assert "--all" in result.stderr and "nothing was fetched or deleted" in result.stderr
        assert not any(c.startswith(("RETR", "DELE")) for c in server.commands)
        assert server.wait_idle(5) and len(server.messages) == 3


def test_without_uidl_all_fetches_everything_with_one_warning(tmp_path):
    with Pop3Server(make_messages(3)) as server:
        server.fault("UIDL", err="not here")
        for _ in range(2):
            result = fetch(server, tmp_path, "--all")
            assert result.returncode == EXIT_OK, result.stderr
            warnings = [line for line in result.stderr.splitlines() if "warning" in line]
            assert len(warnings) == 1 and "UIDL refused" in warnings[0]
        assert len(maildir_messages(tmp_path / "mail")) == 6
        assert not (tmp_path / "mail" / "nxpop3-state").exists()


def test_without_uidl_delete_older_than_is_refused(tmp_path):
    with Pop3Server(make_messages(2)) as server:
        server.fault("UIDL", err="")
        result = fetch(server, tmp_path, "--all", "--delete-older-than", "3")
        assert result.returncode == EXIT_SERVER
        assert "--delete-older-than needs the server's unique-ids" in result.stderr
        assert server.wait_idle(5) and len(server.messages) == 2


def test_the_same_unique_id_twice_is_refused(tmp_path):
    with Pop3Server(make_messages(3)) as server:
        uid = server.mailbox().entries[0].uid
        server.fault("UIDL", lines={2: f"2 {uid}".encode()})
        result = fetch(server, tmp_path, "--delete")
        assert result.returncode == EXIT_SERVER
        assert "same unique-id" in result.stderr
        assert not any(c.startswith(("RETR", "DELE")) for c in server.commands)


# -- deleting ----------------------------------------------------------------------------------

def test_delete_removes_what_this_run_and_earlier_runs_stored(tmp_path):
    with Pop3Server(make_messages(3)) as server:
        assert fetch(server, tmp_path, "--keep").returncode == EXIT_OK
        assert len(server.messages) == 3
        server.add_message(b"Subject: four\r\n\r\n4\r\n")
        mark = len(server.commands)
        result = fetch(server, tmp_path, "--delete")
        assert result.returncode == EXIT_OK, result.stderr
        assert server.commands[mark:][-6:] == [
            "DELE 1", "DELE 2", "DELE 3", "RETR 4", "DELE 4", "QUIT"]
        assert "Fetched 1 of 4 messages" in result.stdout
        assert "3 skipped as already stored; deleted 4 on the server" in result.stdout
        assert server.messages == []
        assert recorded(state_file(tmp_path, "alice", server)) == {}  # all gone: forgotten
        assert len(maildir_messages(tmp_path / "mail")) == 4


def test_a_failure_before_quit_deletes_nothing_and_the_summary_says_so(tmp_path):
    with Pop3Server(make_messages(4)) as server:
        server.fault("RETR 3", err="[SYS/TEMP] later")
        result = fetch(server, tmp_path, "--delete")
        assert result.returncode == EXIT_SERVER
        assert "2 complete messages were stored" in result.stderr
        assert "nothing was deleted on the server" in result.stderr
        assert server.wait_idle(5) and len(server.messages) == 4
        # What was stored is recorded: the next run takes up from there, deletes all.
        assert len(recorded(state_file(tmp_path, "alice", server))) == 2
        server.clear_faults()
        mark = len(server.commands)
        again = fetch(server, tmp_path, "--delete")
        assert again.returncode == EXIT_OK, again.stderr
        assert retrieved(server, mark) == ["RETR 3", "RETR 4"]
        assert server.messages == []
        assert len(maildir_messages(tmp_path / "mail")) == 4


def test_quit_refused_keeps_the_state_of_messages_not_deleted(tmp_path):
    with Pop3Server(make_messages(2)) as server:
        server.fault("QUIT", err="cannot apply")
        result = fetch(server, tmp_path, "--delete")
        assert result.returncode == EXIT_SERVER
        assert "QUIT was refused: the 2 deletions were not applied" in result.stderr
        assert server.wait_idle(5) and len(server.messages) == 2
        assert set(recorded(state_file(tmp_path, "alice", server))) == set(server_uids(server))


def _in_process(monkeypatch, capsys, server: Pop3Server, cwd: Path, now: float, *extra: str):
    """``nxpop3 fetch`` in this process, with the state's clock at ``now``."""
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("NXPOP3_PASSWORD", server.password)
    monkeypatch.setenv("NETRC", str(cwd / "no-netrc"))
    monkeypatch.setattr(state, "clock", lambda: now)
    code = nxpop3.cli.main(["fetch", server.host, "-p", str(server.port), "-u", server.user,
                            "--to", "mail", "--no-progress", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_delete_older_than_deletes_only_messages_stored_that_long_ago(tmp_path, monkeypatch,
                                                                      capsys):
    start = 1_700_000_000.0
    with Pop3Server(make_messages(3)) as server:
        code, out, err = _in_process(monkeypatch, capsys, server, tmp_path, start,
                                     "--delete-older-than", "4")
        assert code == EXIT_OK, err
        assert "deleted 0 on the server" in out and len(server.messages) == 3
        first_uids = set(server_uids(server))

        server.add_message(b"Subject: four\r\n\r\n4\r\n")
        server.add_message(b"Subject: five\r\n\r\n5\r\n")
        code, out, err = _in_process(monkeypatch, capsys, server, tmp_path, start + 2 * DAY,
                                     "--delete-older-than", "4")
        assert code == EXIT_OK, err
        assert "Fetched 2 of 5" in out and "deleted 0 on the server" in out
        path = state_file(tmp_path, "alice", server)
        times = recorded(path)
        assert {times[uid] for uid in first_uids} == {int(start)}
        assert {t for uid, t in times.items() if uid not in first_uids} == {int(start + 2 * DAY)}

        # Five days after the first run: only its three messages are four days old.
        mark = len(server.commands)
        code, out, err = _in_process(monkeypatch, capsys, server, tmp_path, start + 5 * DAY,
                                     "--delete-older-than", "4")
        assert code == EXIT_OK, err
        assert [c for c in server.commands[mark:] if c.startswith("DELE")] == [
            "DELE 1", "DELE 2", "DELE 3"]
        assert "Fetched 0 of 5" in out and "deleted 3 on the server" in out
        assert set(server_uids(server)) == set(times) - first_uids
        assert set(recorded(path)) == set(server_uids(server))

        code, out, err = _in_process(monkeypatch, capsys, server, tmp_path, start + 7 * DAY,
                                     "--delete-older-than", "4")
        assert code == EXIT_OK, err
        assert "deleted 2 on the server" in out and server.messages == []


def test_delete_older_than_never_deletes_a_message_not_stored(tmp_path, monkeypatch, capsys):
    with Pop3Server(make_messages(3)) as server:
        code, out, err = _in_process(monkeypatch, capsys, server, tmp_path, 1e9,
                                     "--delete-older-than", "0", "--limit", "1")
        assert code == EXIT_OK, err
        assert [c for c in server.commands if c.startswith(("RETR", "DELE"))] == [
            "RETR 1", "DELE 1"]
        assert len(server.messages) == 2 and len(maildir_messages(tmp_path / "mail")) == 1


def test_keep_delete_and_delete_older_than_exclude_each_other(tmp_path):
    for options in (("--keep", "--delete"), ("--delete", "--delete-older-than", "1"),
                    ("--keep", "--delete-older-than", "1")):
        result = run_cli("fetch", "127.0.0.1", *options, cwd=tmp_path)
        assert result.returncode == 2
        assert "not allowed with argument" in result.stderr


def test_a_negative_age_is_a_usage_error(tmp_path):
    result = run_cli("fetch", "127.0.0.1", "--delete-older-than=-1", cwd=tmp_path)
    assert result.returncode == 2 and "0 or more days" in result.stderr


# -- the summary -------------------------------------------------------------------------------

SUMMARY = re.compile(
    r"Fetched (\d+) of (\d+) messages \((\d+(?:\.\d)? k?B), (\d+(?:\.\d)? [kMG]?B)/s\) "
    r"into mail \(Maildir\) in (\d+\.\d\d) s(; (\d+) skipped as already stored)?"
    r"(; deleted (\d+) on the server)?\n"
)


def test_the_summary_line_counts_stored_bytes_rate_skipped_and_deleted(tmp_path):
    from nxpop3.cli.progress import human_size

    with Pop3Server(make_messages(4)) as server:
        assert fetch(server, tmp_path, "--limit", "1").returncode == EXIT_OK
        new_octets = sum(len(data) for data in server.messages[1:])
        result = fetch(server, tmp_path, "--delete")
        assert result.returncode == EXIT_OK, result.stderr
    match = SUMMARY.fullmatch(result.stdout)
    assert match, result.stdout
    stored, total, size, _rate, _seconds, _, skipped, _, deleted = match.groups()
    assert (stored, total, size, skipped, deleted) == ("3", "4", human_size(new_octets), "1",
                                                        "4")


def test_the_summary_without_deletion_options_names_no_deletion(tmp_path):
    with Pop3Server(make_messages(2)) as server:
        result = fetch(server, tmp_path)
    match = SUMMARY.fullmatch(result.stdout)
    assert match and match.group(8) is None and match.group(6) is None
