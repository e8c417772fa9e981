#!/usr/bin/env python3
"""Print the Cortex-M3 (-Os) footprint of the POP3 client, the packet pool and the shim.

Sizes come from ``arm-none-eabi-size`` on the members of the firmware build's static
libraries; the control block sizes from a probe object compiled with the same flags
(``arm-none-eabi-nm -S`` gives the size of one global of each type).

    python3 hw/scripts/footprint.py [--build-dir DIR]

Without --build-dir it uses (and if needed configures and builds) the folder the board
tests use: ``$NXPOP3_HW_BUILD_DIR``, else ``~/.cache/nxpop3/hw-<hash of this checkout>``.

For comparison: NetX Duo's POP3 client with MD5 is about 6.1 KB of text and its
NX_POP3_CLIENT is 576 bytes.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HW = Path(__file__).resolve().parents[1]
REPO = HW.parent
PREFIX = os.environ.get("NXPOP3_ARM_PREFIX", "arm-none-eabi-")
CPU_FLAGS = ["-mcpu=cortex-m3", "-mthumb", "-Os", "-std=c99", "--specs=nano.specs"]

# Component -> (library relative to the build folder, member name prefixes).
COMPONENTS = [
    ("POP3 client", "csrc/libnxpop3_core.a", ("nx_pop3_",)),
    ("MD5 (APOP)", "csrc/libnxpop3_core.a", ("nx_md5",)),
    ("packet pool", "csrc/libnxpop3_core.a", ("nx_packet",)),
    ("IP + TCP shim", "csrc/libnxpop3_core.a", ("nx_ip", "nx_tcp")),
    ("lwIP transport", "libnxpop3_transport_lwip.a", ("nx_transport_lwip",)),
    ("lwIP (IPv4, TCP)", "libnxpop3_lwip.a", ("",)),
]

PROBE_TYPES = ["NX_POP3_CLIENT", "NX_PACKET_POOL", "NX_PACKET", "NX_IP", "NX_TCP_SOCKET"]


def tool(name: str) -> str:
    path = shutil.which(PREFIX + name)
    if path is None:
        sys.exit(f"footprint: {PREFIX}{name} not found (apt-get install gcc-arm-none-eabi)")
    return path


def ensure_build(build: Path) -> None:
    if (build / "csrc" / "libnxpop3_core.a").is_file() and (build / "libnxpop3_lwip.a").is_file():
        return
    configure = ["cmake", "-S", str(HW), "-B", str(build)]
    if not (build / "CMakeCache.txt").exists() and shutil.which("ninja"):
        configure += ["-G", "Ninja"]
    subprocess.run(configure, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(build), "-j", "2"], check=True,
                   stdout=subprocess.DEVNULL)


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


def probe_sizes() -> dict[str, int]:
    """sizeof() of the control blocks, as the cross compiler lays them out."""
    source = "".join(f"{t} nxpop3_probe_{t};\n" for t in PROBE_TYPES)
    source = '#include "nx_api.h"\n#include "nxd_pop3_client.h"\n' + source
    with tempfile.TemporaryDirectory() as tmp:
        c_file = Path(tmp) / "probe.c"
        o_file = Path(tmp) / "probe.o"
        c_file.write_text(source)
        include = str(REPO / "csrc" / "include")
        subprocess.run([tool("gcc"), *CPU_FLAGS, "-fno-common", "-I", include,
                        "-c", str(c_file), "-o", str(o_file)], check=True)
        out = subprocess.run([tool("nm"), "-S", "--size-sort", "-t", "d", str(o_file)],
                             check=True, capture_output=True, text=True).stdout
    sizes: dict[str, int] = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[3].startswith("nxpop3_probe_"):
            sizes[fields[3][len("nxpop3_probe_"):]] = int(fields[1])
    return sizes


def default_build_dir() -> Path:
    """The same folder as ``nxpop3.qemu.default_build_dir`` (shared with the tests)."""
    env = os.environ.get("NXPOP3_HW_BUILD_DIR")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha1(str(REPO.resolve()).encode()).hexdigest()[:12]
    return cache / "nxpop3" / f"hw-{digest}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=default_build_dir())
    options = parser.parse_args()
    build = options.build_dir.resolve()
    ensure_build(build)

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
    print()
    for name, size in probe_sizes().items():
        note = "   (NetX Duo reference: 576)" if name == "NX_POP3_CLIENT" else ""
        print(f"sizeof({name}) = {size}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
