"""Write the C source of the cffi extension ``nxpop3._binding`` (API mode).

Usage: generate.py CDEF_HEADER INCLUDE_DIR... OUTPUT_C. Run by CMake at build time.

The declarations cffi needs come from two places: ``nxpop3_cdef.h`` holds what
only a person can say (the types, which struct fields Python reads, the Python
callbacks); the integer constants and the function prototypes are read from the
C headers themselves, so a service added in C is bound without restating it.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import cffi

# The headers bound, in include order.
HEADERS = [
    "nx_api.h",
    "nx_transport.h",
    "nx_pop3_config.h",
    "nxd_pop3_client.h",
    "nx_md5.h",
    "nx_pop3_reply.h",
    "nx_pop3_body.h",
    "nx_transport_posix.h",
    "nx_transport_scripted.h",
]

_DEFINE = re.compile(r"^#define\s+(NX_\w+)[ \t]+(\S.*)$", re.M)
_PROTOTYPE = re.compile(r"^(UINT|VOID|ULONG|INT|LONG)[ \t]+(\w+)\(([^;]*?)\);", re.M | re.S)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_PUBLIC = re.compile(r"^#define\s+(nxd?_pop3_client_\w+)\s+(_nxd?_pop3_client_\w+)\s*$", re.M)


def _constants(text: str) -> list[str]:
    """``#define NAME ...`` for each integer constant (not the macros taking
    arguments, pointers or sizeof-based sizes)."""
    out = []
    for name, value in _DEFINE.findall(text):
        if name.endswith("_H") or any(t in value for t in ("VOID", "*", "sizeof", "\\", '"')):
            continue
        out.append(f"#define {name} ...")
    return out


def _prototypes(text: str) -> list[str]:
    """Every function declared, with the public names of the checked services
    (those under ``#ifdef NX_DISABLE_ERROR_CHECKING`` map the names to the core)."""
    public = {core: name for name, core in _PUBLIC.findall(text)}
    out = []
    for result, name, params in _PROTOTYPE.findall(text):
        if name.startswith(("_nxe_", "_nxde_")):
            continue  # the checking layer is reached through the public names
        params = " ".join(params.replace("VOID", "void").split())
        result = "void" if result == "VOID" else result
        out.append(f"{result} {name}({params});")
        if name in public:
            out.append(f"{result} {public[name]}({params});")
    return out


def cdef_text(cdef_path: Path, include_dirs: list[Path]) -> str:
    parts = [cdef_path.read_text(encoding="utf-8")]
    seen: set[str] = set()
    for header in HEADERS:
        path = next((d / header for d in include_dirs if (d / header).exists()), None)
        if path is None:
            raise SystemExit(f"generate.py: {header} not found in {include_dirs}")
        text = _COMMENT.sub(" ", path.read_text(encoding="utf-8"))
        lines = [line for line in _constants(text) + _prototypes(text) if line not in seen]
        seen.update(lines)
        parts.append(f"/* From {header}. */\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    cdef_path, include_dirs, output = Path(argv[1]), [Path(a) for a in argv[2:-1]], Path(argv[-1])
    ffi = cffi.FFI()
    ffi.cdef(cdef_text(cdef_path, include_dirs))
    ffi.set_source("nxpop3._binding",
                   "\n".join(f'#include "{header}"' for header in HEADERS) + "\n")
    output.parent.mkdir(parents=True, exist_ok=True)
    ffi.emit_c_code(str(output))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
