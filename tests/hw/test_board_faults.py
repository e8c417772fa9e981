"""The board's own failure paths: a fault is reported and becomes a non-zero exit
status, a bad command line is refused, and the footprint script runs on the build."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nxpop3.board import board_exits, run_firmware

ROOT = Path(__file__).resolve().parents[2]


def test_fault_handler_reports_and_exits_nonzero(hw_firmware):
    result = run_firmware(hw_firmware, ["selftest=fault"], timeout=30.0)
    assert result.exit_code == board_exits(ROOT)["BOARD_EXIT_FAULT"], result.describe()
    assert "FAULT exception 0x00000003 pc 0x" in result.uart  # HardFault, with the pc


def test_bad_command_line_exits_with_usage_status(hw_firmware):
    result = run_firmware(hw_firmware, ["port=99999"], timeout=30.0)
    assert result.exit_code == board_exits(ROOT)["BOARD_EXIT_USAGE"], result.describe()
    assert "usage:" in result.uart


def test_footprint_script(hw_firmware):
    done = subprocess.run(
        [sys.executable, str(ROOT / "hw" / "scripts" / "footprint.py"),
         "--build-dir", str(hw_firmware.parent)],
        capture_output=True, text=True, timeout=600, check=False)  # 10 builds of the core
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert "sizeof(NX_POP3_CLIENT)" in lines
    client_text = int(done.stdout.split("POP3 client", 1)[1].split()[0])
    assert 0 < client_text < 16_384
    # Mbed TLS apart from the client: its linked text, and its heap's peak in a POP3S run.
    mbedtls_text = int(done.stdout.split("Mbed TLS 2.28, linked", 1)[1].split()[0])
    assert 16_384 < mbedtls_text < 131_072, done.stdout
    assert done.stdout.count("Mbed TLS heap, used at most") == 2, done.stdout
    # The configurations: what a program calling every service links, per group.
    rows = configuration_rows(done.stdout)
    crypto = ("SHA-256", "HMAC", "PBKDF2")
    assert all(rows["SASL out"][g] == 0 for g in ("SASL", *crypto)), done.stdout
    assert all(rows["SCRAM-SHA-256 only"][g] > 0 for g in ("SASL", *crypto)), done.stdout
    cram = rows["CRAM-MD5 only"]
    assert cram["HMAC"] > 0 and cram["MD5"] > 0 and cram["SHA-256"] == cram["PBKDF2"] == 0
    for name in ("PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"):
        alone = rows[f"{name} only"]
        assert alone["SASL"] > 0 and all(alone[g] == 0 for g in crypto), done.stdout
        assert rows["SASL out"]["linked"] < alone["linked"] < rows["SASL: all six (default)"][
            "linked"]
    assert rows["all optional out"]["linked"] < rows["extensions, SASL out"]["linked"]


def configuration_rows(output: str) -> dict[str, dict[str, int]]:
    """The footprint script's configuration table: row label -> column -> bytes."""
    lines = output.split("configuration ", 1)[1].splitlines()
    columns = lines[0].split()
    rows: dict[str, dict[str, int]] = {}
    for line in lines[1:]:
        if not line.strip():
            break
        words = line.split()
        label = " ".join(words[:-len(columns)])
        rows[label] = dict(zip(columns, (int(w) for w in words[-len(columns):])))
    return rows
