#!/usr/bin/env python3
"""Print the Cortex-M3 (-Os) footprint of the POP3 client, the packet pool and the shim,
and of Mbed TLS and the TLS transport apart from them.

Sizes come from ``arm-none-eabi-size`` on the members of the firmware build's static
libraries; the control block sizes from a probe object compiled with the compiler, flags,
include folders and defines the build used for the client (read from its
``compile_commands.json``; ``arm-none-eabi-nm -S`` gives the size of one global of each
type).

    python3 hw/scripts/footprint.py [--build-dir DIR]

It builds the firmware first (``nxpop3.board.build_firmware``, the build the board
tests and the runner use; nothing to do when it is up to date). Without --build-dir it
uses their folder: ``$NXPOP3_HW_BUILD_DIR``, else ``~/.cache/nxpop3/hw-<hash of this
checkout>``.

For comparison: NetX Duo's POP3 client with MD5 is about 6.1 KB of text and its
NX_POP3_CLIENT is 576 bytes.

TLS (POP3S): Mbed TLS's text and static RAM as linked into the firmware (its symbols,
from ``nm``), the TLS transport's, ``sizeof(NX_TRANSPORT_TLS)``, the buffers the example
gives it (heap, CA chain, seed), and the heap's high-water mark in one POP3S fetch on
QEMU from the test server (a 2 KB message and a 190 KB one, a P-256 ECDSA or a
2048-bit RSA certificate; skipped with --no-run, or without qemu-system-arm or trustme).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HW = Path(__file__).resolve().parents[1]
REPO = HW.parent
sys.path.insert(0, str(REPO / "python"))  # nxpop3.board is pure Python: this checkout's
from nxpop3.board import FirmwareBuildError, build_firmware, default_build_dir  # noqa: E402
from nxpop3.board.firmware import FIRMWARE_NAME  # noqa: E402

PREFIX = os.environ.get("NXPOP3_ARM_PREFIX", "arm-none-eabi-")
# The build's compile command of this file is the probe's (the client's own layout).
PROBE_LIKE = "csrc/pop3/nx_pop3_client.c"

# Component -> (library relative to the build folder, member name prefixes). MD5's row
# holds the crypto layer's wipe, which it calls; SHA-256, HMAC and PBKDF2 are SASL's
# (the lead's per-mechanism table adds them up), linked only when a mechanism is.
COMPONENTS = [
    ("POP3 client", "csrc/libnxpop3_core.a", ("nx_pop3_",)),
    ("MD5 (APOP)", "csrc/libnxpop3_core.a", ("nx_md5", "nx_crypto_wipe")),
    ("SHA-256", "csrc/libnxpop3_core.a", ("nx_sha256",)),
    ("HMAC (MD5, SHA256)", "csrc/libnxpop3_core.a", ("nx_hmac",)),
    ("PBKDF2", "csrc/libnxpop3_core.a", ("nx_pbkdf2",)),
    ("packet pool", "csrc/libnxpop3_core.a", ("nx_packet",)),
    ("IP + TCP shim", "csrc/libnxpop3_core.a", ("nx_ip", "nx_tcp")),
    ("lwIP transport", "libnxpop3_transport_lwip.a", ("nx_transport_lwip",)),
    ("lwIP (IPv4, TCP)", "libnxpop3_lwip.a", ("",)),
]
# The members of "client + MD5": the client, MD5 and the wipe MD5 calls.
APOP_CLIENT = ("nx_pop3_", "nx_md5", "nx_crypto_wipe")
MBEDTLS_LIBRARY = "libnxpop3_mbedtls.a"
TLS_TRANSPORT_LIBRARY = "csrc/libnxpop3_transport_tls.a"
TLS_PROBE_LIKE = "csrc/transport/tls/nx_transport_tls.c"
# The example's static buffers for POP3S (hw/app/main.c).
TLS_APP_BUFFERS = [("app_tls_heap", "Mbed TLS heap (static buffer)"),
                   ("app_ca", "CA chain file buffer"), ("app_seed", "seed file buffer")]

PROBE_TYPES = ["NX_POP3_CLIENT", "NX_PACKET_POOL", "NX_PACKET", "NX_IP", "NX_TCP_SOCKET"]


def tool(name: str) -> str:
    path = shutil.which(PREFIX + name)
    if path is None:
        sys.exit(f"footprint: {PREFIX}{name} not found (apt-get install gcc-arm-none-eabi)")
    return path


def member_sizes(library: Path) -> dict[str, tuple[int, int, int]]:
    """text, data, bss of each member of a static library."""
    out = subprocess.run([tool("size"), "-B", str(library)], check=True,
                         capture_output=True, text=True).stdout
    sizes: dict[str, tuple[int, int, int]] = {}
    for line in out.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 6:
            continue
        text, data, bss = (int(v) for v in fields[:3])
        name = fields[5]
        sizes[name] = (text, data, bss)
    return sizes


def client_compile_command(build: Path, like: str = PROBE_LIKE) -> list[str]:
    """The compiler and flags the build used for the client (or for ``like``), without
    its input, output, dependency files or -Werror (the probe is not the client's code)."""
    entries = json.loads((build / "compile_commands.json").read_text())
    for entry in entries:
        if entry["file"].replace(os.sep, "/").endswith(like):
            words = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
            break
    else:
        sys.exit(f"footprint: {like} is not in {build / 'compile_commands.json'}")
    command: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in ("-o", "-c", "-MF", "-MT", "-MQ"):
            skip = True
        elif word in ("-MD", "-MMD") or word.startswith("-Werror"):
            continue
        else:
            command.append(word)
    return command


def probe_sizes(build: Path, types: list[str] = PROBE_TYPES,
                headers: tuple[str, ...] = ("nx_api.h", "nxd_pop3_client.h"),
                like: str = PROBE_LIKE) -> dict[str, int]:
    """sizeof() of the control blocks, as the cross compiler lays them out."""
    source = "".join(f"{t} nxpop3_probe_{t};\n" for t in types)
    source = "".join(f'#include "{h}"\n' for h in headers) + source
    compile_command = client_compile_command(build, like)
    with tempfile.TemporaryDirectory() as tmp:
        c_file = Path(tmp) / "probe.c"
        o_file = Path(tmp) / "probe.o"
        c_file.write_text(source)
        subprocess.run([*compile_command, "-fno-common", "-c", str(c_file), "-o", str(o_file)],
                       check=True, cwd=build)
        out = subprocess.run([tool("nm"), "-S", "--size-sort", "-t", "d", str(o_file)],
                             check=True, capture_output=True, text=True).stdout
    sizes: dict[str, int] = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[3].startswith("nxpop3_probe_"):
            sizes[fields[3][len("nxpop3_probe_"):]] = int(fields[1])
    return sizes


# The parts nx_pop3_config.h lets a build leave out: the extensions, then nxpop3's
# own additions to the NetX API.
EXTENSIONS = ["CAPA", "LISTINGS", "TOP", "UTF8", "PIPELINING", "RESPONSE_CODES", "STLS"]
ADDITIONS = ["MESSAGE_READ", "CONTINUATIONS"]


def client_text_without(build: Path, parts: list[str]) -> int:
    """Client + MD5 text of the core library built with ``parts`` compiled out,
    with the firmware's own compiler and flags."""
    compiler, *flags = [w for w in client_compile_command(build)
                        if not w.startswith(("-I", "-D", "-std"))]
    defines = [f"-DNX_POP3_CLIENT_ENABLE_{part}=0" for part in parts]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["cmake", "-S", str(REPO / "csrc"), "-B", tmp,
                        f"-DCMAKE_C_COMPILER={compiler}",
                        f"-DCMAKE_C_FLAGS={' '.join(flags + defines)}",
                        "-DCMAKE_SYSTEM_NAME=Generic",
                        "-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY",
                        "-DNXPOP3_HOST_TRANSPORTS=OFF"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", tmp, "-j", "2"], check=True,
                       stdout=subprocess.DEVNULL)
        sizes = member_sizes(Path(tmp) / "libnxpop3_core.a")
    return sum(t for name, (t, _, _) in sizes.items() if name.startswith(APOP_CLIENT))


def member_symbols(library: Path, prefixes: tuple[str, ...]) -> set[str]:
    """The names of the functions and constants the matching members define."""
    out = subprocess.run([tool("nm"), "--defined-only", str(library)], check=True,
                         capture_output=True, text=True).stdout
    names: set[str] = set()
    member = ""
    for line in out.splitlines():
        if line.endswith(":"):
            member = line[:-1]
            continue
        fields = line.split()
        if (len(fields) == 3 and fields[1] in "TtRr" and
                any(member.startswith(p) for p in prefixes)):
            names.add(fields[2])
    return names


def linked_text(elf: Path, names: set[str]) -> int:
    """Bytes of those functions and constants the firmware links (--gc-sections
    leaves out what it never calls)."""
    out = subprocess.run([tool("nm"), "-S", "-t", "d", "--defined-only", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    total = 0
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in "TtRr" and fields[3] in names:
            total += int(fields[1])
    return total


def linked_sizes(elf: Path, names: set[str] | None = None) -> dict[str, tuple[str, int]]:
    """Each symbol the firmware links: its nm type and size (all, or those in ``names``)."""
    out = subprocess.run([tool("nm"), "-S", "-t", "d", "--defined-only", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    found: dict[str, tuple[str, int]] = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and (names is None or fields[3] in names):
            found[fields[3]] = (fields[2], int(fields[1]))
    return found


def library_symbols(library: Path) -> set[str]:
    """Every global or local name a static library's members define."""
    out = subprocess.run([tool("nm"), "--defined-only", str(library)], check=True,
                         capture_output=True, text=True).stdout
    return {f[2] for f in (line.split() for line in out.splitlines()) if len(f) == 3}


def linked_text_ram(elf: Path, names: set[str]) -> tuple[int, int]:
    """(text incl. constants, data + bss) of those symbols as the firmware links them."""
    text = ram = 0
    for kind, size in linked_sizes(elf, names).values():
        if kind in "TtRr":
            text += size
        elif kind in "DdBbCc":
            ram += size
    return text, ram


def tls_heap_peak(firmware: Path) -> list[tuple[str, int, int]]:
    """Boot one POP3S fetch per certificate kind; (kind, peak, heap size) of each."""
    from nxpop3.board import fetch_mailbox, missing_tools
    from nxpop3.testing import Pop3Server
    from nxpop3.testing.certificates import CertificateAuthority

    if missing_tools():
        raise RuntimeError("needs " + ", ".join(missing_tools()))
    messages = [b"Subject: small\r\n\r\n" + b"x" * 2000 + b"\r\n",
                b"Subject: big\r\n\r\n" + (b"y" * 76 + b"\r\n") * 2500]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("ecdsa", "rsa"):
            authority = CertificateAuthority(kind)
            cafile = authority.write_ca(Path(tmp) / f"{kind}.pem")
            with Pop3Server(messages, tls=authority.server_context()) as server:
                result = fetch_mailbox(firmware, server.host, server.port, server.user,
                                       server.password, cafile=cafile, timeout=120)
            if result.exit_code != 0 or result.tls_heap is None:
                raise RuntimeError(f"the POP3S run failed:\n{result.describe()}")
            results.append((kind, *result.tls_heap))
    return results


def print_tls(build: Path, run: bool) -> None:
    """Mbed TLS and the TLS transport, apart from the client."""
    elf = build / FIRMWARE_NAME
    mbedtls = build / MBEDTLS_LIBRARY
    transport = build / TLS_TRANSPORT_LIBRARY
    if not mbedtls.exists() or not transport.exists():
        print("TLS: not built (no Mbed TLS in this build)")
        return
    compiled = member_sizes(mbedtls)
    print()
    print("TLS (POP3S), apart from the client; bytes")
    print(f"{'component':<30} {'text':>7} {'RAM':>6}")
    text, ram = linked_text_ram(elf, library_symbols(mbedtls))
    print(f"{'Mbed TLS 2.28, linked':<30} {text:>7} {ram:>6}   (static data + bss)")
    print(f"{'  compiled (whole library)':<30} {sum(t for t, _, _ in compiled.values()):>7} "
          f"{sum(d + b for _, d, b in compiled.values()):>6}   (hw/mbedtls config; "
          "--gc-sections drops the rest)")
    text, ram = linked_text_ram(elf, library_symbols(transport))
    print(f"{'TLS transport, linked':<30} {text:>7} {ram:>6}")
    sizes = probe_sizes(build, ["NX_TRANSPORT_TLS"], ("nx_transport_tls.h",), TLS_PROBE_LIKE)
    print(f"{'sizeof(NX_TRANSPORT_TLS)':<30} {'':>7} {sizes.get('NX_TRANSPORT_TLS', 0):>6}"
          "   (one connection; the application's)")
    buffers = linked_sizes(elf, {name for name, _ in TLS_APP_BUFFERS})
    for name, label in TLS_APP_BUFFERS:
        size = buffers.get(name, ("", 0))[1]
        print(f"{label:<30} {'':>7} {size:>6}   (hw/app/main.c {name})")
    if not run:
        return
    try:
        peaks = tls_heap_peak(elf)
    except (ImportError, RuntimeError) as exc:
        print(f"heap high-water mark: not measured ({exc})")
        return
    for kind, peak, size in peaks:
        print(f"{'Mbed TLS heap, used at most':<30} {'':>7} {peak:>6}   (of {size}; one POP3S "
              f"fetch, {kind} certificate, 16 KiB records)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=default_build_dir(REPO))
    parser.add_argument("--no-run", action="store_true",
                        help="do not boot QEMU to measure Mbed TLS's heap")
    options = parser.parse_args()
    build = options.build_dir.resolve()
    try:
        build_firmware(REPO, build, cmake_args=["-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"])
    except FirmwareBuildError as exc:
        sys.exit(f"footprint: the firmware did not build:\n{exc}")

    cache: dict[Path, dict[str, tuple[int, int, int]]] = {}
    print("Cortex-M3, -Os, arm-none-eabi-gcc; bytes")
    print(f"{'component':<18} {'text':>7} {'data':>6} {'bss':>6}")
    client_text = 0
    for label, library, prefixes in COMPONENTS:
        path = build / library
        if path not in cache:
            cache[path] = member_sizes(path)
        text = data = bss = 0
        for name, (t, d, b) in cache[path].items():
            if any(name.startswith(p) for p in prefixes):
                text, data, bss = text + t, data + d, bss + b
        if label in ("POP3 client", "MD5 (APOP)"):
            client_text += text
        print(f"{label:<18} {text:>7} {data:>6} {bss:>6}")
    print(f"{'client + MD5':<18} {client_text:>7}   (NetX Duo reference: ~6100)")
    core = build / "csrc" / "libnxpop3_core.a"
    linked = linked_text(build / FIRMWARE_NAME, member_symbols(core, APOP_CLIENT))
    print(f"{'  of it linked':<18} {linked:>7}   (by the example firmware: create, CAPA, "
          "STAT, UIDL, pipelined RETR, DELE, QUIT)")
    print(f"{'  extensions out':<18} {client_text_without(build, EXTENSIONS):>7}   "
          "(NX_POP3_CLIENT_ENABLE_CAPA ... _RESPONSE_CODES = 0)")
    print(f"{'  all optional out':<18} {client_text_without(build, EXTENSIONS + ADDITIONS):>7}   "
          "(and _MESSAGE_READ, _CONTINUATIONS = 0: NetX's API only)")
    print()
    for name, size in probe_sizes(build).items():
        note = "   (NetX Duo reference: 576)" if name == "NX_POP3_CLIENT" else ""
        print(f"sizeof({name}) = {size}{note}")
    print_tls(build, not options.no_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
