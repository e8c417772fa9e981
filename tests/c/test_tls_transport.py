"""The Mbed TLS transport (csrc/transport/tls) from C on the host, verification on:
examples/pop3_fetch.c with --tls (POP3S) and --starttls (STLS) against a TLS POP3
server (Python's ssl over the socket-free test session, certificates from a trustme
CA made in memory), and tests/c/tls_probe.c for the transport's contract alone
(deadlines, closed peers, failed handshakes).

Every failure to get TLS must end the session before a credential is sent: the
server records each command with whether it came encrypted."""
from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nxpop3 import codes
from nxpop3.testing.dependencies import missing, require_tool
from nxpop3.testing.mailstore import Mailbox
from nxpop3.testing.session import Pop3Session

trustme = pytest.importorskip("trustme")

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


@dataclass
class Certificates:
    server: ssl.SSLContext   # the server's context: a certificate for localhost
    cafile: Path             # the CA that issued it, PEM
    other_cafile: Path       # a CA that did not


def make_certificates(directory: Path, key_type: str = "ECDSA") -> Certificates:
    kind = getattr(trustme.KeyType, key_type)
    ca, other = trustme.CA(key_type=kind), trustme.CA(key_type=kind)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", key_type=kind).configure_cert(server)
    directory.mkdir(parents=True, exist_ok=True)
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    other.cert_pem.write_to_path(str(directory / "other.pem"))
    return Certificates(server, directory / "ca.pem", directory / "other.pem")


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@dataclass
class TlsPop3Server:
    """A POP3 server over TLS for these tests, one connection at a time: implicit TLS
    (``mode="tls"``) or ``STLS`` (``mode="starttls"``) on :class:`Pop3Session`.
    ``commands`` lists each command with whether it came encrypted. Faults:
    ``inject`` is sent right after the ``+OK`` to ``STLS`` in the same write,
    ``cut_handshake`` closes instead of the handshake, ``offer_stls=False``
    leaves STLS out of CAPA (and refuses it)."""

    context: ssl.SSLContext
    mode: str = "tls"
    messages: Sequence[bytes] = tuple(MESSAGES)
    inject: bytes = b""
    cut_handshake: bool = False
    offer_stls: bool = True
    silent_after_greeting: bool = False
    commands: list[tuple[str, bool]] = field(default_factory=list)
    handshake_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)  # accept() wakes up to see close()
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.mailbox = Mailbox("alice", "secret", self.messages)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.listener.close()

    def _handshake(self, conn: socket.socket) -> ssl.SSLSocket | None:
        try:
            return self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as error:
            self.handshake_errors.append(str(error))
            conn.close()
            return None

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(30)
            try:
                self._session(conn)
            except OSError:
                pass
            finally:
                conn.close()

    def _session(self, conn: socket.socket) -> None:
        tls = self.mode == "tls"
        if tls:
            conn = self._handshake(conn)
            if conn is None:
                return
        session = Pop3Session({"alice": self.mailbox}, starttls=self.offer_stls, tls=tls)
        conn.sendall(session.greet())
        if self.silent_after_greeting:
            conn.recv(1)  # until the client goes away
            return
        pending = b""
        while not session.ended:
            while b"\r\n" not in pending:
                data = conn.recv(65536)
                if not data:
                    session.close()
                    return
                pending += data
            line, pending = pending.split(b"\r\n", 1)
            self.commands.append((line.split(b" ")[0].decode().upper(), tls))
            reply = session.handle(line)
            if not session.tls_pending:
                conn.sendall(reply)
                continue
            conn.sendall(reply + self.inject)
            if self.cut_handshake or self.inject:
                # cut, or the client must refuse to go on: it closes
                conn.recv(1) if self.inject else None
                session.close()
                return
            wrapped = self._handshake(conn)
            if wrapped is None:
                session.close()
                return
            conn, tls = wrapped, True
            session.start_tls()


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[type[TlsPop3Server]]:
    made: list[TlsPop3Server] = []

    def start(**kwargs: object) -> TlsPop3Server:
        server = TlsPop3Server(certificates.server, **kwargs)  # type: ignore[arg-type]
        made.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in made:
        server.close()


def fetch(program: Path, port: int, *options: str, delete: bool = False,
          apop: bool = False) -> subprocess.CompletedProcess:
    args = [str(program), *options, "127.0.0.1", str(port), "alice", "secret"]
    args += ["delete"] if delete else []
    args += ["apop"] if apop else []
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def expected_lines(messages: Sequence[bytes]) -> list[str]:
    return [f"MSG {i} {len(m)} {zlib.crc32(m):08x}" for i, m in enumerate(messages, 1)]


def credentials_sent_in_clear(server: TlsPop3Server) -> list[str]:
    return [name for name, encrypted in server.commands
            if name in ("USER", "PASS", "APOP") and not encrypted]


# -- sessions that work -------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["tls", "starttls"])
def test_a_whole_session_byte_exact(pop3_fetch: Path, certificates: Certificates,
                                    tls_server, mode: str) -> None:
    server = tls_server(mode=mode)
    result = fetch(pop3_fetch, server.port, f"--{mode}", "--cafile", str(certificates.cafile),
                   "--server-name", "localhost", delete=True)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "TLS verify=0x00000000"
    assert lines[1].startswith(f"STAT 3 {sum(map(len, MESSAGES))}")
    assert lines[2:] == expected_lines(MESSAGES)
    names = [name for name, _ in server.commands]
    if mode == "starttls":
        assert names[:4] == ["CAPA", "STLS", "CAPA", "USER"]
        assert server.commands[2][1] is True  # CAPA again, encrypted (RFC 2595)
    assert names[-1] == "QUIT"
    assert credentials_sent_in_clear(server) == []
    assert server.mailbox.messages == []  # deleted at QUIT, over TLS


@pytest.mark.parametrize("key_type", ["RSA", "ECDSA"])
def test_rsa_and_ecdsa_certificates(pop3_fetch: Path, tmp_path: Path, key_type: str) -> None:
    certs = make_certificates(tmp_path, key_type)
    server = TlsPop3Server(certs.server, messages=MESSAGES[:1])
    try:
        result = fetch(pop3_fetch, server.port, "--tls", "--cafile", str(certs.cafile),
                       "--server-name", "localhost")
    finally:
        server.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[2:] == expected_lines(MESSAGES[:1])


def test_apop_over_stls(pop3_fetch: Path, certificates: Certificates, tls_server) -> None:
    # The greeting has no APOP timestamp: the client falls back to USER/PASS, encrypted.
    server = tls_server(mode="starttls", messages=MESSAGES[:2])
    result = fetch(pop3_fetch, server.port, "--starttls", "--cafile", str(certificates.cafile),
                   "--server-name", "localhost", apop=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert credentials_sent_in_clear(server) == []


# -- no TLS to be had: nothing sent that matters -----------------------------------------
@pytest.mark.parametrize("mode", ["tls", "starttls"])
def test_an_untrusted_certificate_fails_before_any_credential(
        pop3_fetch: Path, certificates: Certificates, tls_server, mode: str) -> None:
    server = tls_server(mode=mode)
    result = fetch(pop3_fetch, server.port, f"--{mode}", "--cafile",
                   str(certificates.other_cafile), "--server-name", "localhost")
    assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
    assert "not correctly signed by the trusted CA" in result.stderr
    assert [name for name, _ in server.commands] == (["CAPA", "STLS"] if mode == "starttls" else [])


@pytest.mark.parametrize("mode", ["tls", "starttls"])
def test_a_certificate_for_another_name_fails(pop3_fetch: Path, certificates: Certificates,
                                              tls_server, mode: str) -> None:
    server = tls_server(mode=mode)
    result = fetch(pop3_fetch, server.port, f"--{mode}", "--cafile", str(certificates.cafile),
                   "--server-name", "mail.example.org")
    assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
    assert "Common Name (CN) does not match" in result.stderr  # Mbed TLS: a name not in it
    assert credentials_sent_in_clear(server) == []
    assert "USER" not in [name for name, _ in server.commands]


def test_the_system_bundle_does_not_trust_the_test_ca(pop3_fetch: Path, tls_server) -> None:
    server = tls_server(mode="tls")
    if not Path("/etc/ssl/certs/ca-certificates.crt").exists():
        pytest.skip("no system CA bundle")
    result = fetch(pop3_fetch, server.port, "--tls", "--server-name", "localhost")
    assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr
    assert server.commands == []


def test_no_stls_in_capa_sends_no_stls(pop3_fetch: Path, certificates: Certificates,
                                       tls_server) -> None:
    server = tls_server(mode="starttls", offer_stls=False)
    result = fetch(pop3_fetch, server.port, "--starttls", "--cafile", str(certificates.cafile),
                   "--server-name", "localhost")
    assert result.returncode == codes.NX_NOT_SUPPORTED, result.stdout + result.stderr
    assert [name for name, _ in server.commands] == ["CAPA"]


def test_plain_text_after_stls_is_an_injection(pop3_fetch: Path, certificates: Certificates,
                                               tls_server) -> None:
    server = tls_server(mode="starttls", inject=b"+OK injected\r\n")
    result = fetch(pop3_fetch, server.port, "--starttls", "--cafile", str(certificates.cafile),
                   "--server-name", "localhost")
    assert result.returncode == codes.NX_POP3_UNEXPECTED_DATA, result.stdout + result.stderr
    assert [name for name, _ in server.commands] == ["CAPA", "STLS"]
    assert server.handshake_errors == []  # no handshake was tried


def test_a_handshake_cut_by_the_server(pop3_fetch: Path, certificates: Certificates,
                                       tls_server) -> None:
    server = tls_server(mode="starttls", cut_handshake=True)
    result = fetch(pop3_fetch, server.port, "--starttls", "--cafile", str(certificates.cafile),
                   "--server-name", "localhost")
    assert result.returncode in (codes.NX_NOT_CONNECTED, codes.NX_POP3_TLS_FAILED), \
        result.stdout + result.stderr
    assert [name for name, _ in server.commands] == ["CAPA", "STLS"]


def test_implicit_tls_to_a_plain_server(pop3_fetch: Path, certificates: Certificates) -> None:
    plain = socket.create_server(("127.0.0.1", 0))

    def greet() -> None:
        conn, _ = plain.accept()
        with conn:
            conn.sendall(b"+OK plain text POP3 server ready\r\n")
            conn.recv(65536)

    thread = threading.Thread(target=greet, daemon=True)
    thread.start()
    try:
        result = fetch(pop3_fetch, plain.getsockname()[1], "--tls", "--cafile",
                       str(certificates.cafile), "--server-name", "localhost")
    finally:
        plain.close()
        thread.join(timeout=10)
    assert result.returncode == codes.NX_POP3_TLS_FAILED, result.stdout + result.stderr


def test_plain_sessions_are_unchanged(pop3_fetch: Path) -> None:
    from nxpop3.testing.server import Pop3Server

    with Pop3Server(MESSAGES[:2]) as server:
        result = fetch(pop3_fetch, server.port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[1:] == expected_lines(MESSAGES[:2])


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
        tls_probe: Path, certificates: Certificates) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # the kernel accepts; no ServerHello
    try:
        out = probe(tls_probe, silent.getsockname()[1], certificates.cafile, 50, 0)
    finally:
        silent.close()
    assert out["connect"] == [-1], out  # NX_TRANSPORT_TIMEOUT
    assert 490 <= out["connect_ms"][0] < 2000, out


def test_receive_waits_its_deadline_then_sees_the_close(
        tls_probe: Path, certificates: Certificates, tls_server) -> None:
    server = tls_server(mode="tls", silent_after_greeting=True)
    out = probe(tls_probe, server.port, certificates.cafile, 30, 3)
    assert out["connect"] == [0] and out["verify"] == [0] and out["tls_verify"] == [0], out
    greeting, silence = out["receive"][0], out["receive"][1]
    assert greeting > 0 and silence == 0, out  # the greeting, then nothing within the wait
    assert 290 <= out["receive_ms"][1] < 1500, out
    assert out["receive"][2] == 0  # still nothing: a timeout never closes the connection


def test_a_peer_that_closes_is_closed(tls_probe: Path, certificates: Certificates) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    context = certificates.server

    def serve() -> None:
        conn, _ = listener.accept()
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"+OK bye\r\n")
            tls.unwrap()  # close_notify, then the TCP close

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        out = probe(tls_probe, listener.getsockname()[1], certificates.cafile, 300, 3)
    finally:
        listener.close()
        thread.join(timeout=10)
    assert out["connect"] == [0], out
    assert out["receive"][0] == len(b"+OK bye\r\n")
    assert out["receive"][-1] == -2, out  # NX_TRANSPORT_CLOSED once every byte was returned


def test_verification_failure_is_an_error_with_its_flags(
        tls_probe: Path, certificates: Certificates, tls_server) -> None:
    server = tls_server(mode="tls")
    out = probe(tls_probe, server.port, certificates.cafile, 300, 0, name="other.example")
    assert out["connect"] == [-3], out  # NX_TRANSPORT_ERROR
    assert out["verify"][0] & 0x04, out  # MBEDTLS_X509_BADCERT_CN_MISMATCH
    out = probe(tls_probe, server.port, certificates.other_cafile, 300, 0)
    assert out["connect"] == [-3], out
    assert out["verify"][0] & 0x08, out  # MBEDTLS_X509_BADCERT_NOT_TRUSTED
