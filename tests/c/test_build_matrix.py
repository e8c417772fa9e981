"""The C sources build warning-free (-Wall -Wextra -Werror) in every
configuration we promise: gcc and clang for the host, arm-none-eabi for
Cortex-M3 at -Os, each with and without NX_DISABLE_ERROR_CHECKING, and with a
tiny configuration (short reply line, small text buffer), and with each optional
part (the extensions, nxpop3's additions) compiled out alone and all together."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nxpop3.testing.dependencies import require_tool

ROOT = Path(__file__).resolve().parents[2]
CSRC = ROOT / "csrc"

# The parts nx_pop3_config.h lets a build leave out (NX_POP3_CLIENT_ENABLE_*).
OPTIONAL = ["CAPA", "LISTINGS", "TOP", "UTF8", "PIPELINING", "RESPONSE_CODES", "STLS",
            "MESSAGE_READ", "CONTINUATIONS"]

CONFIGS = {
    "checked": "",
    "unchecked": "-DNX_DISABLE_ERROR_CHECKING",
    "tiny": "-DNX_POP3_MAX_REPLY_LINE=64 -DNX_POP3_REPLY_TEXT_SIZE=1 -DNX_POP3_MAX_PASSWORD=8",
    # All the optional parts out: the NetX API and nothing more.
    "minimal": " ".join(f"-DNX_POP3_CLIENT_ENABLE_{name}=0" for name in OPTIONAL),
}
# Each optional part out alone: one compiler is enough to see what depends on what.
ALONE = {f"no-{name.lower()}": f"-DNX_POP3_CLIENT_ENABLE_{name}=0" for name in OPTIONAL}



def build(tmp_path: Path, compiler: str, flags: str, *extra: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["cmake", "-S", str(CSRC), "-B", str(tmp_path), f"-DCMAKE_C_COMPILER={compiler}",
         f"-DCMAKE_C_FLAGS={flags}", *extra],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(["cmake", "--build", str(tmp_path), "-j", "2"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("compiler", ["gcc", "clang"])
def test_host_build(tmp_path: Path, compiler: str, config: str) -> None:
    build(tmp_path, require_tool(compiler), CONFIGS[config] + " -O2")
    assert (tmp_path / "libnxpop3_core.a").exists()
    assert (tmp_path / "libnxpop3_transport_posix.a").exists()


@pytest.mark.parametrize("config", ALONE)
def test_each_optional_part_builds_out_alone(tmp_path: Path, config: str) -> None:
    build(tmp_path, require_tool("gcc"), ALONE[config] + " -O2")
    assert (tmp_path / "libnxpop3_core.a").exists()


@pytest.mark.parametrize("config", CONFIGS)
def test_cortex_m3_build(tmp_path: Path, config: str) -> None:
    compiler = require_tool("arm-none-eabi-gcc")
    build(tmp_path, compiler, f"-mcpu=cortex-m3 -mthumb -Os {CONFIGS[config]}",
          "-DCMAKE_SYSTEM_NAME=Generic", "-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY",
          "-DNXPOP3_HOST_TRANSPORTS=OFF")
    library = tmp_path / "libnxpop3_core.a"
    assert library.exists()
    # Every object is Thumb code for the M3, not a host object by mistake.
    dump = subprocess.run([compiler.replace("gcc", "objdump"), "-f", str(library)],
                          capture_output=True, text=True, check=True).stdout
    assert "elf32-littlearm" in dump and "x86" not in dump
