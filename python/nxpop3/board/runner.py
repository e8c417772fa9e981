"""Run the nxpop3 firmware on QEMU's ``mps2-an385`` board.

The firmware (``hw/app``, built by :mod:`nxpop3.board.firmware`) is the C client on a
Cortex-M3, over lwIP and the emulated LAN9118 Ethernet. QEMU's user network runs with
``restrict=on``: the only way out of the guest is ``guestfwd``, which hands each guest
connection to 10.0.2.100:110 to a fresh relay process (:mod:`nxpop3.board.relay`)
connected to a POP3 server on the host. The firmware's verdict is its semihosting exit
status, which becomes QEMU's: 0, the first NetX status that was not ``NX_SUCCESS``, or a
board status (:mod:`nxpop3.board.exit_codes`).

Pure Python: importing this module loads neither the C extension nor QEMU.

Example::

    firmware = build_firmware()
    result = fetch_mailbox(firmware, "127.0.0.1", 1110, "alice", "secret")
    assert result.exit_code == 0, result.uart
    for index, size, crc in result.messages:
        ...
    assert result.fetch_mode == ("pipelined", 8)  # the server listed PIPELINING
    uids = result.uids  # [(index, unique-id)], as UIDL lists them
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .firmware import build_firmware, missing_build_tools

__all__ = [
    "GUEST_SERVER_ADDRESS",
    "GUEST_SERVER_PORT",
    "QEMU",
    "QemuResult",
    "fetch_mailbox",
    "firmware_command_line",
    "missing_tools",
    "qemu_command",
    "run_firmware",
]

#: Where the guest finds the POP3 server (QEMU's user network forwards it to the host).
GUEST_SERVER_ADDRESS = "10.0.2.100"
GUEST_SERVER_PORT = 110

QEMU = "qemu-system-arm"

# Run by path, once per guest connection (it imports nothing from nxpop3).
_RELAY = Path(__file__).with_name("relay.py")
# "MSG index size crc32 [uid]": the uid is missing when the server has no UIDL.
_MSG = re.compile(r"^MSG (\d+) (\d+) ([0-9a-f]{8})(?: ([\x21-\x7e]+))?[ \t\r]*$", re.MULTILINE)
_CAPA = re.compile(r"^CAPA((?: [\x21-\x7e]+)*)[ \t\r]*$", re.MULTILINE)
_FETCH = re.compile(r"^FETCH (pipelined|single) window (\d+)[ \t\r]*$", re.MULTILINE)
_FETCHED = re.compile(r"^FETCHED (\d+) peak (\d+)[ \t\r]*$", re.MULTILINE)
_STAT = re.compile(r"^STAT (\d+) (\d+)\s*$", re.MULTILINE)
_ERROR = re.compile(r"^ERROR (\S+) 0x([0-9A-Fa-f]+)\s*$", re.MULTILINE)
_LOGIN = re.compile(r"^LOGIN (\w+)\s*$", re.MULTILINE)
_WORD = re.compile(r"^[\x21-\x7e]+$")


class FirmwareBuildError(RuntimeError):
    """CMake could not configure or build the firmware; the message holds its output."""


@dataclass(frozen=True)
class QemuResult:
    """One boot of the firmware: its exit status and what it printed on UART0."""

    exit_code: int | None
    """QEMU's exit status (the firmware's verdict); None when the run timed out."""
    uart: str
    """Everything the firmware printed on UART0 (and semihosting), CRLF kept."""
    stderr: str = ""
    """QEMU's own messages."""
    timed_out: bool = False
    duration: float = 0.0
    command: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def messages(self) -> list[tuple[int, int, int]]:
        """``(index, size, crc32)`` for each message the firmware fetched, in order."""
        return [(int(i), int(n), int(c, 16)) for i, n, c, _ in _MSG.findall(self.uart)]

    @property
    def uids(self) -> list[tuple[int, str]]:
        """``(index, unique-id)`` of each fetched message, in order, as the firmware's
        UIDL listing gave them (empty when the server answered UIDL with -ERR)."""
        return [(int(i), uid) for i, _, _, uid in _MSG.findall(self.uart) if uid]

    @property
    def capabilities(self) -> list[str] | None:
        """The capability names of the server's CAPA, in its order (``[]`` for an old
        server's -ERR); None if the firmware printed no CAPA line."""
        found = _CAPA.search(self.uart)
        return found.group(1).split() if found else None

    @property
    def fetch_mode(self) -> tuple[str, int] | None:
        """``("pipelined", window)`` when the firmware sent its RETRs ahead of their
        replies (the server listed PIPELINING), ``("single", 1)`` one at a time; None if
        it did not get that far."""
        found = _FETCH.search(self.uart)
        return (found.group(1), int(found.group(2))) if found else None

    @property
    def peak_in_flight(self) -> int | None:
        """The most RETRs the firmware had unanswered at once (including the one it
        was reading); None if it did not finish fetching."""
        found = _FETCHED.search(self.uart)
        return int(found.group(2)) if found else None

    @property
    def stat(self) -> tuple[int, int] | None:
        """``(count, octets)`` from the firmware's STAT, or None if it got no answer."""
        found = _STAT.search(self.uart)
        return (int(found.group(1)), int(found.group(2))) if found else None

    @property
    def login(self) -> str | None:
        """``"apop"`` or ``"user"``: how the firmware logged in; None if it did not."""
        found = _LOGIN.search(self.uart)
        return found.group(1) if found else None

    @property
    def error(self) -> tuple[str, int] | None:
        """``(step, status)`` of the firmware's ERROR line, if it printed one."""
        found = _ERROR.search(self.uart)
        return (found.group(1), int(found.group(2), 16)) if found else None

    def describe(self) -> str:
        """A multi-line account of the run, for assertion messages."""
        state = "timed out" if self.timed_out else f"exit status {self.exit_code}"
        return (f"QEMU {state} after {self.duration:.1f} s\n--- UART ---\n{self.uart}"
                f"\n--- QEMU stderr ---\n{self.stderr}")


def missing_tools() -> list[str]:
    """The tools a board run needs that are not on PATH (empty when all are there)."""
    missing = [QEMU] if shutil.which(QEMU) is None else []
    return missing + missing_build_tools()


# -- running ------------------------------------------------------------------------------------
def _qemu_escape(value: str) -> str:
    """Escape a value inside a QEMU ``key=value,...`` option (a comma is doubled)."""
    return value.replace(",", ",,")


def firmware_command_line(
    user: str,
    password: str,
    *,
    apop: bool = False,
    delete: bool = False,
    server: str = GUEST_SERVER_ADDRESS,
    port: int = GUEST_SERVER_PORT,
    wait: int | None = None,
) -> list[str]:
    """The firmware's ``key=value`` words (its semihosting command line)."""
    words = {"server": server, "port": str(port), "user": user, "pass": password,
             "apop": "1" if apop else "0", "delete": "1" if delete else "0"}
    if wait is not None:
        words["wait"] = str(int(wait))
    for key, value in words.items():
        if not _WORD.match(value):
            raise ValueError(f"{key} must be printable ASCII without spaces: {value!r}")
    return [f"{key}={value}" for key, value in words.items()]


def qemu_command(
    firmware: str | os.PathLike[str],
    args: Sequence[str],
    *,
    server: tuple[str, int] | None = None,
    qemu: str = QEMU,
    relay_idle: float = 120.0,
) -> list[str]:
    """The QEMU command line for one boot.

    ``server`` is the host's ``(host, port)`` that guest connections to
    10.0.2.100:110 are relayed to; None leaves the guest with no way out.
    """
    semihosting = "enable=on,target=native,arg=nxpop3_fw"
    for word in args:
        if not _WORD.match(word):
            raise ValueError(f"firmware arguments cannot hold spaces: {word!r}")
        semihosting += ",arg=" + _qemu_escape(word)
    nic = "user,model=lan9118,restrict=on"
    if server is not None:
        host, port = server
        relay = [sys.executable, str(_RELAY), host, str(int(port)), f"{relay_idle:g}"]
        if any(" " in part for part in relay):
            raise ValueError(f"paths with spaces cannot go in a guestfwd command: {relay}")
        nic += (f",guestfwd=tcp:{GUEST_SERVER_ADDRESS}:{GUEST_SERVER_PORT}-cmd:"
                + _qemu_escape(" ".join(relay)))
    return [qemu, "-M", "mps2-an385", "-display", "none", "-monitor", "none",
            "-serial", "stdio", "-semihosting-config", semihosting,
            "-kernel", str(firmware), "-nic", nic]


def run_firmware(
    firmware: str | os.PathLike[str],
    args: Sequence[str],
    *,
    server: tuple[str, int] | None = None,
    timeout: float = 60.0,
    qemu: str = QEMU,
) -> QemuResult:
    """Boot the firmware once under a timeout; returns its exit status and UART output."""
    command = qemu_command(firmware, args, server=server, qemu=qemu, relay_idle=timeout)
    started = time.monotonic()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    timed_out = False
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        process.kill()
        out, err = process.communicate(timeout=10.0)
    return QemuResult(
        exit_code=None if timed_out else process.returncode,
        uart=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        timed_out=timed_out,
        duration=time.monotonic() - started,
        command=command,
    )


def fetch_mailbox(
    firmware: str | os.PathLike[str],
    host: str,
    port: int,
    user: str,
    password: str,
    *,
    apop: bool = False,
    delete: bool = False,
    wait: int | None = None,
    timeout: float = 60.0,
) -> QemuResult:
    """Boot the example firmware against the POP3 server at ``host:port``.

    It logs in (APOP if asked and offered), asks CAPA, fetches every message in
    batches (pipelined when the server lists PIPELINING), printing
    ``MSG index size crc32 uid``, optionally deletes each, quits and exits.
    """
    words = firmware_command_line(user, password, apop=apop, delete=delete, wait=wait)
    return run_firmware(firmware, words, server=(host, port), timeout=timeout)


def main(argv: Sequence[str] | None = None, prog: str = "python -m nxpop3.board") -> int:
    """``python -m nxpop3.board HOST PORT USER PASSWORD [--apop] [--delete]``: build the
    firmware, boot it against that server, print its UART output; exits with its status."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog, description=main.__doc__)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("user")
    parser.add_argument("password")
    parser.add_argument("--apop", action="store_true")
    parser.add_argument("--delete", action="store_true")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--source", help="nxpop3 checkout (default: searched)")
    options = parser.parse_args(argv)
    firmware = build_firmware(options.source)
    result = fetch_mailbox(firmware, options.host, options.port, options.user,
                           options.password, apop=options.apop, delete=options.delete,
                           timeout=options.timeout)
    sys.stdout.write(result.uart)
    sys.stderr.write(result.stderr)
    if result.timed_out:
        return 124
    return result.exit_code if result.exit_code is not None else 1
