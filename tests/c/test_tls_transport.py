"""The Mbed TLS transport (csrc/transport/tls) from C on the host, verification on:
examples/pop3_fetch.c with --tls (POP3S) and --starttls (STLS) against the test
server in TLS mode (``Pop3Server(tls=...)`` / ``starttls=...``, certificates from the
plugin's trustme CA, its HANDSHAKE faults) and against Dovecot with TLS, and
tests/c/tls_probe.c for the transport's contract alone (deadlines, closed peers,
failed handshakes and their verification flags).

Every way TLS cannot be had must end the session before a credential is sent: the
server's transcript says which commands came in clear."""
from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import zlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from nxpop3 import codes
from nxpop3.testing.certificates import WRONG_HOST
from nxpop3.testing.dependencies import missing, require_tool
from nxpop3.testing.dovecot import DovecotMailbox, as_retrieved
from nxpop3.testing.server import Pop3Server

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = [
    b"Subject: one\r\n\r\nhello over TLS\r\n",
    b"Subject: dots\r\n\r\n.a\r\n..b\r\n.\r\nend\r\n",
    b"Subject: big\r\n\r\n" + bytes(range(33, 127)) * 40_000 + b"\r\n",  # ~3.6 MB, many records
]
PROBE_CMAKE = """cmake_minimum_required(VERSION 3.16)
project(tls_probe LANGUAGES C)
add_subdirectory({csrc} csrc)
if(NOT TARGET nxpop3_transport_tls)
  message(FATAL_ERROR "no Mbed TLS")
endif()
add_executable(tls_probe {source})
set_target_properties(tls_probe PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
target_compile_options(tls_probe PRIVATE -Wall -Wextra -Werror)
target_link_libraries(tls_probe PRIVATE nxpop3_transport_tls nxpop3_transport_posix nxpop3_core)
"""


def cmake_build(source: Path, build: Path) -> None:
    require_tool("cmake")
    for command in (["cmake", "-S", str(source), "-B", str(build), "-DCMAKE_BUILD_TYPE=Debug"],
                    ["cmake", "--build", str(build), "-j", "2"]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def pop3_fetch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("examples_tls")
    cmake_build(ROOT / "examples", build)
    if not (build / "csrc" / "libnxpop3_transport_tls.a").exists():
        missing("Mbed TLS 2.x is not installed (apt-get install libmbedtls-dev)")
    return build / "pop3_fetch"


@pytest.fixture(scope="module")
def tls_probe(tmp_path_factory: pytest.TempPathFactory, pop3_fetch: Path) -> Path:
    project = tmp_path_factory.mktemp("tls_probe")
    (project / "CMakeLists.txt").write_text(PROBE_CMAKE.format(
        csrc=(ROOT / "csrc").as_posix(), source=(ROOT / "tests/c/tls_probe.c").as_posix()))
    cmake_build(project, project / "build")
    return project / "build" / "tls_probe"


@pytest.fixture(scope="session")
def other_ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA that issued none of the test certificates."""
    from nxpop3.testing.certificates import CertificateAuthority

    try:
        return CertificateAuthority().write_ca(tmp_path_factory.mktemp("other-ca") / "ca.pem")
    except ImportError as exc:
        missing(str(exc))
        raise


def serve(mode: str, context: ssl.SSLContext, messages: Sequence[bytes] = MESSAGES,
          **kwargs: object) -> Pop3Server:
    """A started test server: POP3S (mode "tls") or offering STLS (mode "starttls")."""
    return Pop3Server(list(messages), **{mode: context}, **kwargs).start()  # type: ignore[arg-type]


def fetch(program: Path, port: int, *options: str, delete: bool = False,
          apop: bool = False, host: str = "127.0.0.1") -> subprocess.CompletedProcess:
    args = [str(program), *options, host, str(port), "alice", "secret"]
    args += ["delete"] if delete else []
    args += ["apop"] if apop else []
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def tls_options(mode: str, cafile: Path, name: str = "localhost") -> list[str]:
    return [f"--{mode}", "--cafile", str(cafile), "--server-name", name]


def expected_lines(messages: Sequence[bytes]) -> list[str]:
    return [f"MSG {i} {len(m)} {zlib.crc32(m):08x}" for i, m in enumerate(messages, 1)]


def no_credential_in_clear(server: Pop3Server) -> bool:
    clear = [line.split(" ")[0].upper() for line in server.commands_in_clear]
    return not ({"USER", "PASS", "APOP"} & set(clear)) and not server.sent_in_clear("secret")


MODES = ["tls", "starttls"]


# -- sessions that work -------------------------------------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_a_whole_session_byte_exact(pop3_fetch: Path, tls_ca_file: Path,
                                    tls_server_context: ssl.SSLContext, mode: str) -> None:
    with serve(mode, tls_server_context) as server:
        result = fetch(pop3_fetch, server.port, *tls_options(mode, tls_ca_file), delete=True)
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "TLS verify=0x00000000"
        assert lines[1].startswith(f"STAT 3 {sum(map(len, MESSAGES))}")
        assert lines[2:] == expected_lines(MESSAGES)
        if mode == "starttls":
            assert server.commands_in_clear == ["CAPA", "STLS"]
            assert server.commands[2] == "CAPA"  # again, under TLS (RFC 2595)
        else:
            assert server.commands_in_clear == []
        assert server.commands[-1] == "QUIT"
        assert no_credential_in_clear(server)
        assert server.messages == []  # deleted at QUIT, over TLS


@pytest.mark.parametrize("key_type", ["rsa", "ecdsa"])
def test_rsa_and_ecdsa_certificates(pop3_fetch: Path, tmp_path: Path, key_type: str) -> None:
    from nxpop3.testing.certificates import CertificateAuthority

    ca = CertificateAuthority(key_type)
    with serve("tls", ca.server_context(), MESSAGES[:1]) as server:
        result = fetch(pop3_fetch, server.port,
                       *tls_options("tls", ca.write_ca(tmp_path / "ca.pem")))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[2:] == expected_lines(MESSAGES[:1])


@pytest.mark.parametrize("mode", MODES)
def test_a_handshake_one_octet_per_segment(pop3_fetch: Path, tls_ca_file: Path,
                                           tls_server_context: ssl.SSLContext,
                                           mode: str) -> None:
    with serve(mode, tls_server_context, MESSAGES[:2]) as server:
        server.fault("HANDSHAKE", split=1)
        result = fetch(pop3_fetch, server.port, *tls_options(mode, tls_ca_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[2:] == expected_lines(MESSAGES[:2])


def test_apop_over_stls(pop3_fetch: Path, tls_ca_file: Path,
                        tls_server_context: ssl.SSLContext) -> None:
    with serve("starttls", tls_server_context, MESSAGES[:2], apop=True) as server:
        result = fetch(pop3_fetch, server.port, *tls_options("starttls", tls_ca_file), apop=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "(APOP)" in result.stdout.splitlines()[1]
        assert no_credential_in_clear(server)


# -- no TLS to be had: nothing sent that matters -----------------------------------------
@pytest.mark.parametrize("mode", MODES)
def test_an_untrusted_certificate_fails_before_any_credential(
        pop3_fetch: Path, tls_ca_file: Path, tls_untrusted_context: ssl.SSLContext,
        mode: str) -> None:
    with serve(mode, tls_untrusted_context) as server:
        result = fetch(pop3_fetch, server.port, *tls_options(mode, tls_ca_file))
        assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
        assert "not correctly signed by the trusted CA" in result.stderr
        assert server.commands == (["CAPA", "STLS"] if mode == "starttls" else [])
        assert no_credential_in_clear(server)


@pytest.mark.parametrize("mode", MODES)
def test_a_certificate_for_another_host_fails(pop3_fetch: Path, tls_ca_file: Path,
                                              tls_wrong_host_context: ssl.SSLContext,
                                              mode: str) -> None:
    with serve(mode, tls_wrong_host_context) as server:
        result = fetch(pop3_fetch, server.port, *tls_options(mode, tls_ca_file))
        assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
        assert "Common Name (CN) does not match" in result.stderr  # Mbed TLS's words
        assert no_credential_in_clear(server)
        assert not [c for c in server.commands if c.startswith(("USER", "PASS"))]


def test_the_name_asked_for_is_the_name_verified(pop3_fetch: Path, tls_ca_file: Path,
                                                 tls_wrong_host_context: ssl.SSLContext) -> None:
    with serve("tls", tls_wrong_host_context, MESSAGES[:1]) as server:
        result = fetch(pop3_fetch, server.port, *tls_options("tls", tls_ca_file, WRONG_HOST))
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_address_is_not_a_name(pop3_fetch: Path, tls_ca_file: Path,
                                  tls_server_context: ssl.SSLContext) -> None:
    """Mbed TLS 2.28 matches DNS names only: the certificate's 127.0.0.1 entry does not
    verify an address given as the name (documented in nx_transport_tls.h)."""
    with serve("tls", tls_server_context) as server:
        result = fetch(pop3_fetch, server.port, *tls_options("tls", tls_ca_file, "127.0.0.1"))
        assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
        assert server.commands == []


def test_the_system_bundle_does_not_trust_the_test_ca(
        pop3_fetch: Path, tls_server_context: ssl.SSLContext) -> None:
    if not Path("/etc/ssl/certs/ca-certificates.crt").exists():
        pytest.skip("no system CA bundle")
    with serve("tls", tls_server_context) as server:
        result = fetch(pop3_fetch, server.port, "--tls", "--server-name", "localhost")
        assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
        assert server.commands == []


def test_no_stls_in_capa_sends_no_stls(pop3_fetch: Path, tls_ca_file: Path) -> None:
    with Pop3Server(MESSAGES[:1]) as server:  # no TLS at all: CAPA lists no STLS
        result = fetch(pop3_fetch, server.port, *tls_options("starttls", tls_ca_file))
        assert result.returncode == codes.NX_NOT_SUPPORTED, result.stdout + result.stderr
        assert server.commands == ["CAPA"]


def test_stls_refused(pop3_fetch: Path, tls_ca_file: Path,
                      tls_server_context: ssl.SSLContext) -> None:
    with serve("starttls", tls_server_context) as server:
        server.fault("STLS", err="not now")
        result = fetch(pop3_fetch, server.port, *tls_options("starttls", tls_ca_file))
        assert result.returncode == codes.NX_POP3_SERVER_ERROR_STATUS, result.stdout + result.stderr
        assert server.commands == ["CAPA", "STLS"]


def test_plain_text_after_stls_is_an_injection(pop3_fetch: Path, tls_ca_file: Path,
                                               tls_server_context: ssl.SSLContext) -> None:
    with serve("starttls", tls_server_context) as server:
        server.fault("STLS", inject=b"+OK injected\r\n")
        result = fetch(pop3_fetch, server.port, *tls_options("starttls", tls_ca_file))
        assert result.returncode == codes.NX_POP3_UNEXPECTED_DATA, result.stdout + result.stderr
        assert server.commands == ["CAPA", "STLS"]
        assert no_credential_in_clear(server)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("cut", [0, 5, 100])
def test_a_handshake_cut_by_the_server(pop3_fetch: Path, tls_ca_file: Path,
                                       tls_server_context: ssl.SSLContext, mode: str,
                                       cut: int) -> None:
    with serve(mode, tls_server_context) as server:
        server.fault("HANDSHAKE", close_after=cut)
        result = fetch(pop3_fetch, server.port, *tls_options(mode, tls_ca_file))
        # A handshake the peer cuts is TLS not had, in both modes (the TCP connect worked).
        assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
        assert no_credential_in_clear(server)


@pytest.mark.parametrize("mode", MODES)
def test_a_handshake_answered_in_clear(pop3_fetch: Path, tls_ca_file: Path,
                                       tls_server_context: ssl.SSLContext, mode: str) -> None:
    with serve(mode, tls_server_context) as server:
        server.fault("HANDSHAKE", raw=b"-ERR TLS is not available\r\n")
        result = fetch(pop3_fetch, server.port, *tls_options(mode, tls_ca_file))
        assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
        assert no_credential_in_clear(server)


@pytest.mark.parametrize("mode", MODES)
def test_a_tls_session_under_memcheck(pop3_fetch: Path, tls_ca_file: Path,
                                      tls_server_context: ssl.SSLContext, mode: str) -> None:
    valgrind = require_tool("valgrind")
    with serve(mode, tls_server_context, MESSAGES[:2]) as server:
        result = subprocess.run(
            [valgrind, "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
             "--errors-for-leak-kinds=all", str(pop3_fetch), *tls_options(mode, tls_ca_file),
             "127.0.0.1", str(server.port), "alice", "secret"],
            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR SUMMARY: 0 errors" in result.stderr
    assert result.stdout.splitlines()[2:] == expected_lines(MESSAGES[:2])


def test_plain_sessions_are_unchanged(pop3_fetch: Path) -> None:
    with Pop3Server(MESSAGES[:2]) as server:
        result = fetch(pop3_fetch, server.port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[1:] == expected_lines(MESSAGES[:2])


# -- Dovecot with TLS ----------------------------------------------------------------------
@pytest.fixture
def dovecot_tls(dovecot: DovecotMailbox, tls_ca: object) -> DovecotMailbox:
    if dovecot.server.certificates is not tls_ca:
        pytest.fail("the dovecot fixture runs without the test CA", pytrace=False)
    return dovecot


def fetch_dovecot(program: Path, box: DovecotMailbox, *options: str) -> subprocess.CompletedProcess:
    args = [str(program), *options, box.host, str(box.port if "--starttls" in options else
                                                   box.tls_port), box.user, box.password]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("mode", MODES)
def test_dovecot(pop3_fetch: Path, dovecot_tls: DovecotMailbox, tls_ca_file: Path,
                 mode: str) -> None:
    stored = [b"Subject: one\n\nhello\n", b"Subject: big\n\n" + b"0123456789" * 200_000 + b"\n"]
    for message in stored:
        dovecot_tls.add_message(message)
    result = fetch_dovecot(pop3_fetch, dovecot_tls, *tls_options(mode, tls_ca_file))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "TLS verify=0x00000000"
    assert lines[2:] == expected_lines([as_retrieved(m) for m in stored])
    dovecot_tls.server.wait_log(f"Login: user=<{dovecot_tls.user}>, method=PLAIN, "
                                "rip=127.0.0.1, lip=127.0.0.1")


@pytest.mark.parametrize("mode", MODES)
def test_dovecot_under_another_name(pop3_fetch: Path, dovecot_tls: DovecotMailbox,
                                    tls_ca_file: Path, mode: str) -> None:
    result = fetch_dovecot(pop3_fetch, dovecot_tls, *tls_options(mode, tls_ca_file, WRONG_HOST))
    assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
    assert "Common Name (CN) does not match" in result.stderr


# -- the transport's contract alone (tls_probe) ------------------------------------------
def probe(program: Path, port: int, cafile: Path, wait_ticks: int, receives: int,
          name: str = "localhost") -> dict[str, list[int]]:
    result = subprocess.run([str(program), "127.0.0.1", str(port), str(cafile), name,
                             str(wait_ticks), str(receives)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    fields: dict[str, list[int]] = {}
    for item in result.stdout.split():
        key, value = item.split("=")
        fields.setdefault(key, []).append(int(value, 0))
    return fields


def test_a_silent_peer_times_out_the_handshake_on_its_deadline(
        tls_probe: Path, tls_ca_file: Path) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel accepts; no ServerHello
    try:
        out = probe(tls_probe, silent.getsockname()[1], tls_ca_file, 50, 0)
    finally:
        silent.close()
    assert out["connect"] == [-4], out  # NX_TRANSPORT_TLS_FAILED: it ran out of time
    assert 490 <= out["connect_ms"][0] < 2000, out


def test_a_handshake_that_stalls_halfway_times_out(
        tls_probe: Path, tls_ca_file: Path, tls_server_context: ssl.SSLContext) -> None:
    with serve("tls", tls_server_context) as server:
        server.fault("HANDSHAKE", split=[40], pause=5.0)  # 40 octets, then a long pause
        out = probe(tls_probe, server.port, tls_ca_file, 50, 0)
    assert out["connect"] == [-4], out  # TLS_FAILED
    assert 490 <= out["connect_ms"][0] < 2000, out


def test_receive_waits_its_deadline_and_the_connection_lives_on(
        tls_probe: Path, tls_ca_file: Path, tls_server_context: ssl.SSLContext) -> None:
    with serve("tls", tls_server_context) as server:
        out = probe(tls_probe, server.port, tls_ca_file, 30, 3)
    assert out["connect"] == [0] and out["verify"] == [0] and out["tls_verify"] == [0], out
    greeting, silence = out["receive"][0], out["receive"][1]
    assert greeting > 0 and silence == 0, out  # the greeting, then nothing within the wait
    assert 290 <= out["receive_ms"][1] < 1500, out
    assert out["receive"][2] == 0  # still nothing: a timeout never closes the connection


@pytest.mark.parametrize("notify", [True, False])
def test_a_peer_that_closes_is_closed(tls_probe: Path, tls_ca_file: Path,
                                      tls_server_context: ssl.SSLContext, notify: bool) -> None:
    listener = socket.create_server(("127.0.0.1", 0))

    def serve_once() -> None:
        conn, _ = listener.accept()
        with tls_server_context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"+OK bye\r\n")
            if notify:
                tls.unwrap()  # close_notify, then the TCP close; else the TCP close alone

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    try:
        out = probe(tls_probe, listener.getsockname()[1], tls_ca_file, 300, 3)
    finally:
        listener.close()
        thread.join(timeout=10)
    assert out["connect"] == [0], out
    assert out["receive"][0] == len(b"+OK bye\r\n")
    assert out["receive"][-1] == -2, out  # NX_TRANSPORT_CLOSED once every byte was returned


def test_verification_failure_is_an_error_with_its_flags(
        tls_probe: Path, tls_ca_file: Path, other_ca_file: Path,
        tls_server_context: ssl.SSLContext) -> None:
    with serve("tls", tls_server_context) as server:
        out = probe(tls_probe, server.port, tls_ca_file, 300, 0, name="other.example")
        assert out["connect"] == [-4], out  # NX_TRANSPORT_TLS_FAILED
        assert out["verify"][0] & 0x04, out  # MBEDTLS_X509_BADCERT_CN_MISMATCH
        out = probe(tls_probe, server.port, other_ca_file, 300, 0)
        assert out["connect"] == [-4], out
        assert out["verify"][0] & 0x08, out  # MBEDTLS_X509_BADCERT_NOT_TRUSTED
        assert server.commands == []
