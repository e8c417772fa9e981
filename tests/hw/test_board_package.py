"""nxpop3.board: the board's exit statuses come from its C header, and the old module
paths (nxpop3.qemu, nxpop3.qemu_relay) still work, with a DeprecationWarning. None of
these tests needs QEMU or a cross compiler."""
from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nxpop3 import board

ROOT = Path(__file__).resolve().parents[2]


def test_board_exits_are_read_from_the_board_header():
    header = (ROOT / board.BOARD_HEADER).read_text()
    written = {name: int(value, 0) for name, value in
               re.findall(r"#define (BOARD_EXIT_\w+)\s+(0x[0-9A-F]+)", header)}
    exits = board.board_exits(ROOT)
    assert exits == written
    assert set(exits) >= {"BOARD_EXIT_FAULT", "BOARD_EXIT_ASSERT", "BOARD_EXIT_USAGE",
                          "BOARD_EXIT_DEVICE"}
    assert all(0xF0 < value <= 0xFF for value in exits.values())  # above NetX statuses
    assert board.board_exit_name(exits["BOARD_EXIT_USAGE"], ROOT) == "BOARD_EXIT_USAGE"
    assert board.board_exit_name(0, ROOT) is None


def test_board_exits_found_from_the_working_directory(monkeypatch):
    monkeypatch.delenv("NXPOP3_SOURCE_DIR", raising=False)
    monkeypatch.chdir(ROOT / "hw")
    assert board.board_exits() == board.board_exits(ROOT)


def test_missing_tools_adds_qemu_to_the_build_tools(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert board.missing_build_tools() == ["arm-none-eabi-gcc", "cmake"]
    assert board.missing_tools() == ["qemu-system-arm", "arm-none-eabi-gcc", "cmake"]


def _fresh_import(name: str):
    sys.modules.pop(name, None)
    return importlib.import_module(name)


def test_old_qemu_module_warns_and_still_works(monkeypatch):
    monkeypatch.chdir(ROOT)
    with pytest.warns(DeprecationWarning, match="nxpop3.board"):
        qemu = _fresh_import("nxpop3.qemu")
    assert qemu.build_firmware is board.build_firmware
    assert qemu.fetch_mailbox is board.fetch_mailbox
    assert qemu.QemuResult is board.QemuResult
    assert qemu.FirmwareBuildError is board.FirmwareBuildError
    assert qemu.default_build_dir("/src") == board.default_build_dir("/src")
    assert qemu.BOARD_EXIT_FAULT == board.board_exits(ROOT)["BOARD_EXIT_FAULT"]
    assert qemu.BOARD_EXIT_USAGE == board.board_exits(ROOT)["BOARD_EXIT_USAGE"]
    with pytest.raises(AttributeError):
        qemu.BOARD_EXIT_NONE  # noqa: B018


def test_old_board_exit_names_outside_a_checkout_are_attribute_errors(monkeypatch, tmp_path):
    monkeypatch.delenv("NXPOP3_SOURCE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("nxpop3.board.firmware.__file__", str(tmp_path / "firmware.py"))
    with pytest.warns(DeprecationWarning):
        qemu = _fresh_import("nxpop3.qemu")
    assert not hasattr(qemu, "BOARD_EXIT_FAULT")


def test_old_qemu_relay_module_warns_and_still_works():
    from nxpop3.board import relay

    with pytest.warns(DeprecationWarning, match="nxpop3.board.relay"):
        old = _fresh_import("nxpop3.qemu_relay")
    assert old.relay is relay.relay and old.main is relay.main


@pytest.mark.parametrize("module", ["nxpop3.qemu", "nxpop3.board"])
def test_board_command_line_help(module):
    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True,
                          text=True, timeout=60, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {module} ")
    assert "host port user password" in done.stdout
    assert done.stderr == ""  # no warning printed by the old path either


def test_old_relay_path_run_by_path_writes_nothing_on_stderr(tmp_path):
    """As QEMU runs it: by path, stderr being the guest's connection. Bad arguments exit 2."""
    import nxpop3

    script = Path(nxpop3.__file__).with_name("qemu_relay.py")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=60,
                          check=False, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert done.stderr == b"" and done.stdout == b""
