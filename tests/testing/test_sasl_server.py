"""AUTH over sockets: each mechanism against Pop3Server (plain and under STLS), the
transcript of an exchange, every SASL fault knob, and curl as an independent client."""
from __future__ import annotations

import base64
import os
import socket
import subprocess
import time

import pytest
from sasl_peer import Scram, b64, challenge_of, login, oauthbearer, plain, xoauth2
from test_pop3_server_edges import wait_for

from nxpop3.testing import Pop3Server
from nxpop3.testing.dependencies import require_tool
from nxpop3.testing.faults import SASL
from nxpop3.testing.session import SASL_MECHANISMS

MESSAGE = b"Subject: x\r\n\r\nhi\r\n"
OK_LOGIN = b"+OK maildrop has 1 messages (18 octets)\r\n"
TOKEN = "ya29.test-token"


def sasl_server(**options) -> Pop3Server:
    options.setdefault("sasl", SASL_MECHANISMS)
    options.setdefault("tokens", {"alice": TOKEN})
    return Pop3Server([MESSAGE], **options)


def connect(server: Pop3Server, raw_client):
    client = raw_client(server.address)
    assert client.line().startswith(b"+OK")
    return client


def send_to(client):
    return lambda text: client.command(text)


def secret_of(mechanism: str) -> str:
    return TOKEN if "OAUTH" in mechanism else "secret"


# -- each mechanism ----------------------------------------------------------------------------

@pytest.mark.parametrize("mechanism", SASL_MECHANISMS)
def test_each_mechanism_over_a_socket(mechanism, raw_client):
    with sasl_server() as server:
        client = connect(server, raw_client)
        assert login(send_to(client), mechanism, "alice", secret_of(mechanism)) == OK_LOGIN
        assert client.command("QUIT").startswith(b"+OK")
        assert server.wait_idle(5)
        record = server.sessions[0].authentications[0]
        assert (record.mechanism, record.outcome, record.user) == (mechanism, "success", "alice")
        assert server.errors == []


def test_scram_under_stls(tls_server_context, tls_client_context, raw_client):
    with sasl_server(starttls=tls_server_context, sasl=["SCRAM-SHA-256"]) as server:
        client = connect(server, raw_client)
        caps = client.command("CAPA") + client.multi()
        assert b"SASL SCRAM-SHA-256\r\n" in caps
        assert client.command("STLS").startswith(b"+OK")
        client.start_tls(tls_client_context)
        assert login(send_to(client), "SCRAM-SHA-256", "alice", "secret") == OK_LOGIN
        assert server.commands_in_clear == ["CAPA", "STLS"]
        assert not server.sent_in_clear("secret")


def test_the_transcript_shows_what_the_client_sent(raw_client):
    with sasl_server() as server:
        client = connect(server, raw_client)
        assert client.command("AUTH PLAIN") == b"+ \r\n"
        assert client.command("*") == b"-ERR authentication cancelled\r\n"
        response = b64(plain("alice", "secret"))
        assert client.command(f"AUTH PLAIN {response}") == OK_LOGIN
        session = server.sessions[0]
        assert session.commands == ["AUTH PLAIN", "*", f"AUTH PLAIN {response}"]
        first, second = session.authentications
        assert first.initial_response is None and first.responses == ["*"] and first.cancelled
        assert second.initial_response == response and second.responses == []
        assert server.commands[:2] == ["AUTH PLAIN", "*"]


def test_a_server_without_sasl_records_no_exchange(raw_client):
    with Pop3Server([MESSAGE]) as server:
        client = connect(server, raw_client)
        assert client.command("AUTH PLAIN") == b"-ERR unknown command AUTH\r\n"
        assert server.sessions[0].authentications == []


def test_a_long_oauth_token_in_one_line(raw_client):
    token = "t" * 20_000  # RFC 5034 sets no line limit on AUTH: the server takes 64 KiB
    with sasl_server(tokens={"alice": token}) as server:
        client = connect(server, raw_client)
        assert client.command("AUTH XOAUTH2 " + b64(xoauth2("alice", token))) == OK_LOGIN
    with sasl_server(tokens={"alice": token}) as server:
        client = connect(server, raw_client)
        assert client.command("AUTH XOAUTH2") == b"+ \r\n"
        assert client.command(b64(xoauth2("alice", token))) == OK_LOGIN


def test_a_response_line_over_64_kib_closes_the_connection(raw_client):
    with sasl_server() as server:
        client = connect(server, raw_client)
        assert client.command("AUTH PLAIN") == b"+ \r\n"
        client.send(b"A" * 65_536)  # all read by the server, so it closes with a FIN
        assert client.read_all() == b"-ERR command line too long\r\n"


def test_the_empty_challenge_without_a_space(raw_client):
    with sasl_server(continuation_space=False) as server:
        client = connect(server, raw_client)
        assert client.command("AUTH PLAIN") == b"+\r\n"
        assert client.command(b64(plain("alice", "secret"))) == OK_LOGIN


def test_the_options_are_read_by_each_new_connection(raw_client):
    with sasl_server(sasl=["PLAIN"]) as server:
        server.sasl = ["CRAM-MD5"]
        server.cram_md5_challenge = "<1.2@fixed>"
        client = connect(server, raw_client)
        assert challenge_of(client.command("AUTH CRAM-MD5")) == b"<1.2@fixed>"


def test_the_salt_and_iterations_of_each_user(raw_client):
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    with sasl_server(scram_salt=salt, scram_iterations=2048) as server:
        server.add_mailbox("bob", "pw", [], scram_iterations=1024)
        assert server.mailbox().scram.salt == salt and server.mailbox().scram.iterations == 2048
        assert server.mailbox("bob").scram.iterations == 1024
        client = connect(server, raw_client)
        scram = Scram("bob", "pw", "abcdefghijklmnop")
        server_first = challenge_of(client.command("AUTH SCRAM-SHA-256 " + b64(scram.first())))
        assert server_first.endswith(b",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1024")


def test_the_tokens_can_change_while_running(raw_client):
    with sasl_server() as server:
        server.tokens["alice"] = "new-token"
        client = connect(server, raw_client)
        assert client.command("AUTH OAUTHBEARER " + b64(oauthbearer("alice", "new-token"))) \
            == OK_LOGIN


# -- the generic knobs on AUTH and on the exchange ----------------------------------------------

def test_err_on_auth_refuses_before_any_challenge(raw_client):
    with sasl_server() as server:
        server.fault("AUTH", err="[SYS/TEMP] not now", once=True)
        client = connect(server, raw_client)
        assert client.command("AUTH PLAIN " + b64(plain("alice", "secret"))) == (
            b"-ERR [SYS/TEMP] not now\r\n"
        )
        assert server.sessions[0].authentications == []  # the session never saw it
        assert client.command("AUTH PLAIN " + b64(plain("alice", "secret"))) == OK_LOGIN


def test_a_fault_on_auth_mech_matches_without_the_initial_response(raw_client):
    with sasl_server() as server:
        server.fault("AUTH CRAM-MD5", err="[AUTH] no CRAM today")
        client = connect(server, raw_client)
        assert client.command("AUTH CRAM-MD5") == b"-ERR [AUTH] no CRAM today\r\n"
        assert client.command("AUTH PLAIN " + b64(plain("alice", "secret"))) == OK_LOGIN


def test_err_on_a_response_ends_the_exchange(raw_client):
    with sasl_server() as server:
        refusal = server.fault(SASL, err="[AUTH] refused at the password")
        client = connect(server, raw_client)
        assert client.command("AUTH LOGIN") == b"+ VXNlcm5hbWU6\r\n"
        assert client.command(b64(b"alice")) == b"-ERR [AUTH] refused at the password\r\n"
        assert client.command("NOOP") == b"-ERR not logged in\r\n"  # a command again
        assert refusal.hits == 1
        assert server.sessions[0].authentications[0].outcome == "abandoned"


def test_split_and_close_after_on_the_exchange(raw_client):
    with sasl_server() as server:
        server.fault("SASL SCRAM-SHA-256", split=1, pause=0.001, once=True)
        server.fault("SASL SCRAM-SHA-256", close_after=5, skip=1)
        client = connect(server, raw_client)
        scram = Scram("alice", "secret", "abcdefghijklmnop")
        reply = client.command("AUTH SCRAM-SHA-256 " + b64(scram.first()))
        reply = client.command(b64(scram.final(challenge_of(reply))))
        assert scram.verifies(challenge_of(reply))
        client.send(b"\r\n")
        assert client.read_all() == OK_LOGIN[:5]
        session = server.sessions[0]
        assert session.writes[2 : 2 + 5] == [1] * 5  # the server-final, one octet at a time


def test_silent_on_the_exchange(raw_client):
    with sasl_server() as server:
        server.fault(SASL, silent=True)
        client = connect(server, raw_client)
        client.command("AUTH PLAIN")
        client.send(b64(plain("alice", "secret")).encode() + b"\r\n")
        client.sock.settimeout(0.3)
        with pytest.raises(socket.timeout):
            client.line()


# -- the SASL knobs ------------------------------------------------------------------------------

def test_knob_malformed_challenge(raw_client):
    with sasl_server() as server:
        fault = server.fault("AUTH", challenge=b"%%% not base64 %%%", once=True)
        client = connect(server, raw_client)
        assert client.command("AUTH CRAM-MD5") == b"+ %%% not base64 %%%\r\n"
        assert client.command("*") == b"-ERR authentication cancelled\r\n"
        assert fault.hits == 1 and not fault.active
        assert login(send_to(client), "CRAM-MD5", "alice", "secret") == OK_LOGIN


def test_knob_challenge_size(raw_client):
    with sasl_server() as server:
        server.fault("AUTH", challenge_size=100_000)
        client = connect(server, raw_client)
        line = client.command("AUTH SCRAM-SHA-256 " + b64(b"n,,n=alice,r=abcdefghijklmnop"))
        assert len(line) == 100_004 and line.startswith(b"+ ")
        base64.b64decode(line[2:-2], validate=True)
        assert client.command("*") == b"-ERR authentication cancelled\r\n"


def test_knob_wrong_signature(raw_client):
    with sasl_server() as server:
        server.fault("AUTH SCRAM-SHA-256", signature="wrong")
        client = connect(server, raw_client)
        scram = Scram("alice", "secret", "abcdefghijklmnop")
        reply = client.command("AUTH SCRAM-SHA-256 " + b64(scram.first()))
        server_final = challenge_of(client.command(b64(scram.final(challenge_of(reply)))))
        assert server_final.startswith(b"v=") and not scram.verifies(server_final)
        assert client.command("*") == b"-ERR authentication cancelled\r\n"
        assert server.sessions[0].authentications[0].cancelled


def test_knob_missing_signature(raw_client):
    with sasl_server() as server:
        server.fault("AUTH", signature="missing")
        client = connect(server, raw_client)
        scram = Scram("alice", "secret", "abcdefghijklmnop")
        reply = client.command("AUTH SCRAM-SHA-256 " + b64(scram.first()))
        assert client.command(b64(scram.final(challenge_of(reply)))) == OK_LOGIN


def test_knob_server_error(raw_client):
    with sasl_server() as server:
        server.fault("AUTH", server_error="invalid-proof")
        client = connect(server, raw_client)
        scram = Scram("alice", "secret", "abcdefghijklmnop")
        reply = client.command("AUTH SCRAM-SHA-256 " + b64(scram.first()))
        reply = client.command(b64(scram.final(challenge_of(reply))))
        assert challenge_of(reply) == b"e=invalid-proof"
        assert client.command("*") == b"-ERR authentication cancelled\r\n"


@pytest.mark.parametrize("text", ["[AUTH] credentials expired", "[SYS/TEMP] try later"])
@pytest.mark.parametrize("mechanism", SASL_MECHANISMS)
def test_knob_auth_err_after_a_correct_exchange(text, mechanism, raw_client):
    with sasl_server() as server:
        server.fault("AUTH", auth_err=text, once=True)
        client = connect(server, raw_client)
        reply = login(send_to(client), mechanism, "alice", secret_of(mechanism))
        assert reply == f"-ERR {text}\r\n".encode()
        assert client.command("USER alice").startswith(b"+OK")
        assert client.command("PASS secret") == OK_LOGIN


@pytest.mark.parametrize("mechanism", SASL_MECHANISMS)
def test_knob_extra_challenge(mechanism, raw_client):
    with sasl_server() as server:
        server.fault("AUTH", extra_challenge=b"what else?")
        client = connect(server, raw_client)
        reply = login(send_to(client), mechanism, "alice", secret_of(mechanism))
        assert challenge_of(reply) == b"what else?"
        assert client.command("*") == b"-ERR authentication cancelled\r\n"
        assert not server.sessions[0].logged_in


def test_knob_endless_challenge_until_the_client_gives_up(raw_client):
    with sasl_server() as server:
        server.fault("AUTH", endless_challenge=True, pause=0.01)
        client = connect(server, raw_client)
        client.send(b"AUTH PLAIN\r\n")
        received = b""
        deadline = time.monotonic() + 5
        while len(received) < 20 and time.monotonic() < deadline:
            received += client.sock.recv(100)
        assert received.startswith(b"+ AAA") and b"\r" not in received
        client.send(b"*\r\n")  # the client gives up
        assert wait_for(lambda: server.sessions[0].commands == ["AUTH PLAIN", "*"])
        time.sleep(0.1)  # the trickle has stopped: nothing more is sent
        sent = len(server.sessions[0].sent)
        time.sleep(0.1)
        assert len(server.sessions[0].sent) == sent
        client.close()
        assert server.wait_idle(5)
        assert server.sessions[0].authentications == []


def test_knob_endless_challenge_bounded_by_the_server_timeout(raw_client):
    with sasl_server(timeout=0.5) as server:
        server.fault("AUTH", endless_challenge=True, split=3, pause=0.02)
        client = connect(server, raw_client)
        client.send(b"AUTH CRAM-MD5\r\n")
        started = time.monotonic()
        data = client.read_all(5)  # the server closes once its timeout has passed
        assert time.monotonic() - started < 5
        assert data.startswith(b"+ AAA") and not data.endswith(b"\n")
        assert server.wait_idle(5)
        assert all(size == 3 for size in server.sessions[0].writes[2:])


def test_knob_endless_challenge_when_the_client_closes(raw_client):
    with sasl_server() as server:
        server.fault("AUTH", endless_challenge=True)
        client = connect(server, raw_client)
        client.send(b"AUTH PLAIN\r\n")
        assert client.sock.recv(2) == b"+ "
        client.close()
        assert server.wait_idle(5)


def test_sasl_knobs_are_checked():
    server = Pop3Server()
    with pytest.raises(ValueError, match="signature"):
        server.fault("AUTH", signature="maybe")
    with pytest.raises(ValueError, match="challenge_size"):
        server.fault("AUTH", challenge_size=-1)
    fault = server.fault("AUTH", challenge="text", extra_challenge="more")
    assert fault.challenge == b"text" and fault.extra_challenge == b"more"
    assert server.fault("AUTH", split=1).deviations() is None




# -- curl: an independent client ------------------------------------------------------------------

@pytest.fixture(scope="module")
def curl() -> str:
    return require_tool("curl", "curl")


def run_curl(curl: str, server: Pop3Server, *options: str, user: str = "alice:secret"):
    url = f"pop3://{server.host}:{server.port}/1"
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # see test_other_clients
    credentials = ["--user", user] if user else []
    return subprocess.run(
        [curl, "--silent", "--show-error", "--max-time", "10", *credentials, url, *options],
        capture_output=True, timeout=30, check=False, env=env,
    )


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
@pytest.mark.parametrize("initial", [False, True], ids=["no-ir", "sasl-ir"])
def test_curl_logs_in_with_a_password(curl, mechanism, initial):
    with sasl_server() as server:
        options = ["--login-options", f"AUTH={mechanism}"] + (["--sasl-ir"] if initial else [])
        done = run_curl(curl, server, *options)
        assert done.returncode == 0, done.stderr
        assert done.stdout == MESSAGE
        record = server.sessions[0].authentications[0]
        assert (record.mechanism, record.outcome) == (mechanism, "success")
        assert server.commands[0] == "CAPA"
        assert not any(c.startswith(("USER", "PASS", "APOP")) for c in server.commands)
        if mechanism == "CRAM-MD5":
            assert record.initial_response is None  # the server speaks first
        else:
            assert (record.initial_response is not None) is initial


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_curl_logs_in_with_a_bearer_token(curl, mechanism):
    with sasl_server(sasl=[mechanism]) as server:
        done = run_curl(curl, server, "--oauth2-bearer", TOKEN, user="alice")
        assert done.returncode == 0, done.stderr
        assert done.stdout == MESSAGE
        record = server.sessions[0].authentications[0]
        assert (record.mechanism, record.outcome, record.user) == (mechanism, "success", "alice")


def test_curl_answers_the_oauthbearer_error_challenge_with_x01(curl):
    with sasl_server(sasl=["OAUTHBEARER"]) as server:
        done = run_curl(curl, server, "--oauth2-bearer", "stolen", user="alice")
        assert done.returncode != 0
        assert server.wait_idle(5)
        record = server.sessions[0].authentications[0]
        assert record.outcome == "refused" and record.responses[-1] == "AQ=="
        assert server.sessions[0].sent.endswith(b"-ERR [AUTH] invalid token\r\n")


@pytest.mark.parametrize("initial", [False, True], ids=["no-ir", "sasl-ir"])
def test_curl_and_the_xoauth2_error_challenge(curl, initial):
    with sasl_server(sasl=["XOAUTH2"]) as server:
        done = run_curl(curl, server, "--oauth2-bearer", "stolen", *(["--sasl-ir"] * initial),
                        user="alice")
        assert done.returncode != 0
        assert server.wait_idle(5)
        record = server.sessions[0].authentications[0]
        challenge = challenge_of(server.sessions[0].sent.split(b"\r\n")[-2])
        assert challenge == b'{"status":"401","schemes":"bearer","scope":"pop3"}'
        # curl 7.88 closes the connection at the error challenge; a client that answers
        # must answer with an empty line
        answers = record.responses[1:] if not initial else record.responses
        assert (record.outcome, answers) in (("abandoned", []), ("refused", [""]))


def test_curl_refused_with_a_wrong_password(curl):
    with sasl_server() as server:
        done = run_curl(curl, server, "--login-options", "AUTH=CRAM-MD5", user="alice:wrong")
        assert done.returncode != 0
        assert b"-ERR [AUTH]" in server.sessions[0].sent
