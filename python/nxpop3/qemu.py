"""Build the nxpop3 firmware and run it on QEMU's ``mps2-an385`` board.

The firmware (``hw/app``) is the C client on a Cortex-M3, over lwIP and the emulated
LAN9118 Ethernet. QEMU's user network runs with ``restrict=on``: the only way out of the
guest is ``guestfwd``, which hands each guest connection to 10.0.2.100:110 to a fresh
relay process (:mod:`nxpop3.qemu_relay`) connected to a POP3 server on the host. The
firmware's verdict is its semihosting exit status, which becomes QEMU's: 0, or the
first NetX status that was not ``NX_SUCCESS``.

Pure Python: importing this module loads neither the C extension nor QEMU.

Example::

    firmware = build_firmware()
    result = fetch_mailbox(firmware, "127.0.0.1", 1110, "alice", "secret")
    assert result.exit_code == 0, result.uart
    for index, size, crc in result.messages:
        ...
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "GUEST_SERVER_ADDRESS",
    "GUEST_SERVER_PORT",
    "FirmwareBuildError",
    "QemuResult",
    "build_firmware",
    "default_build_dir",
    "fetch_mailbox",
    "find_source_dir",
    "firmware_command_line",
    "missing_tools",
    "qemu_command",
    "run_firmware",
]

#: Where the guest finds the POP3 server (QEMU's user network forwards it to the host).
GUEST_SERVER_ADDRESS = "10.0.2.100"
GUEST_SERVER_PORT = 110
#: Board exit statuses that are not NetX statuses (hw/boards/mps2_an385/board.h).
BOARD_EXIT_FAULT = 0xF1
BOARD_EXIT_ASSERT = 0xF2
BOARD_EXIT_USAGE = 0xF3
BOARD_EXIT_DEVICE = 0xF4

QEMU = "qemu-system-arm"
CROSS_GCC = "arm-none-eabi-gcc"
FIRMWARE_NAME = "nxpop3_fw.elf"

_RELAY = Path(__file__).with_name("qemu_relay.py")
_MSG = re.compile(r"^MSG (\d+) (\d+) ([0-9a-f]{8})\s*$", re.MULTILINE)
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
        return [(int(i), int(n), int(c, 16)) for i, n, c in _MSG.findall(self.uart)]

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


# -- tools and sources -----------------------------------------------------------------------
def missing_tools() -> list[str]:
    """The tools a board run needs that are not on PATH (empty when all are there)."""
    needed = [QEMU, CROSS_GCC, "cmake"]
    return [tool for tool in needed if shutil.which(tool) is None]


def find_source_dir(start: str | os.PathLike[str] | None = None) -> Path:
    """The nxpop3 source tree (holding ``hw/CMakeLists.txt`` and ``csrc/``).

    Taken from ``$NXPOP3_SOURCE_DIR``, else searched upwards from ``start`` (default: the
    working directory), then from this file (a checkout used in place).
    """
    env = os.environ.get("NXPOP3_SOURCE_DIR")
    candidates: list[Path] = []
    if env:
        candidates.append(Path(env))
    for base in (Path(start) if start is not None else Path.cwd(), Path(__file__).resolve()):
        candidates.extend([base, *base.parents])
    for path in candidates:
        if (path / "hw" / "CMakeLists.txt").is_file() and (path / "csrc").is_dir():
            return path.resolve()
    raise FileNotFoundError(
        "nxpop3 sources (hw/ and csrc/) not found: set NXPOP3_SOURCE_DIR to a checkout"
    )


def default_build_dir(source_dir: str | os.PathLike[str]) -> Path:
    """A per-checkout build folder in the user's cache, reused between runs.

    ``$NXPOP3_HW_BUILD_DIR`` overrides it.
    """
    env = os.environ.get("NXPOP3_HW_BUILD_DIR")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha1(str(Path(source_dir).resolve()).encode()).hexdigest()[:12]
    return cache / "nxpop3" / f"hw-{digest}"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (parallel test workers share one build)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, builds may race
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _run_step(command: list[str], timeout: float) -> None:
    try:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FirmwareBuildError(f"{' '.join(command)} took over {timeout:.0f} s") from exc
    if done.returncode != 0:
        output = done.stdout.decode("utf-8", "replace")
        raise FirmwareBuildError(f"{' '.join(command)} failed ({done.returncode}):\n{output}")


def build_firmware(
    source_dir: str | os.PathLike[str] | None = None,
    build_dir: str | os.PathLike[str] | None = None,
    *,
    jobs: int = 2,
    timeout: float = 900.0,
    cmake_args: Sequence[str] = (),
) -> Path:
    """Configure and build the firmware with CMake; returns the ELF's path.

    The build folder is reused, so a second call only checks that nothing changed.
    lwIP is fetched on the first configure (``hw/scripts/fetch_lwip.sh``).
    """
    source = Path(source_dir) if source_dir is not None else find_source_dir()
    build = Path(build_dir) if build_dir is not None else default_build_dir(source)
    missing = missing_tools()
    if missing:
        raise FirmwareBuildError("missing tools: " + ", ".join(missing))
    configure = ["cmake", "-S", str(source / "hw"), "-B", str(build),
                 f"-DCMAKE_TOOLCHAIN_FILE={source / 'hw' / 'cmake' / 'arm-none-eabi.cmake'}"]
    if not (build / "CMakeCache.txt").exists() and shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    configure += list(cmake_args)
    with _locked(build.parent / f"{build.name}.lock"):
        _run_step(configure, timeout)
        _run_step(["cmake", "--build", str(build), "-j", str(max(1, jobs))], timeout)
    firmware = build / FIRMWARE_NAME
    if not firmware.is_file():
        raise FirmwareBuildError(f"the build produced no {firmware}")
    return firmware


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

    It logs in (APOP if asked and offered), fetches every message (printing
    ``MSG index size crc32``), optionally deletes each, quits and exits.
    """
    words = firmware_command_line(user, password, apop=apop, delete=delete, wait=wait)
    return run_firmware(firmware, words, server=(host, port), timeout=timeout)


def _main(argv: Sequence[str] | None = None) -> int:
    """``python -m nxpop3.qemu HOST PORT USER PASSWORD [--apop] [--delete]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m nxpop3.qemu", description=_main.__doc__)
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


if __name__ == "__main__":
    sys.exit(_main())
