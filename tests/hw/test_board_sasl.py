"""SASL on the board: the firmware (``auth=``) asks CAPA in AUTHORIZATION and logs in with
``nx_pop3_client_auth``, to a real Dovecot and to the project's test server. SCRAM-SHA-256
runs its 4096 PBKDF2 iterations on the emulated Cortex-M3; its client nonce is taken from
the seed file the host writes (QEMU's board has no TRNG), bytes nothing else uses.

The password never shows on the UART, whatever the outcome."""
from __future__ import annotations

import base64
import os
import random
import zlib
from pathlib import Path

import pytest

from nxpop3 import board
from nxpop3.board import QemuResult
from nxpop3.codes import (
    NX_NOT_SUCCESSFUL,
    NX_POP3_MECHANISM_NOT_OFFERED,
    NX_POP3_RESPONSE_AUTH,
    NX_POP3_SERVER_ERROR_STATUS,
    NX_POP3_SERVER_NOT_VERIFIED,
)
from nxpop3.testing import Pop3Server

BOARD_EXIT_USAGE = board.board_exits()["BOARD_EXIT_USAGE"]
DOVECOT_SASL = ["plain", "login", "cram-md5", "scram-sha-256"]
NONCE_BYTES = 18  # APP_NONCE_BYTES in hw/app/main.c: the nonce is their hex


def sasl_messages() -> list[bytes]:
    """Dotted lines, 8-bit bytes and a message of several hundred segments."""
    rng = random.Random(5034)
    block = b"".join(b"%06d " % n + bytes(rng.choice(b"abc .") for _ in range(70)) + b"\r\n"
                     for n in range(3000))
    return [b"Subject: scram\r\n\r\nlogged in without sending the password\r\n",
            b"Subject: dots\r\n\r\n.\r\n..\r\n.leading\r\nend .\r\n",
            b"Subject: 8-bit\r\n\r\n" + bytes(range(32, 256)) + b"\r\n",
            b"Subject: large\r\n\r\n" + block]


def assert_fetched(result: QemuResult, expected: list[bytes], password: str) -> None:
    assert result.exit_code == 0, result.describe()
    assert result.stat == (len(expected), sum(len(m) for m in expected)), result.describe()
    want = [(i + 1, len(m), zlib.crc32(m)) for i, m in enumerate(expected)]
    assert result.messages == want, result.describe()
    assert "POOL 16/16 free" in result.uart, result.describe()
    assert password not in result.uart


def assert_nothing_fetched(result: QemuResult, status: int, password: str) -> None:
    assert result.exit_code == status, result.describe()
    assert result.error == ("login", status), result.describe()
    assert result.login is None and result.stat is None and result.messages == []
    assert password not in result.uart


def scram_client_first(initial_response: str) -> tuple[str, str]:
    """``(user, nonce)`` of a SCRAM client-first message (``n,,n=user,r=nonce``)."""
    text = base64.b64decode(initial_response, validate=True).decode("ascii")
    assert text.startswith("n,,"), text
    fields = dict(part.split("=", 1) for part in text[3:].split(","))
    return fields["n"], fields["r"]


# -- Dovecot ----------------------------------------------------------------------------------
def test_scram_login_to_dovecot_fetches_byte_exact(run_board, dovecot):
    from nxpop3.testing.dovecot import as_retrieved

    dovecot.add_messages(sasl_messages())
    expected = [as_retrieved(m) for m in dovecot.messages()]
    result = run_board(dovecot.host, dovecot.port, dovecot.user, dovecot.password,
                       mechanism="scram-sha-256", timeout=120)
    assert_fetched(result, expected, dovecot.password)
    assert result.login == "scram-sha-256"
    before = result.capabilities_before_login or []
    assert "USER" in before and "SASL" in before, result.describe()
    assert result.sasl_offered == DOVECOT_SASL, result.describe()
    assert result.fetch_mode == ("pipelined", 64), result.describe()
    dovecot.server.wait_log(f"Login: user=<{dovecot.user}>, method=SCRAM-SHA-256")
    assert len(dovecot.messages()) == len(expected)  # nothing deleted


def test_scram_wrong_password_is_refused_by_dovecot(run_board, dovecot):
    dovecot.add_message(b"Subject: kept\r\n\r\nnot for you\r\n")
    result = run_board(dovecot.host, dovecot.port, dovecot.user, "wrong-password",
                       mechanism="scram-sha-256", timeout=120)
    assert_nothing_fetched(result, NX_POP3_SERVER_ERROR_STATUS, "wrong-password")
    assert result.refused_code == NX_POP3_RESPONSE_AUTH, result.describe()  # -ERR [AUTH]
    assert result.sasl_offered == DOVECOT_SASL, result.describe()
    dovecot.server.wait_log("auth failed, 1 attempts")
    assert len(dovecot.messages()) == 1


@pytest.mark.parametrize("mechanism", ["cram-md5", "plain", "login"])
def test_other_mechanisms_with_dovecot(run_board, dovecot, mechanism):
    from nxpop3.testing.dovecot import as_retrieved

    dovecot.add_message(b"Subject: " + mechanism.encode() + b"\r\n\r\nhello\r\n")
    result = run_board(dovecot.host, dovecot.port, dovecot.user, dovecot.password,
                       mechanism=mechanism, timeout=60)
    assert_fetched(result, [as_retrieved(m) for m in dovecot.messages()], dovecot.password)
    assert result.login == mechanism
    dovecot.server.wait_log(f"Login: user=<{dovecot.user}>, method={mechanism.upper()}")


def test_scram_over_pop3s_from_dovecot(run_board, dovecot, tls_ca_file):
    """One seed file for both: Mbed TLS's DRBG and SCRAM's nonce each take their own bytes."""
    from nxpop3.testing.dovecot import as_retrieved

    dovecot.add_message(b"Subject: both\r\n\r\nTLS and SCRAM\r\n")
    result = run_board(dovecot.host, dovecot.tls_port, dovecot.user, dovecot.password,
                       mechanism="scram-sha-256", cafile=tls_ca_file, timeout=120)
    assert_fetched(result, [as_retrieved(m) for m in dovecot.messages()], dovecot.password)
    assert result.tls_verify == 0 and result.login == "scram-sha-256", result.describe()
    dovecot.server.wait_log(f"Login: user=<{dovecot.user}>, method=SCRAM-SHA-256")


# -- the project's test server ----------------------------------------------------------------
def test_scram_nonce_is_the_seed_in_hex(hw_firmware, tmp_path):
    """Without TLS the nonce takes the seed's first bytes; CAPA listed SASL, so the
    client-first message went as the initial response."""
    seed = os.urandom(64)
    seed_file = tmp_path / "seed.bin"
    seed_file.write_bytes(seed)
    messages = [b"Subject: nonce\r\n\r\nfrom the seed\r\n"]
    with Pop3Server(messages, sasl=("PLAIN", "SCRAM-SHA-256")) as server:
        result = board.fetch_mailbox(hw_firmware, server.host, server.port, server.user,
                                     server.password, mechanism="scram-sha-256",
                                     seed_file=seed_file, timeout=120)
        assert_fetched(result, messages, server.password)
        assert server.commands[0] == "CAPA"
        assert server.commands[1].startswith("AUTH SCRAM-SHA-256 ")
        records = server.sessions[0].authentications
        assert [r.outcome for r in records] == ["success"]
        assert records[0].initial_response is not None
        assert scram_client_first(records[0].initial_response) == (
            server.user, seed[:NONCE_BYTES].hex())
        assert not server.sent_in_clear(server.password)
    assert result.sasl_offered == ["plain", "scram-sha-256"], result.describe()


def test_each_run_has_a_fresh_nonce(hw_firmware):
    with Pop3Server([], sasl=("SCRAM-SHA-256",)) as server:
        for _ in range(2):
            result = board.fetch_mailbox(hw_firmware, server.host, server.port, server.user,
                                         server.password, mechanism="scram-sha-256",
                                         timeout=120)
            assert result.exit_code == 0, result.describe()
        nonces = [scram_client_first(s.authentications[0].initial_response or "")[1]
                  for s in server.sessions]
    assert len(nonces) == 2 and nonces[0] != nonces[1]
    assert all(len(n) == 2 * NONCE_BYTES for n in nonces)


def test_wrong_server_signature_is_not_verified(hw_firmware):
    """A server that cannot prove it knows the password: the firmware stops at login,
    the connection closed, nothing fetched."""
    with Pop3Server([b"Subject: x\r\n\r\nsecret mail\r\n"], sasl=("SCRAM-SHA-256",)) as server:
        fault = server.fault("AUTH", signature="wrong")
        result = board.fetch_mailbox(hw_firmware, server.host, server.port, server.user,
                                     server.password, mechanism="scram-sha-256", timeout=120)
        assert fault.hits == 1
        assert not any(c.startswith(("STAT", "RETR", "UIDL")) for c in server.commands)
        assert server.wait_idle(5.0)
    assert_nothing_fetched(result, NX_POP3_SERVER_NOT_VERIFIED, server.password)
    assert result.refused_code is None


def test_wrong_password_to_the_test_server(hw_firmware):
    with Pop3Server([b"Subject: x\r\n\r\nx\r\n"], sasl=("SCRAM-SHA-256",)) as server:
        result = board.fetch_mailbox(hw_firmware, server.host, server.port, server.user,
                                     "not-the-password", mechanism="scram-sha-256",
                                     timeout=120)
        assert [r.outcome for r in server.sessions[0].authentications] == ["refused"]
        assert server.commands[-1] == "QUIT"  # a refusal is answered with QUIT
    assert_nothing_fetched(result, NX_POP3_SERVER_ERROR_STATUS, "not-the-password")


def test_mechanism_not_offered_sends_nothing(hw_firmware):
    with Pop3Server([b"Subject: x\r\n\r\nx\r\n"], sasl=("PLAIN",)) as server:
        result = board.fetch_mailbox(hw_firmware, server.host, server.port, server.user,
                                     server.password, mechanism="cram-md5", timeout=60)
        assert server.commands == ["CAPA"]
        assert not server.sent_in_clear(server.password)
    assert_nothing_fetched(result, NX_POP3_MECHANISM_NOT_OFFERED, server.password)
    assert result.sasl_offered == ["plain"]


def test_seed_too_short_for_the_nonce(hw_firmware, tmp_path):
    """The nonce takes 18 fresh seed bytes; fewer: no AUTH, rather than a weak nonce."""
    seed_file = tmp_path / "short.bin"
    seed_file.write_bytes(os.urandom(NONCE_BYTES - 1))
    with Pop3Server([b"Subject: x\r\n\r\nx\r\n"], sasl=("SCRAM-SHA-256",)) as server:
        result = board.fetch_mailbox(hw_firmware, server.host, server.port, server.user,
                                     server.password, mechanism="scram-sha-256",
                                     seed_file=seed_file, timeout=60)
        assert server.commands == ["CAPA"]
    assert result.error == ("nonce", NX_NOT_SUCCESSFUL), result.describe()
    assert result.exit_code == NX_NOT_SUCCESSFUL


@pytest.mark.parametrize("words", [
    ["user=alice", "pass=secret", "auth=scram-sha-256"],     # SCRAM without seed=
    ["user=alice", "pass=secret", "auth=digest-md5"],        # not a mechanism it has
    ["user=alice", "pass=secret", "auth=xoauth2"],           # a token, not a password
    ["user=alice", "pass=secret", "auth=plain", "apop=1"],   # two ways to log in
])
def test_usage_errors(hw_firmware, words):
    result = board.run_firmware(hw_firmware, words, timeout=30)
    assert result.exit_code == BOARD_EXIT_USAGE, result.describe()
    assert "usage:" in result.uart and "secret" not in result.uart


# -- the runner, without QEMU -----------------------------------------------------------------
def test_command_line_with_a_mechanism(tmp_path: Path):
    words = board.firmware_command_line("alice", "secret", mechanism="SCRAM-SHA-256",
                                        seed_file=tmp_path / "seed.bin")
    assert "auth=scram-sha-256" in words and f"seed={tmp_path / 'seed.bin'}" in words
    assert "port=110" in words
    words = board.firmware_command_line("alice", "secret", mechanism="cram-md5")
    assert "auth=cram-md5" in words and not any(w.startswith("seed=") for w in words)
    assert not any(w.startswith("auth=") for w in board.firmware_command_line("a", "b"))
    with pytest.raises(ValueError, match="seed"):
        board.firmware_command_line("alice", "secret", mechanism="scram-sha-256")
    with pytest.raises(ValueError, match="not 'digest-md5'"):
        board.firmware_command_line("alice", "secret", mechanism="digest-md5")
    with pytest.raises(ValueError, match="exclude"):
        board.firmware_command_line("alice", "secret", mechanism="plain", apop=True)


def test_cli_passes_the_mechanism(monkeypatch: pytest.MonkeyPatch, capsys):
    from nxpop3.board import runner

    calls: list[dict[str, object]] = []

    def fake_fetch(firmware: object, *args: object, **kwargs: object) -> QemuResult:
        calls.append(kwargs)
        return QemuResult(exit_code=0, uart="DONE\r\n")

    monkeypatch.setattr(runner, "build_firmware", lambda source=None: Path("fw.elf"))
    monkeypatch.setattr(runner, "fetch_mailbox", fake_fetch)
    assert runner.main(["127.0.0.1", "110", "alice", "pw", "--mechanism", "SCRAM-SHA-256"]) == 0
    assert calls[-1]["mechanism"] == "scram-sha-256"
    assert runner.main(["127.0.0.1", "110", "alice", "pw"]) == 0
    assert calls[-1]["mechanism"] is None
    with pytest.raises(SystemExit):
        runner.main(["127.0.0.1", "110", "alice", "pw", "--apop", "--mechanism", "plain"])
    assert "DONE" in capsys.readouterr().out
