"""AUTH (RFC 5034) in the socket-free Pop3Session: each mechanism against the client of
sasl_peer (hmac, hashlib, base64 only), the RFC examples byte for byte, cancelling,
bad base64, the refusals, and each departure of SaslDeviations."""
from __future__ import annotations

import base64
import json
import socket

import pytest
from sasl_peer import Scram, b64, challenge_of, cram_md5, login, oauthbearer, plain, xoauth2

from nxpop3.testing import Mailbox, Pop3Session
from nxpop3.testing.sasl import (
    SASL_MECHANISMS,
    SaslDeviations,
    ScramCredential,
    check_mechanisms,
    cram_md5_digest,
)
from nxpop3.testing.session import State, default_capabilities

MESSAGE = b"Subject: x\r\n\r\nhi\r\n"
OK_LOGIN = b"+OK maildrop has 1 messages (18 octets)\r\n"


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the POP3 session opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)


def new_session(mechanisms=SASL_MECHANISMS, **options) -> Pop3Session:
    options.setdefault("tokens", {"alice": "tok-alice"})
    boxes = {"alice": Mailbox("alice", "secret", [MESSAGE])}
    session = Pop3Session(boxes, sasl=mechanisms, **options)
    session.greet()
    return session


def decoded(reply: bytes) -> bytes:
    return challenge_of(reply)


# -- the RFC examples, exactly -------------------------------------------------------------------

RFC7677_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
RFC7677_SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"


def test_rfc7677_scram_sha_256_exchange_byte_for_byte():
    box = Mailbox("user", "pencil", [MESSAGE], scram_salt=RFC7677_SALT)
    session = Pop3Session({"user": box}, sasl="SCRAM-SHA-256", scram_nonce=RFC7677_SERVER_NONCE)
    session.greet()
    reply = session.handle("AUTH SCRAM-SHA-256 " + b64(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
    assert decoded(reply) == (
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    )
    client_final = (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    reply = session.handle(b64(client_final))
    assert reply == b"+ " + base64.b64encode(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=") \
        + b"\r\n"
    assert session.authenticating and not session.logged_in
    assert session.handle("") == OK_LOGIN
    assert session.state is State.TRANSACTION and session.user == "user"
    record = session.authentications[-1]
    assert (record.mechanism, record.outcome, record.user, record.challenges) == (
        "SCRAM-SHA-256", "success", "user", 2
    )


def test_our_scram_client_reproduces_the_rfc7677_proof():
    client = Scram("user", "pencil", "rOprNGfwEbeRWgbNEkqO")
    server_first = (
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    )
    assert client.final(server_first).endswith(b",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    assert client.verifies(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")


def test_rfc2195_cram_md5_exchange_byte_for_byte():
    stamp = "<1896.697170952@postoffice.reston.mci.net>"
    boxes = {"tim": Mailbox("tim", "tanstaaftanstaaf", [MESSAGE])}
    session = Pop3Session(boxes, sasl=["CRAM-MD5"], cram_md5_challenge=stamp)
    session.greet()
    assert session.handle("AUTH CRAM-MD5") == (
        b"+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
    )
    assert cram_md5_digest(stamp, "tanstaaftanstaaf") == "b913a602c7eda7a495b4e6e7334d3890"
    assert session.handle("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw") == OK_LOGIN
    assert session.user == "tim"


# -- each mechanism, with and without an initial response ----------------------------------------

@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"])
@pytest.mark.parametrize("initial", [True, False], ids=["initial-response", "after-plus"])
def test_each_mechanism_logs_in(mechanism, initial):
    session = new_session()
    secret = "tok-alice" if "OAUTH" in mechanism else "secret"
    assert login(session.handle, mechanism, "alice", secret, initial=initial) == OK_LOGIN
    record = session.authentications[0]
    assert record.outcome == "success" and record.user == "alice"
    assert (record.initial_response is not None) is initial
    assert session.state is State.TRANSACTION


@pytest.mark.parametrize("mechanism", ["LOGIN", "CRAM-MD5"])
def test_challenge_first_mechanisms_log_in(mechanism):
    session = new_session()
    assert login(session.handle, mechanism, "alice", "secret") == OK_LOGIN
    assert session.authentications[0].initial_response is None


def test_login_challenges_and_an_initial_user_name():
    session = new_session()
    assert session.handle("AUTH LOGIN") == b"+ VXNlcm5hbWU6\r\n"  # "Username:"
    assert session.handle(b64(b"alice")) == b"+ UGFzc3dvcmQ6\r\n"  # "Password:"
    assert session.handle(b64(b"wrong")) == b"-ERR [AUTH] authentication failed\r\n"
    assert session.handle("AUTH LOGIN " + b64(b"alice")) == b"+ UGFzc3dvcmQ6\r\n"
    assert session.handle(b64(b"secret")) == OK_LOGIN


def test_plain_authorization_identity_and_wrong_passwords():
    session = new_session()
    reply = session.handle("AUTH PLAIN " + b64(plain("alice", "secret", authzid="bob")))
    assert reply == b"-ERR [AUTH] alice may not act as bob\r\n"
    reply = session.handle("AUTH PLAIN " + b64(plain("alice", "wrong")))
    assert reply == b"-ERR [AUTH] authentication failed\r\n"
    reply = session.handle("AUTH PLAIN " + b64(plain("nobody", "secret")))
    assert reply == b"-ERR [AUTH] authentication failed\r\n"
    assert session.handle("AUTH PLAIN =") == b"-ERR malformed PLAIN response\r\n"
    assert session.handle("AUTH PLAIN " + b64(b"alice\0secret")) == (
        b"-ERR malformed PLAIN response\r\n"
    )
    assert [r.outcome for r in session.authentications] == ["refused"] * 3 + ["invalid"] * 2
    reply = session.handle("AUTH PLAIN " + b64(plain("alice", "secret", authzid="alice")))
    assert reply == OK_LOGIN


def test_auth_code_only_with_auth_resp_code():
    session = new_session(capabilities=["USER", "SASL PLAIN"])
    reply = session.handle("AUTH PLAIN " + b64(plain("alice", "wrong")))
    assert reply == b"-ERR authentication failed\r\n"


def test_cram_md5_refuses_an_initial_response_and_a_wrong_digest():
    session = new_session(cram_md5_challenge="<1.2@test>")
    assert session.handle("AUTH CRAM-MD5 " + b64(b"x")) == (
        b"-ERR CRAM-MD5 takes no initial response\r\n"
    )
    session.handle("AUTH CRAM-MD5")
    reply = session.handle(b64(cram_md5("alice", "wrong", b"<1.2@test>")))
    assert reply == b"-ERR [AUTH] authentication failed\r\n"
    session.handle("AUTH CRAM-MD5")
    assert session.handle(b64(b"nospace")) == b"-ERR malformed CRAM-MD5 response\r\n"


def test_cram_md5_challenge_is_fresh_and_well_formed():
    session = new_session()
    first = decoded(session.handle("AUTH CRAM-MD5"))
    assert session.handle("*").startswith(b"-ERR")
    second = decoded(session.handle("AUTH CRAM-MD5"))
    assert first != second
    for challenge in (first, second):
        assert challenge.startswith(b"<") and challenge.endswith(b">") and b"@" in challenge


# -- SCRAM's checks ---------------------------------------------------------------------------

def scram_first(session: Pop3Session, client: Scram) -> bytes:
    return decoded(session.handle("AUTH SCRAM-SHA-256 " + b64(client.first())))


def test_scram_accepts_y_and_an_authzid_equal_to_the_user():
    for gs2 in ("y,,", "n,a=alice,"):
        session = new_session()
        client = Scram("alice", "secret", "abcdefghijklmnop", gs2=gs2)
        reply = session.handle(b64(client.final(scram_first(session, client))))
        assert client.verifies(decoded(reply))
        assert session.handle("") == OK_LOGIN


@pytest.mark.parametrize(
    ("first", "reply"),
    [
        (b"p=tls-unique,,n=alice,r=abc", b"-ERR channel binding is not supported\r\n"),
        (b"x,,n=alice,r=abc", b"-ERR malformed GS2 header\r\n"),
        (b"n,b=alice,n=alice,r=abc", b"-ERR malformed GS2 header\r\n"),
        (b"n,a=bob,n=alice,r=abc", b"-ERR [AUTH] alice may not act as bob\r\n"),
        (b"n,,m=ext,n=alice,r=abc", b"-ERR malformed SCRAM-SHA-256 response\r\n"),
        (b"n,,n=alice", b"-ERR malformed SCRAM-SHA-256 response\r\n"),
        (b"n,,n=al=41ce,r=abc", b"-ERR malformed SCRAM-SHA-256 response\r\n"),
        (b"n,,n=nobody,r=abc", b"-ERR [AUTH] authentication failed\r\n"),
        (b"n,,n=alice,r=", b"-ERR malformed SCRAM-SHA-256 response\r\n"),
        (b"\xff,,n=alice,r=abc", b"-ERR malformed SCRAM-SHA-256 response\r\n"),
    ],
)
def test_scram_client_first_refusals(first, reply):
    session = new_session()
    assert session.handle("AUTH SCRAM-SHA-256 " + b64(first)) == reply
    assert not session.authenticating and session.state is State.AUTHORIZATION


def test_scram_saslname_escapes_are_decoded():
    boxes = {"a,b=c": Mailbox("a,b=c", "pw", [MESSAGE])}
    session = Pop3Session(boxes, sasl="SCRAM-SHA-256")
    client = Scram("a=2Cb=3Dc", "pw", "abcdefghijklmnop")
    reply = session.handle(b64(client.final(scram_first(session, client))))
    assert client.verifies(decoded(reply))
    assert session.handle("") == OK_LOGIN and session.user == "a,b=c"


@pytest.mark.parametrize(
    ("spoil", "reply"),
    [
        ({"password": "wrong"}, b"-ERR [AUTH] authentication failed\r\n"),
        ({"nonce": "abcdefghijklmnopOTHER"}, b"-ERR the nonce is not the one of this exchange\r\n"),
        ({"binding": b64(b"y,,")}, b"-ERR channel binding data do not match the GS2 header\r\n"),
    ],
)
def test_scram_client_final_refusals(spoil, reply):
    session = new_session()
    client = Scram("alice", "secret", "abcdefghijklmnop")
    assert session.handle(b64(client.final(scram_first(session, client), **spoil))) == reply
    assert not session.logged_in


def test_scram_malformed_client_final_and_a_non_empty_last_response():
    session = new_session()
    client = Scram("alice", "secret", "abcdefghijklmnop")
    scram_first(session, client)
    assert session.handle(b64(b"c=biws,r=x")) == b"-ERR malformed SCRAM-SHA-256 response\r\n"
    client = Scram("alice", "secret", "abcdefghijklmnop")
    final = client.final(scram_first(session, client))
    assert session.handle(b64(final[:-8] + b"AAAA")) == (
        b"-ERR malformed SCRAM-SHA-256 response\r\n"  # a proof of the wrong length
    )
    client = Scram("alice", "secret", "abcdefghijklmnop")
    session.handle(b64(client.final(scram_first(session, client))))
    assert session.handle(b64(b"x")) == (
        b"-ERR expected an empty response to the server's final message\r\n"
    )
    assert session.authentications[-1].outcome == "invalid" and not session.logged_in


def test_scram_credential_holds_no_password():
    credential = ScramCredential.derive("pencil", RFC7677_SALT)
    assert credential.iterations == 4096 and credential.salt == RFC7677_SALT
    assert "pencil" not in repr(credential) and "key" not in repr(credential).lower()
    assert b"pencil" not in credential.stored_key + credential.server_key
    assert ScramCredential.derive("pencil").salt != ScramCredential.derive("pencil").salt
    with pytest.raises(ValueError):
        ScramCredential.derive("x", iterations=0)
    with pytest.raises(ValueError):
        ScramCredential.derive("x", salt=b"")


def test_a_new_password_derives_a_new_scram_credential():
    box = Mailbox("alice", "secret", [MESSAGE], scram_iterations=1000)
    box.set_password("changed")
    session = Pop3Session({"alice": box}, sasl="SCRAM-SHA-256")
    assert "i=1000" in decoded(session.handle("AUTH SCRAM-SHA-256 " + b64(b"n,,n=alice,r=abc")))\
        .decode()
    session.handle("*")
    assert login(session.handle, "SCRAM-SHA-256", "alice", "changed") == OK_LOGIN


# -- OAuth ---------------------------------------------------------------------------------------

def test_xoauth2_bad_token_gets_the_json_challenge_then_err():
    session = new_session()
    reply = session.handle("AUTH XOAUTH2 " + b64(xoauth2("alice", "stolen")))
    assert json.loads(decoded(reply)) == {"status": "401", "schemes": "bearer", "scope": "pop3"}
    assert session.handle("") == b"-ERR [AUTH] invalid token\r\n"
    session.handle("AUTH XOAUTH2 " + b64(xoauth2("alice", "stolen")))
    assert session.handle(b64(b"\x01")) == (
        b"-ERR [AUTH] invalid token (and a wrong answer to the error challenge)\r\n"
    )
    assert session.handle("AUTH XOAUTH2 " + b64(b"user=alice\x01")) == (
        b"-ERR malformed XOAUTH2 response\r\n"
    )


def test_oauthbearer_bad_token_gets_the_json_challenge_answered_by_x01():
    session = new_session()
    reply = session.handle("AUTH OAUTHBEARER " + b64(oauthbearer("alice", "stolen")))
    assert json.loads(decoded(reply)) == {"status": "invalid_token", "scope": "pop3"}
    assert session.handle("AQ==") == b"-ERR [AUTH] invalid token\r\n"
    session.handle("AUTH OAUTHBEARER " + b64(oauthbearer("alice", "stolen")))
    assert session.handle("").endswith(b"(and a wrong answer to the error challenge)\r\n")
    assert [r.outcome for r in session.authentications] == ["refused", "refused"]


def test_oauthbearer_without_authzid_and_with_host_and_port():
    session = new_session()
    message = oauthbearer(None, "tok-alice", host="127.0.0.1", port="110")
    assert session.handle("AUTH OAUTHBEARER " + b64(message)) == OK_LOGIN
    assert session.user == "alice"


@pytest.mark.parametrize(
    "message",
    [
        b"n,a=alice\x01auth=Bearer tok-alice\x01\x01",  # the header lacks its comma
        b"n,a=alice,\x01auth=Bearer tok-alice\x01",  # not ended by %x01 %x01
        b"n,a=alice,\x01host\x01\x01",  # a pair without "="
        b"n,a=alice,\x01host=x\x01\x01",  # no auth
        b"n,a=alice,\x01auth=Basic tok-alice\x01\x01",  # not a bearer token
        b"n,a=alice,",  # no %x01 at all
        b"\xff",
    ],
)
def test_oauthbearer_malformed(message):
    session = new_session()
    reply = session.handle("AUTH OAUTHBEARER " + b64(message))
    assert reply == b"-ERR malformed OAUTHBEARER response\r\n"


def test_oauthbearer_refuses_channel_binding():
    session = new_session()
    reply = session.handle("AUTH OAUTHBEARER " + b64(b"p=x,a=alice,\x01auth=Bearer t\x01\x01"))
    assert reply == b"-ERR channel binding is not supported\r\n"


def test_a_token_user_without_a_maildrop_is_refused():
    session = new_session(tokens={"ghost": "boo"})
    reply = session.handle("AUTH XOAUTH2 " + b64(xoauth2("ghost", "boo")))
    assert reply == b"-ERR [AUTH] no maildrop for this user\r\n"
    assert session.authentications[0].outcome == "refused"


# -- the command itself ------------------------------------------------------------------------

def test_cancel_with_a_star_returns_to_authorization():
    session = new_session()
    assert session.handle("AUTH PLAIN") == b"+ \r\n"
    assert session.authenticating
    assert session.handle("*") == b"-ERR authentication cancelled\r\n"
    assert not session.authenticating and session.state is State.AUTHORIZATION
    record = session.authentications[0]
    assert record.cancelled and record.responses == ["*"] and record.initial_response is None
    assert session.handle("USER alice").startswith(b"+OK")
    assert session.handle("PASS secret") == OK_LOGIN


def test_cancel_in_the_middle_of_scram():
    session = new_session()
    client = Scram("alice", "secret", "abcdefghijklmnop")
    scram_first(session, client)
    assert session.handle(b"*\r\n") == b"-ERR authentication cancelled\r\n"
    assert session.authentications[0].outcome == "cancelled"


@pytest.mark.parametrize("line", ["not base64!", "QUJD=", "QUJ", "QU JD", "QR==", "é"])
def test_a_response_that_is_not_base64_ends_the_exchange(line):
    session = new_session()
    session.handle("AUTH PLAIN")
    assert session.handle(line) == b"-ERR the response is not valid base64\r\n"
    assert not session.authenticating and session.authentications[0].outcome == "invalid"
    if " " not in line:  # an initial response cannot hold a space (the command is malformed)
        reply = session.handle("AUTH PLAIN " + line)
        assert reply == b"-ERR the initial response is not valid base64\r\n"


def test_bare_auth_lists_the_mechanisms_in_their_order():
    session = new_session(["PLAIN", "SCRAM-SHA-256"])
    assert session.handle("AUTH") == (
        b"+OK SASL mechanisms follow\r\nPLAIN\r\nSCRAM-SHA-256\r\n.\r\n"
    )
    assert session.authentications == []


def test_auth_refusals_of_the_command():
    session = new_session(["PLAIN"])
    assert session.handle("AUTH CRAM-MD5") == (
        b"-ERR unsupported authentication mechanism CRAM-MD5\r\n"
    )
    assert session.handle("AUTH NONSENSE") == (
        b"-ERR unsupported authentication mechanism NONSENSE\r\n"
    )
    assert session.handle("AUTH PLAIN ") == b"-ERR malformed AUTH command\r\n"
    assert session.handle("AUTH PLAIN a b") == b"-ERR malformed AUTH command\r\n"
    assert session.handle("auth plain " + b64(plain("alice", "secret"))) == OK_LOGIN
    assert session.handle("AUTH PLAIN") == b"-ERR already logged in\r\n"


def test_without_sasl_auth_is_unknown_and_capa_unchanged():
    session = Pop3Session({"alice": Mailbox("alice", "secret")})
    assert session.handle("AUTH PLAIN") == b"-ERR unknown command AUTH\r\n"
    assert session.handle("AUTH") == b"-ERR unknown command AUTH\r\n"
    assert not session.advertises("SASL")
    assert default_capabilities() == default_capabilities(sasl=())


def test_capa_lists_sasl_after_user_and_stls():
    session = new_session(["SCRAM-SHA-256", "PLAIN"])
    assert "SASL SCRAM-SHA-256 PLAIN" in session.advertised()
    caps = default_capabilities(sasl=("PLAIN",), stls=True)
    assert caps[caps.index("USER") + 1 : caps.index("USER") + 3] == ["STLS", "SASL PLAIN"]
    logged_in = new_session(["PLAIN"])
    logged_in.handle("AUTH PLAIN " + b64(plain("alice", "secret")))
    assert logged_in.advertises("SASL")  # RFC 2449: valid in both states


def test_mechanism_names_are_checked():
    assert check_mechanisms("plain  Login") == ("PLAIN", "LOGIN")
    with pytest.raises(ValueError, match="unknown SASL mechanism"):
        Pop3Session({}, sasl=["DIGEST-MD5"])
    with pytest.raises(ValueError, match="twice"):
        check_mechanisms(["PLAIN", "plain"])
    with pytest.raises(TypeError):
        check_mechanisms([1])
    with pytest.raises(ValueError, match="scram_nonce"):
        Pop3Session({}, sasl="PLAIN", scram_nonce="a,b")


def test_the_empty_challenge_without_its_space():
    session = new_session(continuation_space=False)
    assert session.handle("AUTH PLAIN") == b"+\r\n"
    assert session.handle(b64(plain("alice", "secret"))) == OK_LOGIN


def test_a_login_through_auth_obeys_the_maildrop_lock():
    boxes = {"alice": Mailbox("alice", "secret", [MESSAGE])}
    first = Pop3Session(boxes, sasl="PLAIN")
    second = Pop3Session(boxes, sasl="PLAIN")
    assert login(first.handle, "PLAIN", "alice", "secret") == OK_LOGIN
    assert login(second.handle, "PLAIN", "alice", "secret") == (
        b"-ERR [IN-USE] maildrop already locked\r\n"
    )
    assert second.authentications[0].outcome == "refused"


def test_lines_during_an_exchange_are_responses_not_commands():
    session = new_session()
    session.handle("AUTH PLAIN")
    with pytest.raises(RuntimeError, match="respond"):
        session.execute("QUIT", "")
    assert session.handle("QUIT").startswith(b"-ERR")  # "QUIT" is base64: a bad PLAIN message
    with pytest.raises(RuntimeError, match="no AUTH exchange"):
        session.respond("x")


def test_close_and_abandon_end_the_exchange():
    session = new_session()
    session.handle("AUTH PLAIN")
    session.abandon_auth()
    assert not session.authenticating and session.authentications[0].outcome == "abandoned"
    session.handle("AUTH LOGIN")
    session.close()
    assert session.authentications[1].outcome == "abandoned"


def test_the_record_repr_keeps_credentials_out():
    session = new_session()
    session.handle("AUTH PLAIN " + b64(plain("alice", "secret")))
    text = repr(session.authentications[0])
    assert b64(plain("alice", "secret")) not in text and "secret" not in text


# -- deviations: a server that departs from the protocol ----------------------------------------

def deviating(**deviations) -> Pop3Session:
    session = new_session()
    session.sasl_deviations = SaslDeviations(**deviations)
    return session


def test_deviation_challenge_replaces_every_challenge_verbatim():
    session = deviating(challenge="%%% not base64")
    assert session.handle("AUTH LOGIN") == b"+ %%% not base64\r\n"
    assert session.handle(b64(b"alice")) == b"+ %%% not base64\r\n"
    assert session.handle("*") == b"-ERR authentication cancelled\r\n"
    assert session.sasl_deviations is None  # taken by the AUTH command
    assert session.handle("AUTH LOGIN") == b"+ VXNlcm5hbWU6\r\n"  # the next one is right


def test_deviation_challenge_size():
    session = deviating(challenge_size=100_001)
    reply = session.handle("AUTH CRAM-MD5")
    assert len(reply) == 2 + 100_000 + 2
    assert len(base64.b64decode(reply[2:-2], validate=True)) == 75_000


def test_deviation_wrong_signature():
    session = deviating(signature="wrong")
    client = Scram("alice", "secret", "abcdefghijklmnop")
    server_final = decoded(session.handle(b64(client.final(scram_first(session, client)))))
    assert server_final.startswith(b"v=") and not client.verifies(server_final)
    assert session.handle("*") == b"-ERR authentication cancelled\r\n"
    assert not session.logged_in


def test_deviation_missing_signature():
    session = deviating(signature="missing")
    client = Scram("alice", "secret", "abcdefghijklmnop")
    assert session.handle(b64(client.final(scram_first(session, client)))) == OK_LOGIN


def test_deviation_server_error():
    session = deviating(server_error="invalid-proof")
    client = Scram("alice", "secret", "abcdefghijklmnop")
    reply = session.handle(b64(client.final(scram_first(session, client))))
    assert decoded(reply) == b"e=invalid-proof"
    assert session.handle("") == b"-ERR [AUTH] authentication failed\r\n"
    assert not session.logged_in


@pytest.mark.parametrize("text", ["[AUTH] go away", "[SYS/TEMP] try later"])
def test_deviation_auth_err_after_good_credentials(text):
    session = deviating(auth_err=text)
    assert login(session.handle, "SCRAM-SHA-256", "alice", "secret") == (
        f"-ERR {text}\r\n".encode()
    )
    assert not session.logged_in and session.authentications[0].outcome == "refused"
    assert login(session.handle, "PLAIN", "alice", "secret") == OK_LOGIN


def test_deviation_extra_challenge():
    session = deviating(extra_challenge=b"one more thing")
    reply = session.handle("AUTH PLAIN " + b64(plain("alice", "secret")))
    assert decoded(reply) == b"one more thing"
    assert session.handle("") == b"-ERR [AUTH] authentication failed\r\n"
    session.sasl_deviations = SaslDeviations(extra_challenge="again", auth_err="[SYS/TEMP] x")
    assert login(session.handle, "LOGIN", "alice", "secret") == b"+ YWdhaW4=\r\n"
    assert session.handle("*") == b"-ERR authentication cancelled\r\n"
    assert not session.logged_in


def test_deviations_are_checked():
    with pytest.raises(ValueError, match="signature"):
        SaslDeviations(signature="bad")
    with pytest.raises(ValueError, match="challenge_size"):
        SaslDeviations(challenge_size=-1)
