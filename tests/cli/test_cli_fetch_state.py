"""The fetch state survives crashes: a message is recorded only once it is on disk, so a
crash never records a message that is not there and never loses one (at worst the
message is stored again by the next run); the file is rewritten atomically; a line cut
by a crash is dropped, never read as something else.

The crashes are real: ``nxpop3 fetch`` runs in a subprocess whose recording step (or
atomic rewrite) calls ``os._exit`` at the chosen message, skipping every ``finally``,
``with`` block and buffer flush, as a killed process would.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_nxpop3_cli import maildir_messages, make_messages

from nxpop3.cli import EXIT_OK, EXIT_STORAGE
from nxpop3.cli.state import FetchState, StateError, account_key, state_file_name
from nxpop3.testing import Pop3Server

CRASHED = 70

# Runs `nxpop3 ARGS` with TARGET (FetchState.record, FetchState.save or os.replace)
# replaced by a crash at its Nth call.
CRASHING_FETCH = textwrap.dedent("""
    import os, sys
    from nxpop3.cli import main, state

    target, at = sys.argv[1], int(sys.argv[2])
    owner = os if target == "os.replace" else state.FetchState
    name = target.split(".")[1]
    real = getattr(owner, name)
    calls = 0

    def crash_at_nth_call(*args, **kwargs):
        global calls
        calls += 1
        if calls == at:
            os._exit({crashed})
        return real(*args, **kwargs)

    setattr(owner, name, crash_at_nth_call)
    sys.exit(main(sys.argv[3:]))
""").format(crashed=CRASHED)


def crashing_fetch(target: str, at: int, server: Pop3Server, cwd: Path,
                   *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "NETRC"}
    env.update(NXPOP3_PASSWORD=server.password, NETRC=str(cwd / "no-netrc"),
               PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-c", CRASHING_FETCH, target, str(at), "fetch", server.host,
         "-p", str(server.port), "-u", server.user, "--to", "mail", "--no-progress", *extra],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=120, start_new_session=True,
    )


def recorded_uids(cwd: Path, server: Pop3Server) -> set[str]:
    path = (cwd / "mail" / "nxpop3-state"
            / state_file_name(account_key(server.user, server.host, server.port)))
    if not path.exists():
        return set()
    return {line.split(" ")[1] for line in path.read_text("ascii").splitlines()
            if line and not line.startswith("#")}


def test_a_crash_between_storing_and_recording_loses_nothing_and_records_nothing_missing(
        tmp_path):
    with Pop3Server(make_messages(5)) as server:
        by_uid = {m.uid: m.data for m in server.mailbox().entries}
        # The third message is on disk when the process dies, before it is recorded.
        crashed = crashing_fetch("FetchState.record", 3, server, tmp_path, "--delete")
        assert crashed.returncode == CRASHED, crashed.stderr
        on_disk = maildir_messages(tmp_path / "mail")
        assert on_disk == sorted(server.messages[:3])
        recorded = recorded_uids(tmp_path, server)
        assert len(recorded) == 2
        assert {by_uid[uid] for uid in recorded} <= set(on_disk)  # never recorded-but-missing
        assert not os.listdir(tmp_path / "mail" / "tmp")
        assert server.wait_idle(5)
        assert len(server.messages) == 5  # no QUIT: none of the DELEs was applied

        # The next run completes the state: the unrecorded message is stored once more
        # (the documented price of a crash at that instant), the others once.
        again = crashing_fetch("FetchState.record", 0, server, tmp_path, "--delete")
        assert again.returncode == EXIT_OK, again.stderr
        assert "Fetched 3 of 5 messages" in again.stdout
        assert "2 skipped as already stored; deleted 5 on the server" in again.stdout
        stored = maildir_messages(tmp_path / "mail")
        assert sorted(set(stored)) == sorted(by_uid.values())
        third = list(by_uid.values())[2]
        assert len(stored) == 6 and stored.count(third) == 2
        assert server.messages == []
        assert recorded_uids(tmp_path, server) == set()  # every message gone from the server


def test_a_crash_while_rewriting_the_state_keeps_the_file_whole(tmp_path):
    with Pop3Server(make_messages(3)) as server:
        assert crashing_fetch("FetchState.record", 0, server, tmp_path).returncode == EXIT_OK
        path = (tmp_path / "mail" / "nxpop3-state"
                / state_file_name(account_key("alice", server.host, server.port)))
        before = path.read_text("ascii")
        server.add_message(b"Subject: four\r\n\r\n4\r\n")
        delete_on_server(server, 1)
        # Dies once the new file is written and fsynced, before it replaces the old one.
        crashed = crashing_fetch("os.replace", 1, server, tmp_path)
        assert crashed.returncode == CRASHED
        after = path.read_text("ascii")
        assert after.startswith(before)  # the old file, with message 4 appended
        assert len(after.splitlines()) == len(before.splitlines()) + 1
        leftovers = [p.name for p in path.parent.iterdir() if p != path]
        assert len(leftovers) == 1 and leftovers[0].startswith(f".{path.name}.tmp-")

        result = crashing_fetch("FetchState.record", 0, server, tmp_path)
        assert result.returncode == EXIT_OK, result.stderr
        assert "Fetched 0 of 3 messages" in result.stdout
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # leftover removed
        assert recorded_uids(tmp_path, server) == {m.uid for m in server.mailbox().entries}


def delete_on_server(server: Pop3Server, number: int) -> None:
    import poplib

    other = poplib.POP3(server.host, server.port, timeout=10)
    other.user(server.user)
    other.pass_(server.password)
    other.dele(number)
    other.quit()
    assert server.wait_idle(5)


def test_a_line_cut_by_a_crash_is_dropped_and_the_file_rewritten(tmp_path):
    folder = tmp_path / "state"
    folder.mkdir()
    path = folder / state_file_name("a@h:110")
    path.write_bytes(b"# nxpop3 fetch state 1 for a@h:110\n1000 one\n1001 two\n10")
    state = FetchState(folder, "a@h:110")
    assert state.stored == {"one": 1000.0, "two": 1001.0}
    assert state.dropped == 1
    assert path.read_bytes().endswith(b"1000 one\n1001 two\n")  # rewritten without it
    state.record("three")
    state.close()
    again = FetchState(folder, "a@h:110")
    assert set(again.stored) == {"one", "two", "three"} and again.dropped == 0


@pytest.mark.parametrize("line", [b"1000 has space\n", b"x one\n", b"1000 \xff\n",
                                  b"\0\0\0\0\n", b"1000\n", b"1000 " + b"u" * 71 + b"\n"])
def test_a_foreign_line_is_dropped_never_read_as_a_unique_id(tmp_path, line):
    path = tmp_path / state_file_name("a@h:110")
    path.write_bytes(b"1000 one\n" + line)
    state = FetchState(tmp_path, "a@h:110")
    assert state.stored == {"one": 1000.0} and state.dropped == 1


def test_a_failed_rewrite_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    state = FetchState(tmp_path, "a@h:110")
    state.record("one")
    state.close()
    before = (tmp_path / state_file_name("a@h:110")).read_bytes()

    def no_room(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_room)
    with pytest.raises(StateError, match="No space left"):
        state.save(keep=[])
    assert (tmp_path / state_file_name("a@h:110")).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [state_file_name("a@h:110")]


def test_unique_ids_outside_rfc_1939_are_never_recorded(tmp_path):
    state = FetchState(tmp_path, "a@h:110")
    for uid in ("", "has space", "x" * 71, "tab\there", "é"):
        with pytest.raises(StateError):
            state.record(uid)
    assert not (tmp_path / state_file_name("a@h:110")).exists()


def test_account_keys_and_file_names():
    assert account_key("alice", "POP.Example.TEST", 995) == "alice@pop.example.test:995"
    assert account_key("alice", "[::1]", 110) == "alice@[::1]:110"
    assert account_key("alice", "::1", 110) == "alice@[::1]:110"
    assert state_file_name("a/b@h:110") == "a%2Fb@h:110.state"
    assert state_file_name("..@h:1") == "..@h:1.state"


def test_an_unreadable_state_stops_the_fetch_before_any_command(tmp_path):
    folder = tmp_path / "mail" / "nxpop3-state"
    folder.mkdir(parents=True)
    with Pop3Server(make_messages(2)) as server:
        path = folder / state_file_name(account_key("alice", server.host, server.port))
        path.mkdir()  # a folder where the file should be: cannot be read
        result = crashing_fetch("FetchState.record", 0, server, tmp_path, "--delete")
        assert result.returncode == EXIT_STORAGE
        assert "cannot read the fetch state" in result.stderr
        assert "nothing was deleted on the server" in result.stderr
        assert not any(c.startswith(("RETR", "DELE")) for c in server.commands)
    with pytest.raises(StateError):
        FetchState(folder, account_key("alice", server.host, server.port))
