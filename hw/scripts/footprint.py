#!/usr/bin/env python3
"""Print the Cortex-M3 (-Os) footprint of the POP3 client, the packet pool and the shim,
and of Mbed TLS and the TLS transport apart from them.

Sizes come from ``arm-none-eabi-size`` on the members of the firmware build's static
libraries; the control block sizes from a probe object compiled with the compiler, flags,
include folders and defines the build used for the client (read from its
``compile_commands.json``; ``arm-none-eabi-nm -S`` gives the size of one global of each
type).

    python3 hw/scripts/footprint.py [--build-dir DIR] [--no-run] [--baseline REV]

It builds the firmware first (``nxpop3.board.build_firmware``, the build the board
tests and the runner use; nothing to do when it is up to date). Without --build-dir it
uses their folder: ``$NXPOP3_HW_BUILD_DIR``, else ``~/.cache/nxpop3/hw-<hash of this
checkout>``.

For comparison: NetX Duo's POP3 client with MD5 is about 6.1 KB of text and its
NX_POP3_CLIENT is 576 bytes.

Configurations (nx_pop3_config.h): the core library is built again with the macros of
each row (the firmware's compiler and flags), and measured twice: the whole library's
client members (nx_pop3_*, MD5 and its wipe: the sum the numbers before SASL used), and
what a program that calls every public service of that build links with --gc-sections,
split into the client, SASL (the mechanisms and base64) and each crypto primitive. The
rows: SASL as built by default (all six mechanisms), SASL compiled out, each mechanism
alone, and the extensions and nxpop3's additions out. --baseline REV adds the same
measurements of the csrc/ of a git revision (``git archive``), e.g. the one before SASL.

TLS (POP3S): Mbed TLS's text and static RAM as linked into the firmware (its symbols,
from ``nm``), the TLS transport's, ``sizeof(NX_TRANSPORT_TLS)``, the buffers the example
gives it (heap, CA chain, seed), and the heap's high-water mark in one POP3S fetch on
QEMU from the test server (a 2 KB message and a 190 KB one, a P-256 ECDSA or a
2048-bit RSA certificate; skipped with --no-run, or without qemu-system-arm or trustme).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
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
    ("SASL + base64", "csrc/libnxpop3_core.a", ("nx_pop3_sasl", "nx_base64")),
    ("MD5 (APOP)", "csrc/libnxpop3_core.a", ("nx_md5", "nx_crypto_wipe")),
    ("SHA-256", "csrc/libnxpop3_core.a", ("nx_sha256",)),
    ("HMAC (MD5, SHA256)", "csrc/libnxpop3_core.a", ("nx_hmac",)),
    ("PBKDF2", "csrc/libnxpop3_core.a", ("nx_pbkdf2",)),
    ("packet pool", "csrc/libnxpop3_core.a", ("nx_packet",)),
    ("IP + TCP shim", "csrc/libnxpop3_core.a", ("nx_ip", "nx_tcp")),
    ("lwIP transport", "libnxpop3_transport_lwip.a", ("nx_transport_lwip",)),
    ("lwIP (IPv4, TCP)", "libnxpop3_lwip.a", ("",)),
]
# The members of "client + MD5": the client (its SASL members included), MD5 and the
# wipe MD5 calls.
APOP_CLIENT = ("nx_pop3_", "nx_md5", "nx_crypto_wipe")
# ... and with SASL's members and primitives: everything of the client.
CLIENT_ALL = (*APOP_CLIENT, "nx_base64", "nx_sha256", "nx_hmac", "nx_pbkdf2")
CLIENT_ROWS = ("POP3 client", "SASL + base64", "MD5 (APOP)", "SHA-256", "HMAC (MD5, SHA256)",
               "PBKDF2")
CORE_LIBRARY = "csrc/libnxpop3_core.a"
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


def component_of(member: str, library: str = CORE_LIBRARY) -> str | None:
    """The COMPONENTS row of a library member: the longest matching prefix wins (the
    SASL members are nx_pop3_sasl*, not the client's)."""
    best: tuple[int, str | None] = (-1, None)
    for label, path, prefixes in COMPONENTS:
        for prefix in prefixes:
            if path == library and member.startswith(prefix) and len(prefix) > best[0]:
                best = (len(prefix), label)
    return best[1]


SASL_MECHANISMS = ["PLAIN", "LOGIN", "CRAM_MD5", "SCRAM_SHA_256", "XOAUTH2", "OAUTHBEARER"]
# Columns of the configuration table: the core's members by the longest matching prefix.
GROUPS = [("client", ("nx_pop3_",)), ("SASL", ("nx_pop3_sasl", "nx_base64")),
          ("MD5", ("nx_md5",)), ("SHA-256", ("nx_sha256",)), ("HMAC", ("nx_hmac",)),
          ("PBKDF2", ("nx_pbkdf2",)), ("wipe", ("nx_crypto_wipe",))]
# The public services a probe program calls: the checking layer (the default) and the
# few public functions without one.
SERVICE_PREFIXES = ("_nxe_pop3_", "_nxde_pop3_", "nx_pop3_client_")


def group_of(member: str) -> str | None:
    best: tuple[int, str | None] = (-1, None)
    for label, prefixes in GROUPS:
        for prefix in prefixes:
            if member.startswith(prefix) and len(prefix) > best[0]:
                best = (len(prefix), label)
    return best[1]


def sasl_only(keep: list[str]) -> list[str]:
    """The parts to compile out so that only the mechanisms ``keep`` are built."""
    return [f"SASL_{m}" for m in SASL_MECHANISMS if m not in keep]


# (label, parts compiled out: NX_POP3_CLIENT_ENABLE_<part> = 0).
CONFIGURATIONS = [
    ("SASL: all six (default)", []),
    ("SASL out", sasl_only([])),
    *[(f"{m.replace('_', '-')} only", sasl_only([m])) for m in SASL_MECHANISMS],
    ("extensions, SASL out", EXTENSIONS + sasl_only([])),
    ("all optional out", EXTENSIONS + ADDITIONS + sasl_only([])),
]
# The rows measured at --baseline, and their names there (a revision before SASL ignores
# the SASL macros).
BASELINE_ROWS = {"SASL out": "all in", "extensions, SASL out": "extensions out",
                 "all optional out": "all optional out"}


@contextlib.contextmanager
def core_built(build: Path, source: Path, parts: list[str]) -> Iterator[Path]:
    """The core library of ``source`` (a csrc/ folder) built with ``parts`` compiled out,
    with the firmware's own compiler and flags; removed afterwards."""
    compiler, *flags = [w for w in client_compile_command(build)
                        if not w.startswith(("-I", "-D", "-std"))]
    defines = [f"-DNX_POP3_CLIENT_ENABLE_{part}=0" for part in parts]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["cmake", "-S", str(source), "-B", tmp,
                        f"-DCMAKE_C_COMPILER={compiler}",
                        f"-DCMAKE_C_FLAGS={' '.join(flags + defines)}",
                        "-DCMAKE_SYSTEM_NAME=Generic",
                        "-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY",
                        "-DNXPOP3_HOST_TRANSPORTS=OFF", "-DNXPOP3_TRANSPORT_TLS=OFF"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", tmp, "-j", "2"], check=True,
                       stdout=subprocess.DEVNULL)
        yield Path(tmp) / "libnxpop3_core.a"


def library_client_text(library: Path) -> int:
    """Client + MD5 text of the whole library (the sum the numbers before SASL used)."""
    return sum(t for name, (t, _, _) in member_sizes(library).items()
               if name.startswith(APOP_CLIENT))


def linked_by_every_service(build: Path, library: Path) -> dict[str, int]:
    """Text of each group that a program calling every public service of ``library``
    links (--gc-sections): what a firmware that may call any of them pays."""
    out = subprocess.run([tool("nm"), "-g", "--defined-only", str(library)], check=True,
                         capture_output=True, text=True).stdout
    services = sorted({f[2] for f in (line.split() for line in out.splitlines())
                       if len(f) == 3 and f[1] == "T" and f[2].startswith(SERVICE_PREFIXES)})
    compiler, *flags = [w for w in client_compile_command(build)
                        if not w.startswith(("-I", "-D", "-std"))]
    # The probe only takes their addresses: no prototype of the header is needed.
    source = "".join(f"void {name}(void);\n" for name in services)
    source += ("void (*const volatile nxpop3_services[])(void) = {\n"
               + "".join(f"    {name},\n" for name in services) + "};\n"
               "int main(void) { return nxpop3_services[0] != 0; }\n")
    with tempfile.TemporaryDirectory() as tmp:
        c_file = Path(tmp) / "services.c"
        elf = Path(tmp) / "services.elf"
        c_file.write_text(source)
        subprocess.run([compiler, *flags, "-nostartfiles", "--specs=nosys.specs",
                        "-Wl,--gc-sections", "-Wl,-e,main", str(c_file), str(library),
                        "-o", str(elf)], check=True)
        linked = linked_sizes(elf)
    out = subprocess.run([tool("nm"), "--defined-only", str(library)], check=True,
                         capture_output=True, text=True).stdout
    totals = {label: 0 for label, _ in GROUPS}
    member = ""
    counted: set[str] = set()
    for line in out.splitlines():
        if line.endswith(":"):
            member = line[:-1]
            continue
        fields = line.split()
        group = group_of(member)
        if (len(fields) == 3 and fields[1] in "TtRr" and group is not None
                and fields[2] in linked and fields[2] not in counted):
            counted.add(fields[2])
            totals[group] += linked[fields[2]][1]
    return totals


def configuration_row(build: Path, source: Path, label: str, parts: list[str]) -> str:
    with core_built(build, source, parts) as library:
        whole = library_client_text(library)
        linked = linked_by_every_service(build, library)
    cells = " ".join(f"{linked[g]:>7}" for g, _ in GROUPS)
    return f"{label:<24} {whole:>7} {cells} {sum(linked.values()):>7}"


def print_configurations(build: Path, baseline: str | None) -> None:
    """The client's text in each configuration of CONFIGURATIONS (and at ``baseline``)."""
    print("Configurations, text in bytes: 'library' is the whole library's client + MD5;")
    print("the rest is what a program calling every public service links (--gc-sections)")
    header = " ".join(f"{g:>7}" for g, _ in GROUPS)
    print(f"{'configuration':<24} {'library':>7} {header} {'linked':>7}")
    for label, parts in CONFIGURATIONS:
        print(configuration_row(build, REPO / "csrc", label, parts))
    if baseline is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", baseline, "csrc"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        for label, parts in CONFIGURATIONS:
            if label in BASELINE_ROWS:
                name = f"{baseline[:10]}: {BASELINE_ROWS[label]}"
                print(configuration_row(build, Path(tmp) / "csrc", name, parts))


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
    parser.add_argument("--baseline", metavar="REV",
                        help="also measure the csrc/ of this git revision (e.g. before SASL)")
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
    for label, library, _ in COMPONENTS:
        path = build / library
        if path not in cache:
            cache[path] = member_sizes(path)
        text = data = bss = 0
        for name, (t, d, b) in cache[path].items():
            if component_of(name, library) == label:
                text, data, bss = text + t, data + d, bss + b
        if label in CLIENT_ROWS:
            client_text += text
        print(f"{label:<18} {text:>7} {data:>6} {bss:>6}")
    print(f"{'client, all':<18} {client_text:>7}   (client, SASL, crypto; NetX Duo reference, "
          "client + MD5: ~6100)")
    core = build / "csrc" / "libnxpop3_core.a"
    linked = linked_text(build / FIRMWARE_NAME, member_symbols(core, CLIENT_ALL))
    print(f"{'  of it linked':<18} {linked:>7}   (by the example firmware: login or CAPA and "
          "AUTH, CAPA, STAT, UIDL, pipelined RETR, DELE, QUIT)")
    print()
    print_configurations(build, options.baseline)
    print()
    for name, size in probe_sizes(build).items():
        note = "   (NetX Duo reference: 576)" if name == "NX_POP3_CLIENT" else ""
        print(f"sizeof({name}) = {size}{note}")
    print_tls(build, not options.no_run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
