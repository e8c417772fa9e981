"""POP3S on the board: the firmware speaks TLS (Mbed TLS 2.28) from the first byte,
verifies the server's certificate against a CA chain it reads from a host file at run
time (semihosting), and seeds Mbed TLS's DRBG from a host file of random bytes (QEMU's
board has no TRNG). The relay passes the TLS bytes through unchanged.

A certificate from another CA, or for another host, makes the firmware exit with
NX_POP3_TLS_FAILED before any credential is sent."""
from __future__ import annotations

import os
import random
import zlib
from pathlib import Path

import pytest

from nxpop3 import board
from nxpop3.codes import NX_NOT_SUCCESSFUL, NX_POP3_TLS_FAILED
from nxpop3.testing import Pop3Server
from nxpop3.testing.certificates import CertificateAuthority

# Mbed TLS's verification flags (mbedtls/x509.h).
BADCERT_CN_MISMATCH = 0x04
BADCERT_NOT_TRUSTED = 0x08
MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED = -0x0034
# The firmware's heap for Mbed TLS (APP_TLS_HEAP_SIZE in hw/app/main.c).
TLS_HEAP = 40 * 1024
BOARD_EXIT_USAGE = board.board_exits()["BOARD_EXIT_USAGE"]


def mixed_messages() -> list[bytes]:
    """Small and large messages: the large ones span many 16 KiB TLS records."""
    rng = random.Random(995)
    big = bytes(rng.getrandbits(8) for _ in range(96 * 1024)).hex().encode()
    lines = b"".join(big[i:i + 76] + b"\r\n" for i in range(0, len(big), 76))
    return [b"Subject: small\r\n\r\nhello over TLS\r\n",
            b"Subject: big\r\n\r\n" + lines,
            b"Subject: dots\r\n\r\n.leading dot\r\n..two\r\n" * 50]


def assert_fetched(result: board.QemuResult, messages: list[bytes]) -> None:
    assert result.exit_code == 0, result.describe()
    assert result.tls_verify == 0, result.describe()
    assert result.messages == [(i + 1, len(m), zlib.crc32(m)) for i, m in enumerate(messages)], \
        result.describe()
    assert "POOL 16/16 free" in result.uart, result.describe()
    peak, size = result.tls_heap or (0, 0)
    assert size == TLS_HEAP and 0 < peak <= size, result.describe()


def test_pop3s_fetch_is_byte_exact_and_verified(run_board, tls_server_context, tls_ca_file):
    messages = mixed_messages()
    with Pop3Server(messages, tls=tls_server_context) as server:
        result = run_board(server.host, server.port, server.user, server.password,
                           cafile=tls_ca_file, timeout=120)
        assert not server.sent_in_clear(server.password)
    assert_fetched(result, messages)
    assert result.login == "user"


def test_pop3s_with_an_rsa_certificate(run_board, tmp_path):
    """ECDHE-RSA: a 2048-bit RSA CA and server certificate."""
    authority = CertificateAuthority("rsa")
    cafile = authority.write_ca(tmp_path / "rsa-ca.pem")
    messages = [b"Subject: rsa\r\n\r\nsigned by RSA\r\n"]
    with Pop3Server(messages, tls=authority.server_context()) as server:
        result = run_board(server.host, server.port, server.user, server.password,
                           cafile=cafile, timeout=120)
    assert_fetched(result, messages)


@pytest.mark.parametrize("case", ["untrusted", "wrong-host"])
def test_unverified_certificate_fails_before_any_credential(
    run_board, request, tls_ca_file, case
):
    context = request.getfixturevalue(
        "tls_untrusted_context" if case == "untrusted" else "tls_wrong_host_context")
    with Pop3Server([b"Subject: x\r\n\r\nsecret mail\r\n"], tls=context) as server:
        result = run_board(server.host, server.port, server.user, server.password,
                           cafile=tls_ca_file, timeout=60)
        assert not server.sent_in_clear(server.password)
        assert not server.sent_in_clear(server.user)
    assert result.exit_code == NX_POP3_TLS_FAILED, result.describe()
    assert result.error == ("login", NX_POP3_TLS_FAILED), result.describe()
    flag = BADCERT_NOT_TRUSTED if case == "untrusted" else BADCERT_CN_MISMATCH
    assert result.tls_verify is not None and result.tls_verify & flag, result.describe()
    assert result.login is None and result.messages == []


def test_plain_server_on_the_pop3s_port_fails(run_board, tls_ca_file):
    """A server that answers in clear: the handshake fails, nothing is sent in clear."""
    with Pop3Server([b"Subject: x\r\n\r\nx\r\n"]) as server:
        result = run_board(server.host, server.port, server.user, server.password,
                           cafile=tls_ca_file, timeout=60)
        assert not server.sent_in_clear(server.password)
    assert result.exit_code == NX_POP3_TLS_FAILED, result.describe()


def test_short_seed_is_not_stretched(hw_firmware, tls_server_context, tls_ca_file, tmp_path):
    """The entropy hook hands out each seed byte once: 16 bytes cannot seed the DRBG
    (it asks for 48), so the TLS transport is not set up and nothing is sent."""
    seed = tmp_path / "short-seed.bin"
    seed.write_bytes(os.urandom(16))
    with Pop3Server([b"Subject: x\r\n\r\nx\r\n"], tls=tls_server_context) as server:
        result = board.fetch_mailbox(hw_firmware, server.host, server.port, server.user,
                                     server.password, cafile=tls_ca_file, seed_file=seed,
                                     timeout=60)
    assert result.error == ("tls", NX_NOT_SUCCESSFUL), result.describe()
    assert result.exit_code == NX_NOT_SUCCESSFUL, result.describe()
    assert result.tls_error == MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED, result.describe()


def test_missing_ca_file_is_a_usage_error(hw_firmware, tmp_path):
    seed = tmp_path / "seed.bin"
    seed.write_bytes(os.urandom(64))
    words = board.firmware_command_line("alice", "secret", cafile=tmp_path / "absent.pem",
                                        seed_file=seed)
    result = board.run_firmware(hw_firmware, words, timeout=30)
    assert result.exit_code == BOARD_EXIT_USAGE, result.describe()
    assert result.error == ("ca", BOARD_EXIT_USAGE), result.describe()


def test_pop3s_from_dovecot(run_board, dovecot, tls_ca_file):
    from nxpop3.testing.dovecot import as_retrieved

    dovecot.add_messages(mixed_messages())
    expected = [as_retrieved(m) for m in dovecot.messages()]
    result = run_board(dovecot.host, dovecot.tls_port, dovecot.user, dovecot.password,
                       cafile=tls_ca_file, timeout=120)
    assert_fetched(result, expected)


# -- the runner's command line, without QEMU ------------------------------------------------------
def test_command_line_for_pop3s(tmp_path: Path):
    words = board.firmware_command_line("alice", "secret", cafile=tmp_path / "ca.pem",
                                        seed_file=tmp_path / "seed.bin", server_name="mail.test")
    assert "port=995" in words and "name=mail.test" in words
    assert f"ca={tmp_path / 'ca.pem'}" in words and f"seed={tmp_path / 'seed.bin'}" in words
    assert "port=110" in board.firmware_command_line("alice", "secret")
    with pytest.raises(ValueError, match="seed"):
        board.firmware_command_line("alice", "secret", cafile=tmp_path / "ca.pem")


def test_qemu_forwards_the_pop3s_port(tmp_path: Path):
    command = board.qemu_command(tmp_path / "fw.elf", [], server=("127.0.0.1", 9995),
                                 guest_port=board.GUEST_SERVER_TLS_PORT)
    nic = command[command.index("-nic") + 1]
    assert f"guestfwd=tcp:{board.GUEST_SERVER_ADDRESS}:995-cmd:" in nic
