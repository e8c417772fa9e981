"""Client's logins against the test server's SASL: each mechanism, the choice of
the strongest offered, the refusals before anything is sent, and the errors a
failed login raises (with its mechanism and response code)."""
from __future__ import annotations

import pytest

from nxpop3 import (
    AuthenticationError,
    BadArgument,
    Client,
    PlaintextRefused,
    ProtocolError,
    lib,
    login_policy,
)
from nxpop3.testing import SASL_MECHANISMS, Pop3Server
from nxpop3.transport import ScriptedTransport

MESSAGES = [b"Subject: one\r\n\r\nfirst\r\n", b"Subject: two\r\n\r\nsecond\r\n"]
PASSWORDS = ("SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN")


def auth_lines(server: Pop3Server) -> list[str]:
    return [c for c in server.commands if c.startswith(("AUTH", "USER", "PASS", "APOP"))]


@pytest.mark.parametrize("mechanism", PASSWORDS)
def test_each_password_mechanism_logs_in(mechanism: str) -> None:
    with Pop3Server(MESSAGES, sasl=SASL_MECHANISMS) as server:
        with Client(server.host, server.port, "alice", "secret", mechanism=mechanism) as client:
            assert client.mechanism == mechanism
            assert client.retr(2) == MESSAGES[1]
        assert auth_lines(server)[0].startswith(f"AUTH {mechanism}")
        assert not any(c.startswith(("USER", "PASS")) for c in server.commands)


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_each_token_mechanism_logs_in(mechanism: str) -> None:
    with Pop3Server(MESSAGES, sasl=SASL_MECHANISMS, tokens={"alice": "ya29.token"}) as server:
        with Client(server.host, server.port) as client:
            client.auth(mechanism, "alice", "ya29.token")
            assert client.state == "TRANSACTION" and client.mechanism == mechanism
            assert client.stat()[0] == 2


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_a_bad_token_is_an_authentication_error(mechanism: str) -> None:
    with Pop3Server(MESSAGES, sasl=SASL_MECHANISMS, tokens={"alice": "good"}) as server:
        with Client(server.host, server.port) as client:
            with pytest.raises(AuthenticationError) as caught:
                client.auth(mechanism, "alice", "expired")
            assert caught.value.mechanism == mechanism
            assert client.state == "AUTHORIZATION"
            client.auth(mechanism, "alice", "good")  # the session is still usable
            assert client.state == "TRANSACTION"


def test_kilobyte_token() -> None:
    token = "ey" + "J" * 3000
    with Pop3Server(MESSAGES, sasl=["OAUTHBEARER"], tokens={"alice": token}) as server:
        with Client(server.host, server.port) as client:
            client.auth("oauthbearer", "alice", token)
            assert client.stat()[0] == 2


@pytest.mark.parametrize("offered,expected", [
    (SASL_MECHANISMS, "SCRAM-SHA-256"),
    (("PLAIN", "CRAM-MD5", "LOGIN"), "CRAM-MD5"),
    (("PLAIN", "LOGIN"), "PLAIN"),
    (("LOGIN",), "LOGIN"),
    ((), "USER"),
    (("XOAUTH2",), "USER"),  # a token mechanism is never chosen for a password
])
def test_the_strongest_offered_is_chosen(offered: tuple[str, ...], expected: str) -> None:
    with Pop3Server(MESSAGES, sasl=offered) as server:
        with Client(server.host, server.port, "alice", "secret") as client:
            assert client.mechanism == expected
        assert server.commands[0] == "CAPA"


def test_apop_beats_the_plaintext_ones_and_loses_to_cram() -> None:
    with Pop3Server(MESSAGES, apop=True, sasl=("PLAIN",)) as server:
        with Client(server.host, server.port, "alice", "secret") as client:
            assert client.mechanism == "APOP" and client.apop_used
    with Pop3Server(MESSAGES, apop=True, sasl=("CRAM-MD5", "PLAIN")) as server:
        with Client(server.host, server.port, "alice", "secret") as client:
            assert client.mechanism == "CRAM-MD5" and not client.apop_used


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "CRAM-MD5", "XOAUTH2"])
def test_a_mechanism_named_and_not_offered_sends_nothing(mechanism: str) -> None:
    with Pop3Server(MESSAGES, sasl=("PLAIN",)) as server:
        with pytest.raises(AuthenticationError) as caught:
            Client(server.host, server.port, "alice", "secret", mechanism=mechanism)
        assert caught.value.status == lib.NX_POP3_MECHANISM_NOT_OFFERED
        assert caught.value.mechanism == mechanism
        assert "nothing was sent" in str(caught.value)
        assert server.commands == ["CAPA"]  # no credential, not even the name


def test_apop_named_without_a_timestamp_sends_nothing() -> None:
    with Pop3Server(MESSAGES) as server:  # no timestamp in the greeting
        with pytest.raises(AuthenticationError) as caught:
            Client(server.host, server.port, "alice", "secret", apop=True)
        assert caught.value.mechanism == "APOP"
        assert server.commands == []


def test_apop_refused_never_falls_back_to_user_pass() -> None:
    with Pop3Server(MESSAGES, apop=True) as server:
        with pytest.raises(AuthenticationError) as caught:
            Client(server.host, server.port, "alice", "wrong", mechanism="APOP")
        assert caught.value.mechanism == "APOP"
        assert [c.split()[0] for c in server.commands] == ["APOP"]


def test_a_refused_login_carries_mechanism_and_code_and_can_be_retried() -> None:
    with Pop3Server(MESSAGES, sasl=SASL_MECHANISMS) as server:
        with Client(server.host, server.port) as client:
            with pytest.raises(AuthenticationError) as caught:
                client.login("alice", "wrong")
            assert caught.value.mechanism == "SCRAM-SHA-256"
            assert "wrong" not in str(caught.value)
            assert client.state == "AUTHORIZATION"
            client.login("alice", "secret")
            assert client.state == "TRANSACTION"


def test_sys_temp_is_a_server_error_with_its_code() -> None:
    with Pop3Server(MESSAGES, sasl=SASL_MECHANISMS) as server:
        server.fault("AUTH", auth_err="[SYS/TEMP] try again later")
        with Client(server.host, server.port) as client:
            with pytest.raises(Exception) as caught:
                client.login("alice", "secret")
            assert not isinstance(caught.value, AuthenticationError)
            assert caught.value.code == "SYS/TEMP"
            assert caught.value.mechanism == "SCRAM-SHA-256"


def test_a_server_that_cannot_prove_the_password_is_refused() -> None:
    with Pop3Server(MESSAGES, sasl=SASL_MECHANISMS) as server:
        server.fault("AUTH", signature="wrong")
        with pytest.raises(AuthenticationError) as caught:
            Client(server.host, server.port, "alice", "secret")
        assert caught.value.status == lib.NX_POP3_SERVER_NOT_VERIFIED
        assert caught.value.mechanism == "SCRAM-SHA-256"
        assert "QUIT" not in server.commands  # closed at once: no session with that server


def test_a_malformed_challenge_is_a_protocol_error() -> None:
    with Pop3Server(MESSAGES, sasl=("CRAM-MD5",)) as server:
        server.fault("AUTH", challenge=b"not base64!")
        with pytest.raises(ProtocolError) as caught:
            Client(server.host, server.port, "alice", "secret")
        assert caught.value.status == lib.NX_POP3_INVALID_CHALLENGE


# --- the plain-text rule, through a scripted server at an address that is not loopback ---

def remote(*exchanges: tuple[str, bytes], greeting: bytes = b"+OK hi\r\n") -> ScriptedTransport:
    t = ScriptedTransport(greeting)
    for prefix, reply in exchanges:
        t.expect(prefix, reply)
    return t


@pytest.mark.parametrize("capa", [b"+OK\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n", b"-ERR\r\n"])
def test_no_password_in_clear_to_a_remote_host(capa: bytes) -> None:
    t = remote(("CAPA", capa))
    with pytest.raises(PlaintextRefused) as caught:
        Client("192.0.2.7", 110, "alice", "secret", transport=t)
    assert "tls=True" in str(caught.value) and "allow_plaintext=True" in str(caught.value)
    assert t.commands == ["CAPA"]


def test_a_named_cleartext_mechanism_to_a_remote_host_is_refused() -> None:
    t = remote()
    with pytest.raises(PlaintextRefused) as caught:
        Client("192.0.2.7", 110, "alice", "secret", mechanism="USER", transport=t)
    assert caught.value.mechanism == "USER" and t.commands == []


def test_allow_plaintext_sends_it() -> None:
    t = remote(("CAPA", b"+OK\r\nUSER\r\n.\r\n"), ("USER alice", b"+OK\r\n"),
               ("PASS secret", b"+OK\r\n"), ("QUIT", b"+OK\r\n"))
    with Client("192.0.2.7", 110, "alice", "secret", allow_plaintext=True, transport=t) as c:
        assert c.mechanism == "USER"
    assert t.errors == []


def test_challenge_response_goes_to_a_remote_host_without_tls() -> None:
    stamp = b"<1896.697170952@dbc.mtview.ca.us>"
    t = remote(("APOP alice ", b"+OK\r\n"), ("QUIT", b"+OK\r\n"),
               greeting=b"+OK ready " + stamp + b"\r\n")
    t._exchanges.appendleft(("CAPA", [b"+OK\r\nUSER\r\n.\r\n"]))
    with Client("192.0.2.7", 110, "alice", "secret", transport=t) as c:
        assert c.mechanism == "APOP"


def test_policy_table() -> None:
    choose = login_policy.choose
    everything = login_policy.MECHANISMS
    assert choose(everything, None, encrypted=False, loopback=False,
                  allow_plaintext=False) == "SCRAM-SHA-256"
    assert choose({"USER", "PLAIN"}, None, encrypted=True, loopback=False,
                  allow_plaintext=False) == "PLAIN"
    with pytest.raises(PlaintextRefused):
        choose({"USER", "PLAIN", "XOAUTH2"}, None, encrypted=False, loopback=False,
               allow_plaintext=False)
    with pytest.raises(PlaintextRefused):
        choose({"XOAUTH2"}, "xoauth2", encrypted=False, loopback=False, allow_plaintext=False)
    assert choose({"XOAUTH2"}, "xoauth2", encrypted=False, loopback=True,
                  allow_plaintext=False) == "XOAUTH2"
    with pytest.raises(AuthenticationError):
        choose(set(), None, encrypted=True, loopback=True, allow_plaintext=True)
    with pytest.raises(BadArgument):
        login_policy.normalize("DIGEST-MD5")
    with pytest.raises(BadArgument):
        login_policy.normalize(5)  # type: ignore[arg-type]


def test_offered_reads_the_capabilities() -> None:
    asked, sasl, user = (lib.NX_POP3_CAPABILITY_ASKED, lib.NX_POP3_CAPABILITY_SASL,
                         lib.NX_POP3_CAPABILITY_USER)
    scram = 1 << lib.NX_POP3_SASL_SCRAM_SHA_256
    assert login_policy.offered(asked, 0, False) == {"USER"}  # an RFC 1939 server
    assert login_policy.offered(asked | sasl, scram, True) == {"SCRAM-SHA-256", "APOP"}
    assert login_policy.offered(asked | sasl | user, scram, False) == {"SCRAM-SHA-256", "USER"}
    assert login_policy.offered(asked | user, scram, False) == {"USER"}  # mask without SASL


def test_apop_and_another_mechanism_exclude_each_other() -> None:
    with pytest.raises(BadArgument):
        Client("127.0.0.1", 110, "alice", "secret", apop=True, mechanism="PLAIN")


def test_auth_needs_a_mechanism_and_the_authorization_state() -> None:
    with Pop3Server(MESSAGES, sasl=SASL_MECHANISMS) as server:
        with Client(server.host, server.port) as client:
            with pytest.raises(BadArgument):
                client.auth(None, "alice", "secret")  # type: ignore[arg-type]
            client.auth("PLAIN", "alice", "secret")
            with pytest.raises(Exception, match="already logged in"):
                client.auth("PLAIN", "alice", "secret")


def test_user_named_and_not_in_the_capa_sends_nothing() -> None:
    t = remote(("CAPA", b"+OK\r\nSASL PLAIN\r\n.\r\n"))
    with Client("127.0.0.1", 110, transport=t) as client:
        client.capa()
        with pytest.raises(AuthenticationError) as caught:
            client.login("alice", "secret", mechanism="USER")
        assert caught.value.status == lib.NX_POP3_MECHANISM_NOT_OFFERED
        assert t.commands == ["CAPA"]
        t.expect("QUIT", b"+OK\r\n")
