"""The checking layer (nx_pop3_client_check.c): every pointer of every service
NULL in turn, a control block that was never created, index 0, waits of 0, a
server address or port of 0, and each one refused with its NetX status before
anything reaches the wire (the scripted server sees no command, the session goes
on). Table-driven, so a new service adds one row."""
from __future__ import annotations

import pytest

import nxpop3.client  # noqa: F401  (registers the listing callbacks the C client calls)
from nxpop3 import ffi, lib
from nxpop3.transport import ScriptedTransport

NULL = ffi.NULL


def out(kind: str):
    return ffi.new(kind)


# Each service with arguments that would be valid for a logged-in client (`C`
# stands for it); the test puts NULL in each pointer position named.
C = object()
SERVICES = {
    "nx_pop3_client_login": ([C, NULL, b"alice", b"secret"], [2, 3]),
    "nx_pop3_client_mail_items_get": ([C, "UINT *", "ULONG *"], [1, 2]),
    "nx_pop3_client_mail_items_get64": ([C, "UINT *", "ULONG64 *"], [1, 2]),
    "nx_pop3_client_mail_item_size_get": ([C, 1, "ULONG *"], [2]),
    "nx_pop3_client_mail_item_size_get64": ([C, 1, "ULONG64 *"], [2]),
    "nx_pop3_client_mail_item_get": ([C, 1, "ULONG *"], [2]),
    "nx_pop3_client_mail_item_get64": ([C, 1, "ULONG64 *"], [2]),
    "nx_pop3_client_mail_item_message_get": ([C, "NX_PACKET **", "ULONG *", "UINT *"], [1, 2, 3]),
    "nx_pop3_client_message_read": ([C, "NX_POP3_READER *", "UCHAR[16]", 16, "ULONG *",
                                     "UINT *"], [1, 2, 4, 5]),
    "nx_pop3_client_mail_item_delete": ([C, 1], []),
    "nx_pop3_client_noop": ([C], []),
    "nx_pop3_client_reset": ([C], []),
    "nx_pop3_client_quit": ([C], []),
    "nx_pop3_client_reply_timeout_set": ([C, 100], []),
    "nx_pop3_client_capabilities_get": ([C, NULL, NULL], []),
    "nx_pop3_client_mail_items_list": ([C, "list", NULL], [1]),
    "nx_pop3_client_mail_items_uidl": ([C, "uidl", NULL], [1]),
    "nx_pop3_client_mail_item_uid_get": ([C, 1, "CHAR[71]", 71], [2]),
    "nx_pop3_client_mail_item_top_get": ([C, 1, 0], []),
    "nx_pop3_client_utf8": ([C], []),
    "nx_pop3_client_pipeline_start": ([C, "NX_POP3_PIPELINE *", "UINT[1]", 1], [1, 2]),
    "nx_pop3_client_pipeline_next": ([C, "UINT *", "ULONG64 *"], [1, 2]),
    "nx_pop3_client_stls": ([C], []),
    "nx_pop3_client_tls_verify_result_get": ([C, "ULONG *"], [1]),
    "nx_pop3_client_delete": ([C], []),
}


def arguments(template: list, client) -> list:
    values = []
    for value in template:
        if value is C:
            values.append(client)
        elif value == "list":
            values.append(lib.nxpop3_list_entry)
        elif value == "uidl":
            values.append(lib.nxpop3_uidl_entry)
        elif isinstance(value, str):
            values.append(ffi.new(value))
        elif isinstance(value, bytes):
            values.append(ffi.new("char[]", value))
        else:
            values.append(value)
    return values


@pytest.fixture
def session(netx_stack):
    """A logged-in client over a script that expects nothing more."""
    t = ScriptedTransport(b"+OK hi\r\n").expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    s = netx_stack(t)
    assert s.create() == lib.NX_SUCCESS
    yield s, t
    assert s.delete() == lib.NX_SUCCESS
    assert t.errors == []


def present(name: str) -> bool:
    return hasattr(lib, name)


@pytest.mark.parametrize("name", SERVICES)
def test_each_pointer_null_in_turn_is_refused_before_the_wire(session, name: str) -> None:
    if not present(name):
        pytest.skip(f"{name} is compiled out")
    s, t = session
    template, pointers = SERVICES[name]
    sent = list(t.commands)
    for position in pointers:
        values = arguments(template, s.client)
        values[position] = NULL
        assert getattr(lib, name)(*values) == lib.NX_PTR_ERROR, (name, position)
    assert t.commands == sent
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_TRANSACTION


@pytest.mark.parametrize("name", SERVICES)
def test_a_client_never_created_or_null_is_refused(name: str) -> None:
    if not present(name):
        pytest.skip(f"{name} is compiled out")
    template, _ = SERVICES[name]
    for client in (NULL, ffi.new("NX_POP3_CLIENT *")):
        assert getattr(lib, name)(*arguments(template, client)) == lib.NX_PTR_ERROR, name


@pytest.mark.parametrize("name", ["nx_pop3_client_mail_item_size_get",
                                  "nx_pop3_client_mail_item_size_get64",
                                  "nx_pop3_client_mail_item_get", "nx_pop3_client_mail_item_get64",
                                  "nx_pop3_client_mail_item_delete",
                                  "nx_pop3_client_mail_item_uid_get",
                                  "nx_pop3_client_mail_item_top_get"])
def test_message_number_0_is_an_invalid_index(session, name: str) -> None:
    if not present(name):
        pytest.skip(f"{name} is compiled out")
    s, t = session
    values = arguments(SERVICES[name][0], s.client)
    values[1] = 0
    assert getattr(lib, name)(*values) == lib.NX_POP3_CLIENT_INVALID_INDEX
    assert t.commands == ["USER alice", "PASS secret"]


def test_small_arguments_the_checks_refuse(session) -> None:
    s, t = session
    assert lib.nx_pop3_client_reply_timeout_set(s.client, 0) == lib.NX_OPTION_ERROR
    if present("nx_pop3_client_mail_item_uid_get"):
        uid = ffi.new("CHAR[71]")
        assert lib.nx_pop3_client_mail_item_uid_get(s.client, 1, uid, 70) == lib.NX_SIZE_ERROR
    if present("nx_pop3_client_message_read"):  # no buffer is fine only for 0 bytes
        reader, done = ffi.new("NX_POP3_READER *"), ffi.new("UINT *")
        assert lib.nx_pop3_client_message_read(s.client, reader, NULL, 1, ffi.new("ULONG *"),
                                               done) == lib.NX_PTR_ERROR
        assert lib.nx_pop3_client_message_read(s.client, reader, NULL, 0, ffi.new("ULONG *"),
                                               done) != lib.NX_PTR_ERROR
    if present("nx_pop3_client_pipeline_start"):  # no list is fine only for 0 items
        pipeline = ffi.new("NX_POP3_PIPELINE *")
        assert lib.nx_pop3_client_pipeline_start(s.client, pipeline, NULL, 1) == \
            lib.NX_PTR_ERROR
    assert t.commands == ["USER alice", "PASS secret"]


# ---- connect and the three creates ------------------------------------------------------------

def v4(address: int) -> object:
    server = ffi.new("NXD_ADDRESS *")
    server.nxd_ip_version = lib.NX_IP_VERSION_V4
    server.nxd_ip_address.v4 = address
    return server


def v6(*words: int) -> object:
    server = ffi.new("NXD_ADDRESS *")
    server.nxd_ip_version = lib.NX_IP_VERSION_V6
    for i, word in enumerate(words):
        server.nxd_ip_address.v6[i] = word
    return server


def connect_like(name: str, client, ip, pool, server, port: int = 110, connect_wait: int = 100,
                 reply_wait: int = 100, user=b"alice", password=b"secret") -> int:
    """Calls connect or one of the creates with these arguments (None = NULL)."""
    user = NULL if user is None else ffi.new("char[]", user)
    password = NULL if password is None else ffi.new("char[]", password)
    if name == "connect":
        return lib.nxd_pop3_client_connect(client, ip, pool, server, port, connect_wait,
                                           reply_wait, NULL)
    if name == "create_ext":
        return lib.nxd_pop3_client_create_ext(client, 0, ip, pool, server, port, user, password,
                                              connect_wait, reply_wait)
    if name == "nxd_create":
        return lib.nxd_pop3_client_create(client, 0, ip, pool, server, port, user, password)
    address = server.nxd_ip_address.v4 if server != NULL else 0x7F000001
    return lib.nx_pop3_client_create(client, 0, ip, pool, address, port, user, password)


ENTRIES = ["connect", "create_ext", "nxd_create", "nx_create"]


@pytest.mark.parametrize("name", ENTRIES)
def test_connect_and_create_refuse_bad_arguments(netx_stack, name: str) -> None:
    t = ScriptedTransport()
    s = netx_stack(t)
    client, ip, pool = ffi.new("NX_POP3_CLIENT *"), s.ip, s.pool.pool
    cases = [
        ((NULL, ip, pool, v4(0x7F000001)), {}, lib.NX_PTR_ERROR),
        ((client, NULL, pool, v4(0x7F000001)), {}, lib.NX_PTR_ERROR),
        ((client, ip, NULL, v4(0x7F000001)), {}, lib.NX_PTR_ERROR),
        ((client, ip, pool, v4(0)), {}, lib.NX_POP3_PARAM_ERROR),
        ((client, ip, pool, v4(0x7F000001)), {"port": 0}, lib.NX_POP3_PARAM_ERROR),
    ]
    if name != "nx_create":  # the ULONG address form has no NXD_ADDRESS to get wrong
        cases += [
            ((client, ip, pool, NULL), {}, lib.NX_PTR_ERROR),
            ((client, ip, pool, v6(0, 0, 0, 0)), {}, lib.NX_POP3_PARAM_ERROR),
            ((client, ip, pool, v6(0, 0, 0, 1)), {"port": 0}, lib.NX_POP3_PARAM_ERROR),
        ]
        odd = v4(0x7F000001)
        odd.nxd_ip_version = 5
        cases.append(((client, ip, pool, odd), {}, lib.NX_IP_ADDRESS_ERROR))
    if name in ("connect", "create_ext"):  # the only ones that take waits
        cases += [((client, ip, pool, v4(0x7F000001)), {"connect_wait": 0}, lib.NX_OPTION_ERROR),
                  ((client, ip, pool, v4(0x7F000001)), {"reply_wait": 0}, lib.NX_OPTION_ERROR)]
    if name != "connect":  # connect takes no credentials
        cases += [((client, ip, pool, v4(0x7F000001)), {"user": None}, lib.NX_PTR_ERROR),
                  ((client, ip, pool, v4(0x7F000001)), {"password": None}, lib.NX_PTR_ERROR)]
    for args, options, status in cases:
        assert connect_like(name, *args, **options) == status, (args, options)
    assert t.commands == [] and not t.connected
    assert lib.nx_ip_delete(s.ip) == 0


@pytest.mark.parametrize("name", ENTRIES)
def test_a_client_already_created_is_not_created_again(session, name: str) -> None:
    s, t = session
    assert connect_like(name, s.client, s.ip, s.pool.pool, v4(0x7F000001)) == lib.NX_PTR_ERROR
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_TRANSACTION
    assert t.commands == ["USER alice", "PASS secret"]


def test_an_ipv6_server_is_accepted(netx_stack) -> None:
    t = ScriptedTransport(b"+OK hi\r\n").expect("QUIT", b"+OK\r\n")
    s = netx_stack(t)
    client = s.client
    assert connect_like("connect", client, s.ip, s.pool.pool, v6(0, 0, 0, 1)) == lib.NX_SUCCESS
    assert lib.nx_pop3_client_quit(client) == lib.NX_SUCCESS
    assert s.delete() == lib.NX_SUCCESS


@pytest.mark.parametrize("name", ["_nx_pop3_client_create", "_nxd_pop3_client_create"])
def test_the_core_creates_unchecked_builds_call(netx_stack, name: str) -> None:
    """With NX_DISABLE_ERROR_CHECKING the public names are these: same session."""
    t = ScriptedTransport(b"+OK hi\r\n").expect("USER", b"+OK\r\n").expect("PASS", b"+OK\r\n")
    s = netx_stack(t)
    server = 0x7F000001 if name == "_nx_pop3_client_create" else v4(0x7F000001)
    assert getattr(lib, name)(s.client, 0, s.ip, s.pool.pool, server, 110,
                              ffi.new("char[]", b"alice"), ffi.new("char[]", b"secret")) == 0
    assert s.client.nx_pop3_client_state == lib.NX_POP3_STATE_TRANSACTION
    assert t.commands == ["USER alice", "PASS secret"]
    assert s.delete() == lib.NX_SUCCESS
