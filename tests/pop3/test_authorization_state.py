"""The AUTHORIZATION state reachable from the C API: nxd_pop3_client_connect()
(connect and greeting) and nx_pop3_client_login() as calls of their own, the
command table's state rules, and NetX's all-in-one create on top of them."""
from __future__ import annotations

from nxpop3 import ffi, lib
from nxpop3.transport import ScriptedTransport, split_at

GREETING = b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"


def test_connect_reads_the_greeting_and_stops_in_authorization(netx_stack) -> None:
    t = ScriptedTransport(b"+OK hello there\r\n")
    s = netx_stack(t)
    assert s.connect() == lib.NX_SUCCESS
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_AUTHORIZATION
    assert s.client.nx_pop3_client_last_command == lib.NX_POP3_COMMAND_GREETING
    assert s.reply_text == b"hello there"
    assert bytes(t.sent) == b""  # nothing is sent before the caller logs in
    s.finish()


def test_login_then_transaction_commands(netx_stack) -> None:
    t = ScriptedTransport().expect("USER", b"+OK\r\n").expect("PASS", b"+OK in\r\n")
    t.expect("STAT", b"+OK 2 320\r\n")
    s = netx_stack(t)
    assert s.connect() == lib.NX_SUCCESS
    assert s.login() == lib.NX_SUCCESS
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_TRANSACTION
    count, total = ffi.new("UINT *"), ffi.new("ULONG *")
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == lib.NX_SUCCESS
    assert (count[0], total[0]) == (2, 320)
    assert t.commands == ["USER alice", "PASS secret", "STAT"]
    s.finish()


def test_transaction_commands_are_refused_before_login_and_nothing_is_sent(netx_stack) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    assert s.connect() == lib.NX_SUCCESS
    count, total, size = ffi.new("UINT *"), ffi.new("ULONG *"), ffi.new("ULONG *")
    invalid = lib.NX_POP3_CLIENT_INVALID_STATE
    assert lib.nx_pop3_client_mail_items_get(s.client, count, total) == invalid
    assert lib.nx_pop3_client_mail_item_get(s.client, 1, size) == invalid
    assert lib.nx_pop3_client_mail_item_size_get(s.client, 1, size) == invalid
    assert lib.nx_pop3_client_mail_item_delete(s.client, 1) == invalid
    assert lib.nx_pop3_client_noop(s.client) == invalid
    assert lib.nx_pop3_client_reset(s.client) == invalid
    assert bytes(t.sent) == b""
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_AUTHORIZATION
    s.finish()


def test_login_is_refused_once_logged_in(netx_stack) -> None:
    t = ScriptedTransport().expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    s = netx_stack(t)
    assert s.connect() == 0 and s.login() == 0
    assert s.login() == lib.NX_POP3_CLIENT_INVALID_STATE
    assert t.commands == ["USER alice", "PASS secret"]
    s.finish()


def test_a_refused_password_leaves_authorization_and_a_retry_works(netx_stack) -> None:
    t = ScriptedTransport()
    t.expect("USER", b"+OK\r\n").expect("PASS", b"-ERR [AUTH] wrong\r\n")
    t.expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    s = netx_stack(t)
    assert s.connect() == lib.NX_SUCCESS
    assert s.login(password=b"bad") == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_AUTHORIZATION
    assert s.client.nx_pop3_client_last_command == lib.NX_POP3_COMMAND_PASS
    assert s.reply_text == b"[AUTH] wrong"
    assert s.login() == lib.NX_SUCCESS
    assert t.commands == ["USER alice", "PASS bad", "USER alice", "PASS secret"]
    s.finish()


def test_quit_is_allowed_in_authorization(netx_stack) -> None:
    t = ScriptedTransport().expect("QUIT", b"+OK bye\r\n")
    s = netx_stack(t)
    assert s.connect() == lib.NX_SUCCESS
    assert lib.nx_pop3_client_quit(s.client) == lib.NX_SUCCESS
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_QUIT
    assert t.commands == ["QUIT"]
    s.finish()


def test_apop_login_uses_the_stamp_kept_since_the_greeting(netx_stack) -> None:
    for cut in (1, 30, len(GREETING) - 1):
        t = ScriptedTransport(split_at(GREETING, cut)).expect("APOP", b"+OK\r\n")
        s = netx_stack(t)
        assert s.connect(apop=True) == lib.NX_SUCCESS
        assert any(bytes(ffi.buffer(s.stamp)))  # the caller's memory holds the hashed stamp
        assert s.login(b"mrose", b"tanstaaf") == lib.NX_SUCCESS
        assert t.commands == ["APOP mrose c4c9334bac560ecc979e58001b3e22fb"]
        assert s.client.nx_pop3_client_enable_APOP_authentication == 1
        # The hashed stamp (and the secret that went through MD5) is wiped.
        assert not any(bytes(ffi.buffer(s.stamp)))
        s.finish()


def test_a_refused_apop_is_not_retried_with_the_stale_stamp(netx_stack) -> None:
    t = ScriptedTransport(GREETING).expect("APOP", b"-ERR no\r\n")
    t.expect("USER", b"+OK\r\n").expect("PASS", b"-ERR no\r\n")
    t.expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    s = netx_stack(t)
    assert s.connect(apop=True) == lib.NX_SUCCESS
    assert s.login() == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.login() == lib.NX_SUCCESS  # the stamp was used once: USER/PASS now
    assert [c.split()[0] for c in t.commands] == ["APOP", "USER", "PASS", "USER", "PASS"]
    s.finish()


def test_login_checks_its_credentials_before_sending(netx_stack) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    assert s.connect() == lib.NX_SUCCESS
    assert s.login(user=b"a\r\nDELE 1") == lib.NX_POP3_PARAM_ERROR
    assert s.login(password=b"x" * (lib.NX_POP3_MAX_PASSWORD + 1)) == lib.NX_POP3_PARAM_ERROR
    assert bytes(t.sent) == b""
    s.finish()


def test_an_err_greeting_fails_connect_and_leaves_nothing(netx_stack) -> None:
    t = ScriptedTransport(b"-ERR [SYS/TEMP] busy\r\n")
    s = netx_stack(t)
    assert s.connect() == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_CLOSED
    assert s.client.nx_pop3_client_socket_created == 0
    # Not created: the checking layer refuses the other services.
    assert lib.nx_pop3_client_delete(s.client) == lib.NX_PTR_ERROR
    assert lib.nx_ip_delete(s.ip) == 0
    assert not t.connected


def test_connect_checks_its_arguments(netx_stack) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    connect = lib.nxd_pop3_client_connect
    assert connect(ffi.NULL, s.ip, s.pool.pool, s.address, 110, 100, 100,
                   ffi.NULL) == lib.NX_PTR_ERROR
    assert connect(s.client, s.ip, s.pool.pool, s.address, 0, 100, 100,
                   ffi.NULL) == lib.NX_POP3_PARAM_ERROR
    assert connect(s.client, s.ip, s.pool.pool, s.address, 110, 0, 100,
                   ffi.NULL) == lib.NX_OPTION_ERROR
    assert lib.nx_pop3_client_login(s.client, ffi.NULL, ffi.new("char[]", b"a"),
                                    ffi.new("char[]", b"b")) == lib.NX_PTR_ERROR
    assert s.connect() == lib.NX_SUCCESS
    assert s.connect() == lib.NX_PTR_ERROR  # already created
    s.finish()


def test_create_is_connect_then_login_with_the_same_bytes(netx_stack) -> None:
    for apop in (False, True):
        sent = []
        for split in (False, True):
            t = ScriptedTransport(GREETING)
            if apop:
                t.expect("APOP", b"-ERR try the other way\r\n")  # and the fallback
            t.expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
            s = netx_stack(t)
            if split:
                assert s.connect(apop=apop) == 0 and s.login() == 0
            else:
                assert s.create(apop=apop) == 0
            sent.append(bytes(t.sent))
            s.finish()
        assert sent[0] == sent[1]
        assert sent[0].startswith(b"APOP alice " if apop else b"USER alice")


def test_a_long_reply_text_is_cut_and_flagged(netx_stack) -> None:
    text = b"x" * 200
    t = ScriptedTransport().expect("USER", b"-ERR " + text + b"\r\n")
    s = netx_stack(t)
    assert s.connect() == 0
    assert s.client.nx_pop3_client_reply_truncated == 0
    assert s.login() == lib.NX_POP3_SERVER_ERROR_STATUS
    assert s.client.nx_pop3_client_reply_truncated == 1
    assert s.reply_text == text[:lib.NX_POP3_REPLY_TEXT_SIZE - 1]
    s.finish()
