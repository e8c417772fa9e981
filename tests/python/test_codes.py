"""nxpop3.codes: the NetX facts read from the C headers at build time."""
from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import nxpop3
from nxpop3 import codes, errors, lib
from nxpop3._header_scan import checkout_include_dirs, evaluate, scan

HEADER_DIRS = checkout_include_dirs(Path(__file__).resolve().parents[2] / "csrc")


def test_every_constant_equals_the_compiled_one() -> None:
    assert len(codes.CONSTANTS) > 100
    for name, constant in codes.CONSTANTS.items():
        assert getattr(codes, name) == constant.value == getattr(lib, name), name


def test_every_integer_constant_cffi_binds_is_in_codes() -> None:
    bound = {name for name in dir(lib) if name.startswith("NX_")
             and isinstance(getattr(lib, name), int)}
    assert bound <= set(codes.CONSTANTS)


def test_the_installed_table_is_the_one_the_checkout_headers_give() -> None:
    rows = {c.name: c for c in scan(HEADER_DIRS)}
    assert rows == codes.CONSTANTS


def test_status_names_are_the_netx_and_pop3_status_codes() -> None:
    names = codes.STATUS_NAMES
    assert names[lib.NX_SUCCESS] == "NX_SUCCESS"
    assert names[lib.NX_NOT_CONNECTED] == "NX_NOT_CONNECTED"
    assert names[lib.NX_INVALID_PARAMETERS] == "NX_INVALID_PARAMETERS"
    assert names[lib.NX_POP3_CLIENT_INVALID_STATE] == "NX_POP3_CLIENT_INVALID_STATE"
    assert names[lib.NX_POP3_INDEX_MISMATCH] == "NX_POP3_INDEX_MISMATCH"
    # Each a real status: its name maps back to its value, no two share a value.
    assert all(getattr(codes, name) == value for value, name in names.items())
    # Not statuses: the POP3 base, states, commands, flags, limits.
    for name in ("NX_POP3_CLIENT_ERROR_CONSTANT", "NX_TRUE", "NX_IP_VERSION_V4",
                 "NX_POP3_STATE_TRANSACTION", "NX_POP3_COMMAND_RETR", "NX_POP3_MAX_USERNAME",
                 "NX_TCP_CLOSED", "NX_IP_PERIODIC_RATE"):
        assert name not in names.values(), name


def test_every_pop3_status_is_above_the_base_and_every_code_of_the_range_is_named() -> None:
    base = codes.NX_POP3_CLIENT_ERROR_CONSTANT
    pop3 = {v: n for v, n in codes.STATUS_NAMES.items() if n.startswith("NX_POP3_")}
    assert pop3 and all(base < value < base + 0x20 for value in pop3)
    in_range = {c.value for c in codes.CONSTANTS.values()
                if c.name.startswith("NX_POP3_") and base < c.value < base + 0x20
                and not c.name.startswith(("NX_POP3_SASL_", "NX_POP3_SCRAM_"))}
    assert in_range == set(pop3)


def test_status_name_falls_back_to_hex() -> None:
    assert codes.status_name(lib.NX_NO_PACKET) == "NX_NO_PACKET"
    assert codes.status_name(0xEE) == "0xEE"
    assert nxpop3.status_name(lib.NX_NOT_CONNECTED) == "NX_NOT_CONNECTED"


def test_command_names_come_from_the_command_macros() -> None:
    assert codes.COMMAND_NAMES[lib.NX_POP3_COMMAND_RETR] == "RETR"
    assert codes.COMMAND_NAMES[lib.NX_POP3_COMMAND_GREETING] == "greeting"
    assert codes.COMMAND_NAMES[lib.NX_POP3_COMMAND_USER] == "USER"
    assert lib.NX_POP3_COMMAND_NONE not in codes.COMMAND_NAMES
    # Every value of a command macro is named, by the first macro of that value.
    first: dict[int, str] = {}
    for macro in codes.CONSTANTS:
        if macro.startswith("NX_POP3_COMMAND_") and macro != "NX_POP3_COMMAND_NONE":
            first.setdefault(getattr(lib, macro), macro)
    assert {v: m.removeprefix("NX_POP3_COMMAND_") for v, m in first.items()} == {
        v: n.upper() for v, n in codes.COMMAND_NAMES.items()}


def test_a_later_macro_of_the_same_value_is_an_alias_not_a_name() -> None:
    # As NX_POP3_COMMAND_FIRST (= NX_POP3_COMMAND_USER) is in the header.
    rows = {"NX_POP3_COMMAND_USER": codes.Constant("NX_POP3_COMMAND_USER", 2, "h", 0, ""),
            "NX_POP3_COMMAND_FIRST": codes.Constant("NX_POP3_COMMAND_FIRST", 2, "h", 0, "")}
    saved = dict(codes.CONSTANTS)
    try:
        codes.CONSTANTS.clear()
        codes.CONSTANTS.update(rows)
        assert codes._first_names("NX_POP3_COMMAND_") == {2: "NX_POP3_COMMAND_USER"}
    finally:
        codes.CONSTANTS.clear()
        codes.CONSTANTS.update(saved)


def test_state_names_come_from_the_state_macros() -> None:
    assert codes.STATE_NAMES[lib.NX_POP3_STATE_TRANSACTION] == "TRANSACTION"
    assert codes.STATE_NAMES[lib.NX_POP3_STATE_CLOSED] == "CLOSED"
    values = {getattr(lib, n) for n in codes.CONSTANTS if n.startswith("NX_POP3_STATE_")}
    assert set(codes.STATE_NAMES) == values
    for value, name in codes.STATE_NAMES.items():
        assert getattr(lib, "NX_POP3_STATE_" + name) == value


def test_trailing_comments_are_kept_whole() -> None:
    comment = codes.CONSTANTS["NX_POP3_INVALID_REPLY"].comment
    assert comment.startswith("not exactly +OK/-ERR") and comment.endswith("not a number")
    assert codes.CONSTANTS["NX_IP_PERIODIC_RATE"].comment == "ticks per second"


def test_login_commands_exist_once() -> None:
    assert errors.LOGIN_COMMANDS == {"USER", "PASS", "APOP", "AUTH"}


def test_unknown_constants_are_attribute_errors() -> None:
    with pytest.raises(AttributeError):
        codes.NX_NO_SUCH_THING  # noqa: B018


@pytest.mark.parametrize(("text", "value"), [
    ("0x1Au", 26), ("(NX_A + 20u)", 36), ("(-1)", -1), ("(3u * NX_A)", 48),
    ("((ULONG) 0xFFFFFFFFu)", 0xFFFFFFFF), ("NX_A", 16), ("sizeof(X)", None), ("NX_B", None),
])
def test_the_header_expressions_evaluate(text: str, value: int | None) -> None:
    assert evaluate(text, {"NX_A": 16}) == value


def test_a_build_define_replaces_a_guarded_default() -> None:
    rows = {c.name: c.value for c in scan(HEADER_DIRS, {"NX_POP3_MAX_PASSWORD": "64u"})}
    assert rows["NX_POP3_MAX_PASSWORD"] == 64
    assert rows["NX_SUCCESS"] == 0  # an unguarded constant is not touched


def test_codes_and_errors_import_without_the_extension() -> None:
    code = ("import sys, nxpop3.codes, nxpop3.errors; "
            "assert nxpop3.codes.STATUS_NAMES[0x38] == 'NX_NOT_CONNECTED'; "
            "assert 'nxpop3._binding' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("name", ["STATUS_NAMES", "COMMAND_NAMES"])
def test_the_old_tables_in_errors_still_work_and_warn(name: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"nxpop3.codes.{name}"):
        table = getattr(errors, name)
    assert table is getattr(codes, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from nxpop3.errors import LOGIN_COMMANDS, status_name  # noqa: F401
