"""Build the example firmware (``hw/``) with CMake and the Arm cross compiler.

The one definition of the firmware build: the board runner (:mod:`nxpop3.board.runner`),
the board tests and ``hw/scripts/footprint.py`` all build through ``build_firmware``
into the same per-checkout folder (``default_build_dir``).

Pure Python: importing this module loads neither the C extension nor any tool.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = [
    "CROSS_GCC",
    "FIRMWARE_NAME",
    "FirmwareBuildError",
    "build_firmware",
    "default_build_dir",
    "find_source_dir",
    "missing_build_tools",
]

CROSS_GCC = "arm-none-eabi-gcc"
FIRMWARE_NAME = "nxpop3_fw.elf"


class FirmwareBuildError(RuntimeError):
    """CMake could not configure or build the firmware; the message holds its output."""


def missing_build_tools() -> list[str]:
    """The tools a firmware build needs that are not on PATH (empty when all are there)."""
    return [tool for tool in (CROSS_GCC, "cmake") if shutil.which(tool) is None]


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

    The build folder is reused, so a second call only checks that nothing changed; the
    static libraries (``csrc/libnxpop3_core.a``, ``libnxpop3_lwip.a``...) are left in it.
    lwIP and Mbed TLS are fetched on the first configure (``hw/scripts/fetch_lwip.sh``,
    ``hw/scripts/fetch_mbedtls.sh``).
    """
    source = Path(source_dir) if source_dir is not None else find_source_dir()
    build = Path(build_dir) if build_dir is not None else default_build_dir(source)
    missing = missing_build_tools()
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
