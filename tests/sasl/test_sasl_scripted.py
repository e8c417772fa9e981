"""nx_pop3_client_auth() over the scripted transport: each mechanism's exchange
byte for byte (the RFC examples among them), the initial-response rule, "*" for
every challenge that cannot be answered, the statuses, and the checks made
before anything is sent."""
from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from nxpop3 import ffi, lib
from nxpop3.transport import CLOSE, SILENCE, ScriptedTransport, one_byte_segments, split_at


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def challenge(data: bytes) -> bytes:
    return b"+ " + b64(data).encode() + b"\r\n"


CAPA_ALL = b"+OK\r\nSASL SCRAM-SHA-256 CRAM-MD5 PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n.\r\n"

# RFC 7677, section 3.
RFC7677_NONCE = b"rOprNGfwEbeRWgbNEkqO"
RFC7677_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC7677_SERVER_FIRST = (b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
RFC7677_CLIENT_FINAL = (b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
RFC7677_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def auth(stack, mechanism: int, name: bytes, secret: bytes, nonce: bytes | None = None) -> int:
    return lib.nx_pop3_client_auth(stack.client, mechanism, ffi.new("char[]", name),
                                   ffi.new("char[]", secret),
                                   ffi.new("char[]", nonce) if nonce is not None else ffi.NULL)


def connected(netx_stack, transport: ScriptedTransport, capa: bytes | None = CAPA_ALL):
    """A stack in AUTHORIZATION; CAPA asked first when capa is given."""
    if capa is not None:
        transport._exchanges.appendleft(("CAPA", [capa]))
    stack = netx_stack(transport)
    assert stack.connect() == lib.NX_SUCCESS
    if capa is not None:
        assert lib.nx_pop3_client_capabilities_get(stack.client, ffi.NULL, ffi.NULL) == 0
    return stack


def logged_in(stack) -> bool:
    return stack.client.nx_pop3_client_state == lib.NX_POP3_STATE_TRANSACTION


def closed(stack) -> bool:
    return stack.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED


# --- SCRAM-SHA-256 ---------------------------------------------------------

def scram_script(server_first: bytes = RFC7677_SERVER_FIRST,
                 server_final: bytes = RFC7677_SERVER_FINAL) -> ScriptedTransport:
    t = ScriptedTransport()
    t.expect("AUTH SCRAM-SHA-256 " + b64(RFC7677_CLIENT_FIRST), challenge(server_first))
    t.expect(b64(RFC7677_CLIENT_FINAL), challenge(server_final))
    t.expect("", b"+OK logged in\r\n")
    return t


def scram_to_the_proof(reply, *more: tuple[str, object]) -> ScriptedTransport:
    """RFC 7677's exchange up to the client's proof, which the server answers with
    reply; then the exchanges of more."""
    t = ScriptedTransport()
    t.expect("AUTH SCRAM-SHA-256 ", challenge(RFC7677_SERVER_FIRST))
    t.expect(b64(RFC7677_CLIENT_FINAL), reply)
    for prefix, answer in more:
        t.expect(prefix, answer)
    return t


def scram_auth(stack) -> int:
    return auth(stack, lib.NX_POP3_SASL_SCRAM_SHA_256, b"user", b"pencil", RFC7677_NONCE)


def test_scram_reproduces_rfc7677_exactly(netx_stack) -> None:
    t = scram_script()
    s = connected(netx_stack, t)
    assert s.client.nx_pop3_client_sasl_mechanisms == sum(
        1 << m for m in (lib.NX_POP3_SASL_PLAIN, lib.NX_POP3_SASL_LOGIN, lib.NX_POP3_SASL_CRAM_MD5,
                         lib.NX_POP3_SASL_SCRAM_SHA_256, lib.NX_POP3_SASL_XOAUTH2,
                         lib.NX_POP3_SASL_OAUTHBEARER))
    assert auth(s, lib.NX_POP3_SASL_SCRAM_SHA_256, b"user", b"pencil", RFC7677_NONCE) == 0
    assert logged_in(s)
    assert t.commands[1:] == ["AUTH SCRAM-SHA-256 " + b64(RFC7677_CLIENT_FIRST),
                              b64(RFC7677_CLIENT_FINAL), ""]
    assert s.client.nx_pop3_client_last_command == lib.NX_POP3_COMMAND_AUTH
    s.finish()


def test_scram_without_capa_sends_no_initial_response(netx_stack) -> None:
    t = ScriptedTransport()
    t.expect("AUTH SCRAM-SHA-256", b"+ \r\n")
    t.expect(b64(RFC7677_CLIENT_FIRST), challenge(RFC7677_SERVER_FIRST))
    t.expect(b64(RFC7677_CLIENT_FINAL), challenge(RFC7677_SERVER_FINAL))
    t.expect("", b"+OK\r\n")
    s = connected(netx_stack, t, capa=None)
    assert auth(s, lib.NX_POP3_SASL_SCRAM_SHA_256, b"user", b"pencil", RFC7677_NONCE) == 0
    assert t.commands[0] == "AUTH SCRAM-SHA-256"
    assert logged_in(s)
    s.finish()


@pytest.mark.parametrize("split", ["bytes", "halves"])
def test_scram_result_does_not_depend_on_segments(netx_stack, split: str) -> None:
    first, final = challenge(RFC7677_SERVER_FIRST), challenge(RFC7677_SERVER_FINAL)
    cut = (one_byte_segments if split == "bytes"
           else lambda d: split_at(d, len(d) // 2))
    t = ScriptedTransport()
    t.expect("AUTH SCRAM-SHA-256 ", cut(first))
    t.expect(b64(RFC7677_CLIENT_FINAL), cut(final))
    t.expect("", cut(b"+OK\r\n"))
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_SCRAM_SHA_256, b"user", b"pencil", RFC7677_NONCE) == 0
    s.finish()


def test_scram_wrong_server_signature_is_cancelled_and_refused(netx_stack) -> None:
    bad = b"v=" + base64.b64encode(b"\x00" * 32)
    t = scram_to_the_proof(challenge(bad), ("*", b"-ERR cancelled\r\n"))
    s = connected(netx_stack, t)
    assert scram_auth(s) == lib.NX_POP3_SERVER_NOT_VERIFIED
    assert t.commands[-1] == "*" and closed(s)
    s.finish()


@pytest.mark.parametrize("server_final", [
    b"x=something",                                            # neither v= nor e=
    b"v=" + base64.b64encode(b"\x00" * 16),                    # a signature of 16 bytes
    b"v=not*base64",
])
def test_scram_server_final_without_a_signature_is_refused(netx_stack,
                                                           server_final: bytes) -> None:
    t = scram_to_the_proof(challenge(server_final), ("*", b"-ERR cancelled\r\n"))
    s = connected(netx_stack, t)
    assert scram_auth(s) == lib.NX_POP3_SERVER_NOT_VERIFIED and closed(s)
    s.finish()


def test_scram_challenge_after_the_server_final_is_cancelled(netx_stack) -> None:
    t = scram_script()
    t._exchanges.pop()  # the +OK: another challenge comes instead
    t.expect("", challenge(b"more"))
    t.expect("*", b"-ERR\r\n")
    s = connected(netx_stack, t)
    assert scram_auth(s) == lib.NX_POP3_INVALID_CHALLENGE and closed(s)
    s.finish()


def test_scram_ok_without_a_server_signature_is_refused(netx_stack) -> None:
    t = scram_to_the_proof(b"+OK welcome, no proof needed\r\n")
    s = connected(netx_stack, t)
    assert scram_auth(s) == lib.NX_POP3_SERVER_NOT_VERIFIED and closed(s)
    s.finish()


def test_scram_server_error_is_answered_and_the_session_stays(netx_stack) -> None:
    t = scram_to_the_proof(challenge(b"e=invalid-proof"),
                           ("", b"-ERR [AUTH] authentication failed\r\n"),
                           ("QUIT", b"+OK bye\r\n"))
    s = connected(netx_stack, t)
    assert scram_auth(s) == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_AUTHORIZATION
    assert s.client.nx_pop3_client_response_code == lib.NX_POP3_RESPONSE_AUTH
    assert s.reply_text == b"[AUTH] authentication failed"
    assert lib.nx_pop3_client_quit(s.client) == 0
    s.finish()


@pytest.mark.parametrize("server_first", [
    b"r=someoneelse%hvYDpWUa2RaTCAfuxFIlj,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # nonce not ours
    b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # not extended
    b"r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1",  # too few iterations
    b"r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999",  # too many
    b"r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=40x6",
    b"r=rOprNGfwEbeRWgbNEkqO%hv,s=not*base64,i=4096",
    b"r=rOprNGfwEbeRWgbNEkqO%hv,s=,i=4096",  # empty salt
    b"m=must-know,r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    b"r=rOprNGfwEbeRWgbNEkqO%hv,i=4096,s=W22ZaJ0SNY7soEsUEjb6gQ==",  # out of order
    b"r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==",  # no count
    b"r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=",  # an empty count
    b"r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=000004096",  # over 8 digits
    b"r=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-4096",
    b"r=rOprNGfwEbeRWgbNEkqO%h v,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # a space in the nonce
    b"r=rOprNGfwEbeRWgbNEkqO%h\x7f,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    b"rr=rOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    b"r",
    b"",
])
def test_scram_bad_server_first_is_cancelled(netx_stack, server_first: bytes) -> None:
    t = ScriptedTransport()
    t.expect("AUTH SCRAM-SHA-256 ", challenge(server_first) if server_first else b"+ \r\n")
    t.expect("*", b"-ERR cancelled\r\n")
    s = connected(netx_stack, t)
    assert scram_auth(s) == lib.NX_POP3_INVALID_CHALLENGE
    assert t.commands[-1] == "*" and closed(s)
    s.finish()


def test_scram_name_is_escaped_as_a_saslname(netx_stack) -> None:
    name = b"a,b=c"
    first = b"n,,n=a=2Cb=3Dc,r=" + RFC7677_NONCE
    t = ScriptedTransport().expect("AUTH SCRAM-SHA-256 " + b64(first), b"-ERR no\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_SCRAM_SHA_256, name, b"pw", RFC7677_NONCE) == \
        lib.NX_POP3_SERVER_ERROR_STATUS
    s.finish()


def scram_exchange(name: bytes, password: bytes, cnonce: bytes, snonce: bytes, salt: bytes,
                   iterations: int) -> tuple[bytes, bytes, bytes, bytes]:
    """The messages of a SCRAM-SHA-256 exchange, computed independently (hashlib,
    hmac): client-first, server-first, client-final, server-final."""
    bare = b"n=" + name + b",r=" + cnonce
    server_first = (b"r=" + cnonce + snonce + b",s=" + base64.b64encode(salt) +
                    b",i=" + str(iterations).encode())
    without_proof = b"c=biws,r=" + cnonce + snonce
    salted = hashlib.pbkdf2_hmac("sha256", password, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    message = bare + b"," + server_first + b"," + without_proof
    signature = hmac.new(hashlib.sha256(client_key).digest(), message, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    server_signature = hmac.new(server_key, message, "sha256").digest()
    return (b"n,," + bare, server_first, without_proof + b",p=" + base64.b64encode(proof),
            b"v=" + base64.b64encode(server_signature))


def test_scram_exchange_generator_reproduces_rfc7677() -> None:
    """The independent computation below is itself checked against the RFC."""
    assert scram_exchange(b"user", b"pencil", RFC7677_NONCE, b"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
                          base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096) == (
        RFC7677_CLIENT_FIRST, RFC7677_SERVER_FIRST, RFC7677_CLIENT_FINAL, RFC7677_SERVER_FINAL)


@pytest.mark.parametrize("password,salt,iterations", [
    (b"p", b"0123456789abcdef", 4096),
    (b"pencil" * 40, b"s" * 64, 5000),  # a password longer than a SHA-256 block
    (bytes(range(33, 127)), b"\x00\xff" * 8, 4096),
])
def test_scram_agrees_with_an_independent_computation(netx_stack, password: bytes, salt: bytes,
                                                      iterations: int) -> None:
    nonce = b"0123456789abcdefghij"
    first, server_first, final, server_final = scram_exchange(
        b"bob", password, nonce, b"+/srv", salt, iterations)
    t = ScriptedTransport()
    t.expect("AUTH SCRAM-SHA-256 " + b64(first), challenge(server_first))
    t.expect(b64(final), challenge(server_final))
    t.expect("", b"+OK\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_SCRAM_SHA_256, b"bob", password, nonce) == 0
    assert logged_in(s)
    s.finish()


# --- CRAM-MD5 --------------------------------------------------------------

def test_cram_md5_reproduces_rfc2195_exactly(netx_stack) -> None:
    stamp = b"<1896.697170952@postoffice.reston.mci.net>"
    t = ScriptedTransport()
    t.expect("AUTH CRAM-MD5", challenge(stamp))
    t.expect(b64(b"tim b913a602c7eda7a495b4e6e7334d3890"), b"+OK CRAM authentication done\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_CRAM_MD5, b"tim", b"tanstaaftanstaaf") == 0
    assert t.commands[1] == "AUTH CRAM-MD5"  # server first: never an initial response
    assert logged_in(s)
    s.finish()


def test_cram_md5_second_challenge_is_cancelled(netx_stack) -> None:
    stamp = b"<1896.697170952@postoffice.reston.mci.net>"
    t = ScriptedTransport().expect("AUTH CRAM-MD5", challenge(stamp))
    t.expect(b64(b"tim b913a602c7eda7a495b4e6e7334d3890"), challenge(stamp))
    t.expect("*", b"-ERR\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_CRAM_MD5, b"tim", b"tanstaaftanstaaf") == \
        lib.NX_POP3_INVALID_CHALLENGE
    s.finish()


@pytest.mark.parametrize("first", [b"+ \r\n", b"+\r\n"])
def test_cram_md5_empty_challenge_is_cancelled(netx_stack, first: bytes) -> None:
    t = ScriptedTransport().expect("AUTH CRAM-MD5", first).expect("*", b"-ERR\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_CRAM_MD5, b"tim", b"x") == lib.NX_POP3_INVALID_CHALLENGE
    s.finish()


# --- PLAIN and LOGIN -------------------------------------------------------

def test_plain_with_initial_response(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH PLAIN " + b64(b"\0alice\0s3cret"), b"+OK\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_PLAIN, b"alice", b"s3cret") == 0 and logged_in(s)
    s.finish()


@pytest.mark.parametrize("go_ahead", [b"+ \r\n", b"+\r\n", [b"+", b" ", b"\r", b"\n"]])
def test_plain_without_capa_waits_for_the_continuation(netx_stack, go_ahead) -> None:
    t = ScriptedTransport().expect("AUTH PLAIN", go_ahead)
    t.expect(b64(b"\0alice\0s3cret"), b"+OK\r\n")
    s = connected(netx_stack, t, capa=None)
    assert auth(s, lib.NX_POP3_SASL_PLAIN, b"alice", b"s3cret") == 0
    assert t.commands == ["AUTH PLAIN", b64(b"\0alice\0s3cret")]
    s.finish()


def test_plain_with_an_empty_password_keeps_the_separators(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH PLAIN " + b64(b"\0a\0"), b"+OK\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_PLAIN, b"a", b"") == 0
    s.finish()


def test_plain_go_ahead_with_text_is_cancelled(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH PLAIN", challenge(b"what?")).expect("*", b"-ERR\r\n")
    s = connected(netx_stack, t, capa=None)
    assert auth(s, lib.NX_POP3_SASL_PLAIN, b"alice", b"pw") == lib.NX_POP3_INVALID_CHALLENGE
    s.finish()


def test_plain_extra_challenge_is_cancelled(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH PLAIN ", challenge(b"more?")).expect("*", b"-ERR\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_PLAIN, b"alice", b"pw") == lib.NX_POP3_INVALID_CHALLENGE
    assert closed(s)
    s.finish()


def test_login_answers_two_prompts(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH LOGIN", challenge(b"Username:"))
    t.expect(b64(b"alice"), challenge(b"Password:")).expect(b64(b"pw"), b"+OK\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_LOGIN, b"alice", b"pw") == 0
    assert t.commands[1] == "AUTH LOGIN" and logged_in(s)
    s.finish()


def test_login_third_prompt_is_cancelled(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH LOGIN", challenge(b"Username:"))
    t.expect(b64(b"alice"), challenge(b"Password:")).expect(b64(b"pw"), challenge(b"Again:"))
    t.expect("*", b"-ERR\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_LOGIN, b"alice", b"pw") == lib.NX_POP3_INVALID_CHALLENGE
    s.finish()


# --- XOAUTH2 and OAUTHBEARER -----------------------------------------------

XOAUTH2 = b"user=alice@example.com\x01auth=Bearer tok\x01\x01"
OAUTHBEARER = b"n,a=alice@example.com,\x01auth=Bearer tok\x01\x01"
OAUTH_ERROR = b'{"status":"401","schemes":"bearer","scope":"mail"}'


@pytest.mark.parametrize("mechanism,response", [
    ("XOAUTH2", XOAUTH2), ("OAUTHBEARER", OAUTHBEARER)])
def test_oauth_token_accepted(netx_stack, mechanism: str, response: bytes) -> None:
    t = ScriptedTransport().expect(f"AUTH {mechanism} {b64(response)}", b"+OK\r\n")
    s = connected(netx_stack, t)
    code = getattr(lib, f"NX_POP3_SASL_{mechanism}")
    assert auth(s, code, b"alice@example.com", b"tok") == 0 and logged_in(s)
    s.finish()


@pytest.mark.parametrize("mechanism,answer", [("XOAUTH2", ""), ("OAUTHBEARER", "AQ==")])
def test_oauth_error_challenge_is_answered_then_refused(netx_stack, mechanism: str,
                                                        answer: str) -> None:
    t = ScriptedTransport().expect(f"AUTH {mechanism} ", challenge(OAUTH_ERROR))
    t.expect(answer, b"-ERR [AUTH] invalid token\r\n")
    s = connected(netx_stack, t)
    code = getattr(lib, f"NX_POP3_SASL_{mechanism}")
    assert auth(s, code, b"alice@example.com", b"tok") == lib.NX_POP3_SERVER_ERROR_STATUS
    assert t.commands[-1] == answer
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_AUTHORIZATION
    assert s.client.nx_pop3_client_response_code == lib.NX_POP3_RESPONSE_AUTH
    s.finish()


def test_oauth_challenge_after_the_refusal_is_cancelled(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH OAUTHBEARER ", challenge(OAUTH_ERROR))
    t.expect("AQ==", challenge(OAUTH_ERROR)).expect("*", b"-ERR\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_OAUTHBEARER, b"a", b"tok") == lib.NX_POP3_INVALID_CHALLENGE
    assert closed(s)
    s.finish()


def test_oauth_ok_after_its_own_refusal_is_a_violation(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH XOAUTH2 ", challenge(OAUTH_ERROR)).expect("", b"+OK\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_XOAUTH2, b"a", b"tok") == lib.NX_POP3_INVALID_CHALLENGE
    assert closed(s)
    s.finish()


def test_kilobyte_token_goes_after_the_continuation_over_several_packets(netx_stack) -> None:
    token = b"ya29." + b"A" * 4000
    response = b"user=alice\x01auth=Bearer " + token + b"\x01\x01"
    t = ScriptedTransport().expect("AUTH XOAUTH2", b"+ \r\n")
    t.expect(b64(response), b"+OK\r\n")
    s = connected(netx_stack, t)
    sends_before = t.sends
    assert auth(s, lib.NX_POP3_SASL_XOAUTH2, b"alice", token) == 0
    assert t.commands[1] == "AUTH XOAUTH2"  # too long to go with the command
    assert t.sends - sends_before >= 1 + len(b64(response)) // 1536
    assert logged_in(s)
    s.finish()


# --- challenges that cannot be answered ------------------------------------

@pytest.mark.parametrize("line", [
    b"+ not base64!\r\n", b"+ QQ=\r\n", b"+ QQ==QQ==\r\n", b"+ Q===\r\n", b"+ =\r\n",
    b"+ " + b"QUJD" * 200 + b"\r\n",  # 600 bytes decoded: over NX_POP3_MAX_CHALLENGE
])
def test_unusable_challenge_is_cancelled(netx_stack, line: bytes) -> None:
    t = ScriptedTransport().expect("AUTH CRAM-MD5", line).expect("*", b"-ERR\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_CRAM_MD5, b"tim", b"pw") == lib.NX_POP3_INVALID_CHALLENGE
    assert t.commands[-1] == "*" and closed(s)
    s.finish()


def test_challenge_line_beyond_64k_is_too_long(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH CRAM-MD5", [b"+ " + b"QUJD" * 17000, b"\r\n"])
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_CRAM_MD5, b"tim", b"pw") == lib.NX_POP3_REPLY_TOO_LONG
    assert closed(s) and "*" not in t.commands
    s.finish(check_script=False)


def test_silent_server_mid_exchange_times_out(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH CRAM-MD5", [b"+ PDE", SILENCE])
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_CRAM_MD5, b"tim", b"pw") == lib.NX_NO_PACKET
    assert closed(s)
    s.finish()


class BreakingAfterAuth(ScriptedTransport):
    """Answers AUTH as scripted, then the connection breaks at the client's next send:
    the response cannot go out."""

    def _on_send(self, data: bytes) -> int:
        if self.commands and self.commands[-1].startswith("AUTH"):
            return int(lib.NX_TRANSPORT_ERROR)
        return super()._on_send(data)


def test_response_that_cannot_be_sent_closes_the_session(netx_stack) -> None:
    t = BreakingAfterAuth().expect("AUTH LOGIN", challenge(b"Username:"))
    s = connected(netx_stack, t)
    status = auth(s, lib.NX_POP3_SASL_LOGIN, b"alice", b"pw")
    assert status not in (lib.NX_SUCCESS, lib.NX_POP3_SERVER_ERROR_STATUS)
    assert t.commands[-1] == "AUTH LOGIN"  # nothing after it went out
    assert closed(s)
    s.finish()


def test_server_closing_mid_exchange(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH CRAM-MD5", [b"+ PDE", CLOSE])
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_CRAM_MD5, b"tim", b"pw") == lib.NX_NOT_CONNECTED
    s.finish()


# --- refusals and the checks before sending --------------------------------

def test_refusal_keeps_authorization_and_a_retry_works(netx_stack) -> None:
    t = ScriptedTransport().expect("AUTH PLAIN ", b"-ERR [SYS/TEMP] try later\r\n")
    t.expect("AUTH PLAIN ", b"+OK\r\n")
    s = connected(netx_stack, t)
    assert auth(s, lib.NX_POP3_SASL_PLAIN, b"a", b"pw") == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.client.nx_pop3_client_response_code == lib.NX_POP3_RESPONSE_SYS_TEMP
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_AUTHORIZATION
    assert auth(s, lib.NX_POP3_SASL_PLAIN, b"a", b"pw") == 0
    s.finish()


@pytest.mark.parametrize("capa", [b"+OK\r\nSASL PLAIN\r\n.\r\n", b"+OK\r\nUSER\r\n.\r\n"])
def test_mechanism_not_offered_sends_nothing(netx_stack, capa: bytes) -> None:
    t = ScriptedTransport()
    s = connected(netx_stack, t, capa=capa)
    sent = bytes(t.sent)
    status = auth(s, lib.NX_POP3_SASL_SCRAM_SHA_256, b"u", b"pw", RFC7677_NONCE)
    assert status == lib.NX_POP3_MECHANISM_NOT_OFFERED
    assert bytes(t.sent) == sent
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_AUTHORIZATION
    s.finish()


def test_capa_mechanism_names_are_case_insensitive_and_exact(netx_stack) -> None:
    t = ScriptedTransport()
    s = connected(netx_stack, t, capa=b"+OK\r\nSASL  scram-sha-256 PLAINX  LOGIN ~~~~~\r\n.\r\n")
    assert s.client.nx_pop3_client_sasl_mechanisms == (
        (1 << lib.NX_POP3_SASL_SCRAM_SHA_256) | (1 << lib.NX_POP3_SASL_LOGIN))
    s.finish()


@pytest.mark.parametrize("name,secret,nonce,mechanism,expected", [
    (b"", b"pw", None, "PLAIN", "NX_POP3_PARAM_ERROR"),
    (b"a" * 41, b"pw", None, "PLAIN", "NX_POP3_PARAM_ERROR"),
    (b"a\r\nDELE 1", b"pw", None, "PLAIN", "NX_POP3_PARAM_ERROR"),
    (b"a", b"pw\nx", None, "PLAIN", "NX_POP3_PARAM_ERROR"),
    (b"a", b"t" * 4097, None, "XOAUTH2", "NX_POP3_PARAM_ERROR"),
    (b"a", b"pw", b"short", "SCRAM_SHA_256", "NX_POP3_PARAM_ERROR"),
    (b"a", b"pw", b"has,a,comma,in,it,x", "SCRAM_SHA_256", "NX_POP3_PARAM_ERROR"),
    (b"a", b"pw", b"has a space in it xx", "SCRAM_SHA_256", "NX_POP3_PARAM_ERROR"),
    (b"a", b"pw", b"n" * 65, "SCRAM_SHA_256", "NX_POP3_PARAM_ERROR"),
    (b"a", b"pw", b"abcdefghijklmnop\x7f", "SCRAM_SHA_256", "NX_POP3_PARAM_ERROR"),
    (b"a", b"pw", None, 99, "NX_OPTION_ERROR"),
    (b"a", b"pw", None, 0, "NX_OPTION_ERROR"),
])
def test_bad_arguments_send_nothing(netx_stack, name, secret, nonce, mechanism, expected) -> None:
    t = ScriptedTransport()
    s = connected(netx_stack, t)
    sent = bytes(t.sent)
    code = mechanism if isinstance(mechanism, int) else getattr(lib, f"NX_POP3_SASL_{mechanism}")
    assert auth(s, code, name, secret, nonce) == getattr(lib, expected)
    assert bytes(t.sent) == sent
    s.finish()


def test_core_refuses_a_missing_nonce_without_the_checking_layer(netx_stack) -> None:
    t = ScriptedTransport()
    s = connected(netx_stack, t)
    status = lib._nx_pop3_client_auth(s.client, lib.NX_POP3_SASL_SCRAM_SHA_256,
                                      ffi.new("char[]", b"a"), ffi.new("char[]", b"pw"), ffi.NULL)
    assert status == lib.NX_POP3_PARAM_ERROR
    s.finish()


def test_checking_layer_null_pointers(netx_stack) -> None:
    t = ScriptedTransport()
    s = connected(netx_stack, t)
    name, pw = ffi.new("char[]", b"a"), ffi.new("char[]", b"pw")
    assert lib.nx_pop3_client_auth(ffi.NULL, lib.NX_POP3_SASL_PLAIN, name, pw, ffi.NULL) == \
        lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_auth(s.client, lib.NX_POP3_SASL_PLAIN, ffi.NULL, pw, ffi.NULL) == \
        lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_auth(s.client, lib.NX_POP3_SASL_PLAIN, name, ffi.NULL, ffi.NULL) == \
        lib.NX_PTR_ERROR
    assert lib.nx_pop3_client_auth(s.client, lib.NX_POP3_SASL_SCRAM_SHA_256, name, pw,
                                   ffi.NULL) == lib.NX_PTR_ERROR
    s.finish()


def test_auth_after_login_is_refused(netx_stack) -> None:
    s, t = netx_stack.logged_in()
    assert auth(s, lib.NX_POP3_SASL_PLAIN, b"a", b"pw") == lib.NX_POP3_CLIENT_INVALID_STATE
    s.finish()


def test_unsolicited_bytes_before_auth_are_reported(netx_stack) -> None:
    t = ScriptedTransport(b"+OK hi\r\n+OK stray\r\n")
    s = netx_stack(t)
    assert s.connect() == 0
    assert auth(s, lib.NX_POP3_SASL_PLAIN, b"a", b"pw") == lib.NX_POP3_UNEXPECTED_DATA
    assert bytes(t.sent) == b""
    s.finish()


def test_long_response_through_a_small_pool(netx_stack) -> None:
    token = b"A" * 4000
    t = ScriptedTransport().expect("AUTH XOAUTH2", b"+ \r\n")
    s = netx_stack(t, payload_size=256, count=3)
    assert s.connect() == 0
    # 5.4 KB of response through three 256-byte packets: each is sent as soon
    # as it is full, so the pool never runs dry.
    t.expect("", b"+OK\r\n")
    assert auth(s, lib.NX_POP3_SASL_XOAUTH2, b"a", token) == 0
    s.finish()


# --- APOP only, USER/PASS only ---------------------------------------------

APOP_GREETING = b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"


def test_apop_only_never_falls_back(netx_stack) -> None:
    t = ScriptedTransport(APOP_GREETING).expect("APOP ", b"-ERR [AUTH] no\r\n")
    s = netx_stack(t)
    assert s.connect(apop=True) == 0
    status = lib.nx_pop3_client_apop(s.client, s.stamp, ffi.new("char[]", b"mrose"),
                                     ffi.new("char[]", b"tanstaaf"))
    assert status == lib.NX_POP3_SERVER_ERROR_STATUS
    assert t.commands == ["APOP mrose c4c9334bac560ecc979e58001b3e22fb"]  # RFC 1939's example
    s.finish()


def test_apop_only_without_a_timestamp_sends_nothing(netx_stack) -> None:
    t = ScriptedTransport(b"+OK no stamp here\r\n")
    s = netx_stack(t)
    assert s.connect(apop=True) == 0
    status = lib.nx_pop3_client_apop(s.client, s.stamp, ffi.new("char[]", b"mrose"),
                                     ffi.new("char[]", b"tanstaaf"))
    assert status == lib.NX_POP3_APOP_FAILED_MD5_DIGEST and bytes(t.sent) == b""
    assert lib.nx_pop3_client_apop(s.client, ffi.NULL, ffi.new("char[]", b"m"),
                                   ffi.new("char[]", b"t")) == lib.NX_POP3_APOP_FAILED_MD5_DIGEST
    s.finish()


def test_apop_only_success(netx_stack) -> None:
    t = ScriptedTransport(APOP_GREETING).expect("APOP mrose c4c9334bac560ecc979e58001b3e22fb",
                                                b"+OK\r\n")
    s = netx_stack(t)
    assert s.connect(apop=True) == 0
    assert lib.nx_pop3_client_apop(s.client, s.stamp, ffi.new("char[]", b"mrose"),
                                   ffi.new("char[]", b"tanstaaf")) == 0
    assert logged_in(s) and s.client.nx_pop3_client_enable_APOP_authentication
    s.finish()


def test_user_pass_only_ignores_the_timestamp(netx_stack) -> None:
    t = ScriptedTransport(APOP_GREETING).expect("USER a", b"+OK\r\n").expect("PASS pw", b"+OK\r\n")
    s = netx_stack(t)
    assert s.connect() == 0
    assert lib.nx_pop3_client_user_pass(s.client, ffi.new("char[]", b"a"),
                                        ffi.new("char[]", b"pw")) == 0
    assert logged_in(s) and not s.client.nx_pop3_client_enable_APOP_authentication
    assert lib.nx_pop3_client_user_pass(s.client, ffi.NULL, ffi.new("char[]", b"pw")) == \
        lib.NX_PTR_ERROR
    s.finish()


def test_apop_and_user_pass_null_pointers(netx_stack) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    assert s.connect() == 0
    name, pw = ffi.new("char[]", b"a"), ffi.new("char[]", b"pw")
    for call in (lambda c, n, p: lib.nx_pop3_client_apop(c, ffi.NULL, n, p),
                 lib.nx_pop3_client_user_pass):
        assert call(ffi.NULL, name, pw) == lib.NX_PTR_ERROR
        assert call(s.client, ffi.NULL, pw) == lib.NX_PTR_ERROR
        assert call(s.client, name, ffi.NULL) == lib.NX_PTR_ERROR
    assert bytes(t.sent) == b""
    s.finish()


def test_apop_bad_credentials_wipe_the_stamp(netx_stack) -> None:
    t = ScriptedTransport(APOP_GREETING)
    s = netx_stack(t)
    assert s.connect(apop=True) == 0
    assert lib._nx_pop3_apop_stamp_found(s.stamp)
    assert lib.nx_pop3_client_apop(s.client, s.stamp, ffi.new("char[]", b"a\r\n"),
                                   ffi.new("char[]", b"pw")) == lib.NX_POP3_PARAM_ERROR
    assert not lib._nx_pop3_apop_stamp_found(s.stamp)
    assert bytes(ffi.buffer(s.stamp)) == bytes(ffi.sizeof("NX_POP3_APOP_STAMP"))
    s.finish()


def test_user_pass_bad_credentials_send_nothing(netx_stack) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    assert s.connect() == 0
    assert lib.nx_pop3_client_user_pass(s.client, ffi.new("char[]", b"a\r\nx"),
                                        ffi.new("char[]", b"pw")) == lib.NX_POP3_PARAM_ERROR
    assert lib.nx_pop3_client_apop(s.client, ffi.NULL, ffi.new("char[]", b"a"),
                                   ffi.new("char[]", b"p" * 21)) == lib.NX_POP3_PARAM_ERROR
    assert bytes(t.sent) == b""
    s.finish()
