"""The board runner's pure-Python parts: command lines, escaping, parsing the UART
report, and the relay. None of these tests needs QEMU or a cross compiler."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import nxpop3
from nxpop3 import codes
from nxpop3.board import firmware, relay, runner

PACKAGE = Path(nxpop3.__file__).parent


def test_firmware_command_line_words():
    words = runner.firmware_command_line("alice", "s3cret", apop=True, delete=False, wait=3)
    assert words == ["server=10.0.2.100", "port=110", "user=alice", "pass=s3cret",
                     "apop=1", "delete=0", "wait=3"]


@pytest.mark.parametrize("password", ["two words", "", "tab\there", "caf\u00e9"])
def test_firmware_command_line_refuses_unsendable_values(password):
    with pytest.raises(ValueError):
        runner.firmware_command_line("alice", password)


def test_qemu_command_escapes_commas_and_uses_restricted_user_net():
    command = runner.qemu_command("/fw.elf", ["user=a,b", "pass=x"], server=("127.0.0.1", 2110))
    joined = " ".join(command)
    assert command[:3] == ["qemu-system-arm", "-M", "mps2-an385"]
    semihosting = command[command.index("-semihosting-config") + 1]
    assert semihosting == "enable=on,target=native,arg=nxpop3_fw,arg=user=a,,b,arg=pass=x"
    nic = command[command.index("-nic") + 1]
    assert nic.startswith("user,model=lan9118,restrict=on,guestfwd=tcp:10.0.2.100:110-cmd:")
    assert f"{relay.__file__} 127.0.0.1 2110" in nic  # run by path: no nxpop3 import needed
    assert "-kernel /fw.elf" in joined


def test_qemu_command_without_server_has_no_guestfwd():
    nic = runner.qemu_command("/fw.elf", [])[-1]
    assert nic == "user,model=lan9118,restrict=on"


def test_result_parsing():
    uart = ("nxpop3 firmware on mps2-an385\r\nLOGIN apop\r\n"
            "CAPA TOP UIDL PIPELINING IMPLEMENTATION\r\nSTAT 2 30\r\n"
            "FETCH pipelined window 8\r\n"
            "MSG 1 10 0000abcd 000000017a3b2c1d\r\nMSG 2 20 ffffffff <uid@x>\r\n"
            "FETCHED 2 peak 2\r\nERROR quit 0xB4\r\n")
    result = runner.QemuResult(exit_code=codes.NX_POP3_SERVER_ERROR_STATUS, uart=uart)
    assert result.login == "apop"
    assert result.stat == (2, 30)
    assert result.capabilities == ["TOP", "UIDL", "PIPELINING", "IMPLEMENTATION"]
    assert result.fetch_mode == ("pipelined", 8)
    assert result.messages == [(1, 10, 0xABCD), (2, 20, 0xFFFFFFFF)]
    assert result.uids == [(1, "000000017a3b2c1d"), (2, "<uid@x>")]
    assert result.peak_in_flight == 2
    assert result.error == ("quit", codes.NX_POP3_SERVER_ERROR_STATUS)
    assert not result.ok
    assert "exit status 180" in result.describe()


def test_result_parsing_of_an_old_server_and_an_unfinished_run():
    # CAPA answered -ERR (bare line), no UIDL (no ids), one RETR at a time, cut short.
    uart = ("LOGIN user\r\nCAPA\r\nSTAT 2 30\r\nFETCH single window 1\r\n"
            "MSG 1 10 0000abcd\r\nERROR body 0x38\r\n")
    result = runner.QemuResult(exit_code=codes.NX_NOT_CONNECTED, uart=uart)
    assert result.capabilities == []
    assert result.fetch_mode == ("single", 1)
    assert result.messages == [(1, 10, 0xABCD)]
    assert result.uids == []
    assert result.peak_in_flight is None
    empty = runner.QemuResult(exit_code=None, uart="", timed_out=True)
    assert empty.capabilities is None and empty.fetch_mode is None and empty.uids == []


def test_default_build_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("NXPOP3_HW_BUILD_DIR", str(tmp_path / "b"))
    assert firmware.default_build_dir("/src") == tmp_path / "b"
    monkeypatch.delenv("NXPOP3_HW_BUILD_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = firmware.default_build_dir("/src/one")
    assert first.parent == tmp_path / "nxpop3"
    assert first != firmware.default_build_dir("/src/two")


# The deprecated path too: a guestfwd command written for it keeps working until it goes.
@pytest.mark.parametrize("script", ["board/relay.py", "qemu_relay.py"])
def test_relay_pumps_both_ways_and_passes_half_closes(script):
    """Run the relay as QEMU does, by path: one socket as its stdin and stdout."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received = bytearray()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"+OK hello\r\n")
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                received.extend(chunk)
            conn.sendall(b"+OK bye\r\n")  # after the guest's FIN, still deliverable

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    guest, relay_end = socket.socketpair()
    process = subprocess.Popen(
        [sys.executable, str(PACKAGE / script), "127.0.0.1", str(port), "10"],
        stdin=relay_end.fileno(), stdout=relay_end.fileno(), stderr=relay_end.fileno())
    relay_end.close()
    try:
        guest.settimeout(10.0)
        assert guest.recv(100) == b"+OK hello\r\n"
        guest.sendall(b"QUIT\r\n")
        guest.shutdown(socket.SHUT_WR)
        rest = b""
        while True:
            chunk = guest.recv(100)
            if not chunk:
                break
            rest += chunk
        assert rest == b"+OK bye\r\n"
        assert process.wait(timeout=10.0) == 0
    finally:
        if process.poll() is None:
            process.kill()
        guest.close()
        listener.close()
    thread.join(5.0)
    assert bytes(received) == b"QUIT\r\n"
