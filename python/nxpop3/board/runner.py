"""Run the nxpop3 firmware on QEMU's ``mps2-an385`` board.

The firmware (``hw/app``, built by :mod:`nxpop3.board.firmware`) is the C client on a
Cortex-M3, over lwIP and the emulated LAN9118 Ethernet. QEMU's user network runs with
``restrict=on``: the only way out of the guest is ``guestfwd``, which hands each guest
connection to 10.0.2.100:110 to a fresh relay process (:mod:`nxpop3.board.relay`)
connected to a POP3 server on the host. The firmware's verdict is its semihosting exit
status, which becomes QEMU's: 0, the first NetX status that was not ``NX_SUCCESS``, or a
board status (:mod:`nxpop3.board.exit_codes`).

POP3S: ``fetch_mailbox(..., cafile=PATH)`` has the firmware speak TLS from the first
byte (Mbed TLS on the board) to 10.0.2.100:995, relayed unchanged to the host's server;
the firmware reads the CA chain from ``cafile`` through semihosting at run time and
checks that the server's certificate names ``server_name`` (``"localhost"``). QEMU's
board has no TRNG: the firmware's entropy hook reads a seed file of random bytes the
runner writes for each run (``os.urandom``), unless ``seed_file`` names one.

SASL: ``fetch_mailbox(..., mechanism="scram-sha-256")`` (or ``"cram-md5"``, ``"plain"``,
``"login"``) has the firmware ask CAPA before login and log in with ``AUTH`` (RFC 5034)
instead of USER/PASS or APOP. SCRAM's client nonce comes from the same seed file (bytes
that nothing else uses), so one is written for that run too.

Pure Python: importing this module loads neither the C extension nor QEMU.

Example::

    firmware = build_firmware()
    result = fetch_mailbox(firmware, "127.0.0.1", 1110, "alice", "secret")
    assert result.exit_code == 0, result.uart
    for index, size, crc in result.messages:
        ...
    assert result.fetch_mode[0] == "pipelined"  # the server listed PIPELINING
    uids = result.uids  # [(index, unique-id)], as UIDL lists them
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .firmware import build_firmware, missing_build_tools

__all__ = [
    "GUEST_SERVER_ADDRESS",
    "GUEST_SERVER_PORT",
    "GUEST_SERVER_TLS_PORT",
    "MECHANISMS",
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
#: The guest's port for POP3S (RFC 8314), relayed like 110.
GUEST_SERVER_TLS_PORT = 995
#: Random bytes the runner gives the firmware's entropy hook per run (it seeds
#: Mbed TLS's CTR_DRBG with 48 of them; the rest covers reseeds).
SEED_BYTES = 256
#: The firmware's ``auth=`` values: the SASL mechanisms it logs in with (a password).
MECHANISMS = ("scram-sha-256", "cram-md5", "plain", "login")
#: The mechanisms whose client needs random bytes (SCRAM's nonce) from the seed file.
_NEEDS_SEED = frozenset({"scram-sha-256"})

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
_LOGIN = re.compile(r"^LOGIN ([\w-]+)\s*$", re.MULTILINE)
_CAPA_BEFORE_LOGIN = re.compile(r"^CAPA-AUTHORIZATION((?: [\x21-\x7e]+)*)[ \t\r]*$",
                                re.MULTILINE)
_SASL = re.compile(r"^SASL((?: [\w-]+)*)[ \t\r]*$", re.MULTILINE)
_REFUSED = re.compile(r"^REFUSED code (\d+)\s*$", re.MULTILINE)
_TLS = re.compile(r"^TLS verify=0x([0-9A-Fa-f]{8}) error=-0x([0-9A-Fa-f]+)\s*$", re.MULTILINE)
_TLS_HEAP = re.compile(r"^TLS heap peak (\d+) of (\d+) seed used (\d+) of (\d+)\s*$", re.MULTILINE)
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
        """``"apop"`` or ``"user"``, or the SASL mechanism (``"scram-sha-256"``, ...): how
        the firmware logged in; None if it did not."""
        found = _LOGIN.search(self.uart)
        return found.group(1) if found else None

    @property
    def capabilities_before_login(self) -> list[str] | None:
        """With a SASL mechanism: the capability names of the CAPA asked before login;
        None if the firmware printed none."""
        found = _CAPA_BEFORE_LOGIN.search(self.uart)
        return found.group(1).split() if found else None

    @property
    def sasl_offered(self) -> list[str] | None:
        """With a SASL mechanism: the mechanisms that CAPA offered and the C client knows,
        lower case (``nx_pop3_client_sasl_mechanisms``); None if not reported."""
        found = _SASL.search(self.uart)
        return found.group(1).split() if found else None

    @property
    def refused_code(self) -> int | None:
        """With a SASL mechanism the server refused (-ERR): its response code, as the
        client parsed it (``NX_POP3_RESPONSE_*``, e.g. 6 for ``[AUTH]``); else None."""
        found = _REFUSED.search(self.uart)
        return int(found.group(1)) if found else None

    @property
    def error(self) -> tuple[str, int] | None:
        """``(step, status)`` of the firmware's ERROR line, if it printed one."""
        found = _ERROR.search(self.uart)
        return (found.group(1), int(found.group(2), 16)) if found else None

    @property
    def tls_verify(self) -> int | None:
        """The server certificate's verification flags after the firmware's TLS
        handshake (Mbed TLS's ``MBEDTLS_X509_BADCERT_*``; 0: verified); None when
        it ran no TLS."""
        found = _TLS.search(self.uart)
        return int(found.group(1), 16) if found else None

    @property
    def tls_error(self) -> int | None:
        """Mbed TLS's last error code after the handshake (negative; 0: none)."""
        found = _TLS.search(self.uart)
        return -int(found.group(2), 16) if found else None

    @property
    def tls_heap(self) -> tuple[int, int] | None:
        """``(peak, size)``: the most of Mbed TLS's static heap buffer the run used,
        in bytes, and the buffer's size; None when it ran no TLS or did not finish."""
        found = _TLS_HEAP.search(self.uart)
        return (int(found.group(1)), int(found.group(2))) if found else None

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
    port: int | None = None,
    wait: int | None = None,
    cafile: str | os.PathLike[str] | None = None,
    seed_file: str | os.PathLike[str] | None = None,
    server_name: str = "localhost",
    mechanism: str | None = None,
) -> list[str]:
    """The firmware's ``key=value`` words (its semihosting command line).

    ``cafile`` turns on POP3S: the host path of the trusted CA chain (PEM), read by
    the firmware at run time; ``seed_file`` (required with it) the host path of the
    random bytes its entropy hook hands Mbed TLS; ``server_name`` the DNS name the
    server's certificate must carry. ``port`` defaults to 110, or 995 with TLS.

    ``mechanism`` (one of :data:`MECHANISMS`, any case) logs in with that SASL
    mechanism instead of USER/PASS or APOP (not with ``apop``); ``"scram-sha-256"``
    needs ``seed_file`` too, for its nonce.
    """
    if mechanism is not None:
        mechanism = mechanism.lower()
        if mechanism not in MECHANISMS:
            raise ValueError(f"the firmware logs in with {', '.join(MECHANISMS)}, "
                             f"not {mechanism!r}")
        if apop:
            raise ValueError("apop and a SASL mechanism exclude each other")
        if mechanism in _NEEDS_SEED and seed_file is None:
            raise ValueError(f"{mechanism} on the board needs a seed file for its nonce")
    if port is None:
        port = GUEST_SERVER_TLS_PORT if cafile is not None else GUEST_SERVER_PORT
    words = {"server": server, "port": str(port), "user": user, "pass": password,
             "apop": "1" if apop else "0", "delete": "1" if delete else "0"}
    if wait is not None:
        words["wait"] = str(int(wait))
    if cafile is not None:
        if seed_file is None:
            raise ValueError("POP3S on the board needs a seed file for its entropy hook")
        words["ca"] = os.path.abspath(cafile)
        words["seed"] = os.path.abspath(seed_file)
        words["name"] = server_name
    elif seed_file is not None and mechanism in _NEEDS_SEED:
        words["seed"] = os.path.abspath(seed_file)
    if mechanism is not None:
        words["auth"] = mechanism
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
    guest_port: int = GUEST_SERVER_PORT,
) -> list[str]:
    """The QEMU command line for one boot.

    ``server`` is the host's ``(host, port)`` that guest connections to
    10.0.2.100:``guest_port`` are relayed to, byte for byte (TLS passes through);
    None leaves the guest with no way out.
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
        nic += (f",guestfwd=tcp:{GUEST_SERVER_ADDRESS}:{int(guest_port)}-cmd:"
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
    guest_port: int = GUEST_SERVER_PORT,
) -> QemuResult:
    """Boot the firmware once under a timeout; returns its exit status and UART output."""
    command = qemu_command(firmware, args, server=server, qemu=qemu, relay_idle=timeout,
                           guest_port=guest_port)
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
    cafile: str | os.PathLike[str] | None = None,
    seed_file: str | os.PathLike[str] | None = None,
    server_name: str = "localhost",
    mechanism: str | None = None,
) -> QemuResult:
    """Boot the example firmware against the POP3 server at ``host:port``.

    It logs in (APOP if asked and offered), asks CAPA, fetches every message in
    batches (pipelined when the server lists PIPELINING), printing
    ``MSG index size crc32 uid``, optionally deletes each, quits and exits.

    With ``mechanism`` (:data:`MECHANISMS`) it asks CAPA first and logs in with that
    SASL mechanism. With ``cafile`` it speaks POP3S (TLS from the first byte) and
    verifies the server's certificate against that CA chain and ``server_name``.
    When either needs random bytes (TLS, SCRAM's nonce) and ``seed_file`` is None, a
    fresh file of them is written for this run.
    """
    needs_seed = cafile is not None or (mechanism or "").lower() in _NEEDS_SEED
    guest_port = GUEST_SERVER_TLS_PORT if cafile is not None else GUEST_SERVER_PORT
    if not needs_seed:
        words = firmware_command_line(user, password, apop=apop, delete=delete, wait=wait,
                                      mechanism=mechanism)
        return run_firmware(firmware, words, server=(host, port), timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="nxpop3-seed-") as folder:
        if seed_file is None:
            seed_file = Path(folder) / "seed.bin"
            seed_file.write_bytes(os.urandom(SEED_BYTES))
        words = firmware_command_line(user, password, apop=apop, delete=delete, wait=wait,
                                      cafile=cafile, seed_file=seed_file,
                                      server_name=server_name, mechanism=mechanism)
        return run_firmware(firmware, words, server=(host, port), timeout=timeout,
                            guest_port=guest_port)


def main(argv: Sequence[str] | None = None, prog: str = "python -m nxpop3.board") -> int:
    """``python -m nxpop3.board HOST PORT USER PASSWORD [--apop | --mechanism MECH]
    [--delete] [--cafile PEM]``: build the firmware, boot it against that server, print its
    UART output; exits with its status."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog, description=main.__doc__)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("user")
    parser.add_argument("password")
    login = parser.add_mutually_exclusive_group()
    login.add_argument("--apop", action="store_true")
    login.add_argument("--mechanism", type=str.lower, choices=MECHANISMS,
                       help="log in with this SASL mechanism (CAPA first, then AUTH)")
    parser.add_argument("--delete", action="store_true")
    parser.add_argument("--cafile", help="POP3S: the CA chain (PEM) the firmware trusts")
    parser.add_argument("--seed-file", help="POP3S, SCRAM: random bytes for the entropy "
                        "hook and the nonce (default: fresh ones)")
    parser.add_argument("--server-name", default="localhost",
                        help="POP3S: the DNS name the certificate must carry")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--source", help="nxpop3 checkout (default: searched)")
    options = parser.parse_args(argv)
    firmware = build_firmware(options.source)
    result = fetch_mailbox(firmware, options.host, options.port, options.user,
                           options.password, apop=options.apop, delete=options.delete,
                           timeout=options.timeout, cafile=options.cafile,
                           seed_file=options.seed_file, server_name=options.server_name,
                           mechanism=options.mechanism)
    sys.stdout.write(result.uart)
    sys.stderr.write(result.stderr)
    if result.timed_out:
        return 124
    return result.exit_code if result.exit_code is not None else 1
