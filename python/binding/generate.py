"""Write the build-time sources the C headers determine.

Usage, run by CMake at build time:
  generate.py CDEF_HEADER INCLUDE_DIR... OUTPUT_C
      the C source of the cffi extension ``nxpop3._binding`` (API mode);
  generate.py --constants [-DNAME=VALUE...] INCLUDE_DIR... OUTPUT_PY
      ``nxpop3/_header_constants.py``: every integer ``NX_*`` constant with its
      value (the ``-D`` of the build applied), for ``nxpop3.codes``.

The declarations cffi needs come from two places: ``nxpop3_cdef.h`` holds what
only a person can say (the types, which struct fields Python reads, the Python
callbacks); the integer constants and the function prototypes are read from the
C headers themselves, so a service added in C is bound without restating it.
The constants are read by ``nxpop3/_header_scan.py``, the package's one parser of
them (``nxpop3.codes`` uses it too when run from a checkout that was never built).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nxpop3 import _header_scan  # noqa: E402  (the checkout's, not an installed one)

_PROTOTYPE = re.compile(r"^(UINT|VOID|ULONG|INT|LONG)[ \t]+(\w+)\(([^;]*?)\);", re.M | re.S)
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_PUBLIC = re.compile(r"^#define\s+(nxd?_pop3_client_\w+)\s+(_nxd?_pop3_client_\w+)\s*$", re.M)


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
    parts.append("/* Integer constants of the headers. */\n" + "\n".join(
        f"#define {name} ..." for name in _header_scan.bindable_names(include_dirs)))
    seen: set[str] = set()
    for header in _header_scan.HEADERS:
        path = next((d / header for d in include_dirs if (d / header).exists()), None)
        if path is None:
            raise SystemExit(f"generate.py: {header} not found in {include_dirs}")
        text = _COMMENT.sub(" ", path.read_text(encoding="utf-8"))
        lines = [line for line in _prototypes(text) if line not in seen]
        seen.update(lines)
        parts.append(f"/* Functions of {header}. */\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


def write_binding(argv: list[str]) -> None:
    import cffi

    cdef_path, include_dirs, output = Path(argv[0]), [Path(a) for a in argv[1:-1]], Path(argv[-1])
    ffi = cffi.FFI()
    ffi.cdef(cdef_text(cdef_path, include_dirs))
    ffi.set_source("nxpop3._binding",
                   "\n".join(f'#include "{header}"' for header in _header_scan.HEADERS) + "\n")
    output.parent.mkdir(parents=True, exist_ok=True)
    ffi.emit_c_code(str(output))


def write_constants(argv: list[str]) -> None:
    defines: dict[str, str] = {}
    paths: list[str] = []
    for arg in argv:
        if arg.startswith("-D"):
            name, _, value = arg[2:].partition("=")
            defines[name] = value or "1"
        elif arg:
            paths.append(arg)
    include_dirs, output = [Path(p) for p in paths[:-1]], Path(paths[-1])
    text = _header_scan.render(_header_scan.scan(include_dirs, defines))
    output.parent.mkdir(parents=True, exist_ok=True)
    if not output.exists() or output.read_text(encoding="utf-8") != text:
        output.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--constants"]:
        write_constants(argv[2:])
    else:
        write_binding(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
