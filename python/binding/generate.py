"""Write the C source of the cffi extension ``nxpop3._binding`` (API mode).

Usage: generate.py CDEF_HEADER OUTPUT_C. Run by CMake at build time.
"""
from __future__ import annotations

import sys
from pathlib import Path

import cffi

# The headers the declarations in the cdef come from.
C_SOURCE = """
#include "nx_api.h"
#include "nx_transport.h"
#include "nxd_pop3_client.h"
#include "nx_pop3_reply.h"
#include "nx_pop3_body.h"
#include "nx_md5.h"
#include "nx_transport_posix.h"
#include "nx_transport_scripted.h"
"""


def main(argv: list[str]) -> int:
    cdef_path, output = Path(argv[1]), Path(argv[2])
    ffi = cffi.FFI()
    ffi.cdef(cdef_path.read_text(encoding="utf-8"))
    ffi.set_source("nxpop3._binding", C_SOURCE)
    output.parent.mkdir(parents=True, exist_ok=True)
    ffi.emit_c_code(str(output))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
