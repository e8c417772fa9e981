"""Exceptions carrying the NetX status, its name, and the server's reply text.

A password never appears in an exception: messages are built from the status,
the command keyword and the server's reply only.
"""
from __future__ import annotations

# NetX status values (csrc/include/nx_api.h, nxd_pop3_client.h), by name.
STATUS_NAMES: dict[int, str] = {
    0x00: "NX_SUCCESS",
    0x01: "NX_NO_PACKET",
    0x06: "NX_POOL_ERROR",
    0x07: "NX_PTR_ERROR",
    0x08: "NX_WAIT_ERROR",
    0x09: "NX_SIZE_ERROR",
    0x0A: "NX_OPTION_ERROR",
    0x11: "NX_CALLER_ERROR",
    0x12: "NX_INVALID_PACKET",
    0x14: "NX_NOT_ENABLED",
    0x15: "NX_ALREADY_ENABLED",
    0x1A: "NX_WAIT_ABORTED",
    0x21: "NX_IP_ADDRESS_ERROR",
    0x22: "NX_ALREADY_BOUND",
    0x23: "NX_PORT_UNAVAILABLE",
    0x24: "NX_NOT_BOUND",
    0x27: "NX_NOT_CREATED",
    0x28: "NX_SOCKETS_BOUND",
    0x35: "NX_NOT_CLOSED",
    0x37: "NX_IN_PROGRESS",
    0x38: "NX_NOT_CONNECTED",
    0x39: "NX_WINDOW_OVERFLOW",
    0x41: "NX_DISCONNECT_FAILED",
    0x42: "NX_STILL_BOUND",
    0x45: "NX_NO_FREE_PORTS",
    0x46: "NX_INVALID_PORT",
    0x49: "NX_TX_QUEUE_DEPTH",
    0x4B: "NX_NOT_SUPPORTED",
    0x4C: "NX_INVALID_INTERFACE",
    0x4D: "NX_INVALID_PARAMETERS",
    0xB1: "NX_POP3_PARAM_ERROR",
    0xB2: "NX_POP3_INVALID_MAIL_ITEM",
    0xB3: "NX_POP3_APOP_FAILED_MD5_DIGEST",
    0xB4: "NX_POP3_SERVER_ERROR_STATUS",
    0xB5: "NX_POP3_MAIL_BUFFER_OVERFLOW",
    0xB6: "NX_POP3_INSUFFICIENT_PACKET_PAYLOAD",
    0xB7: "NX_POP3_CLIENT_INVALID_STATE",
    0xB8: "NX_POP3_CLIENT_INVALID_INDEX",
    0xB9: "NX_POP3_REPLY_TOO_LONG",
    0xBA: "NX_POP3_INVALID_REPLY",
    0xBB: "NX_POP3_NUMBER_OVERFLOW",
    0xBC: "NX_POP3_NEGATIVE_NUMBER",
    0xBD: "NX_POP3_INDEX_MISMATCH",
}

# Commands the C client reports in nx_pop3_client_last_command.
COMMAND_NAMES: dict[int, str] = {
    1: "greeting", 2: "USER", 3: "PASS", 4: "APOP", 5: "STAT", 6: "LIST",
    7: "RETR", 8: "DELE", 9: "NOOP", 10: "RSET", 11: "QUIT",
}
LOGIN_COMMANDS = frozenset({"USER", "PASS", "APOP"})


def status_name(status: int) -> str:
    """The NetX name of a status value, or its hex form when unknown."""
    return STATUS_NAMES.get(status, f"0x{status:02X}")


class Pop3Error(Exception):
    """A NetX status other than NX_SUCCESS.

    Attributes: ``status`` (the NetX code), ``name`` (its NetX name), ``reply``
    (the server's text after +OK/-ERR, or None), ``command`` (the command whose
    exchange failed, or None) and ``response_code`` (an RFC 2449 code such as
    ``"IN-USE"`` or ``"SYS/TEMP"`` leading the reply, upper-cased, or None).
    """

    def __init__(self, status: int, reply: str | None = None,
                 command: str | None = None, message: str | None = None) -> None:
        self.status = status
        self.name = status_name(status)
        self.reply = reply
        self.command = command
        self.response_code = response_code(reply)
        text = f"{self.name} (0x{status:02X})"
        if message:
            text += f": {message}"
        elif command:
            text += f": {command}"
        if reply:
            text += f": {reply}"
        super().__init__(text)


class ServerError(Pop3Error):
    """The server answered -ERR (NX_POP3_SERVER_ERROR_STATUS)."""


class AuthenticationError(ServerError):
    """The server refused the login (-ERR to USER, PASS or APOP)."""


class ProtocolError(Pop3Error):
    """The server broke the protocol; the client closed the connection."""


class Pop3Timeout(Pop3Error):
    """Nothing (or not enough) arrived within the timeout (NX_NO_PACKET)."""


class ConnectionClosed(Pop3Error):
    """The connection was refused, reset or closed (NX_NOT_CONNECTED)."""


class BadArgument(Pop3Error, ValueError):
    """An argument the client refused before anything was sent."""


_PROTOCOL = {0xB9, 0xBA, 0xBB, 0xBC, 0xBD}
_ARGUMENT = {0x07, 0x0A, 0x21, 0x46, 0x4D, 0xB1, 0xB2, 0xB6, 0xB7, 0xB8}


def response_code(reply: str | None) -> str | None:
    """The RFC 2449 response code at the start of a reply ("[IN-USE] ..."), if any."""
    if not reply or not reply.startswith("["):
        return None
    end = reply.find("]")
    return reply[1:end].upper() if end > 1 else None


def error_for(status: int, reply: str | None = None, command: str | None = None,
              message: str | None = None) -> Pop3Error:
    """The exception of the right family for a NetX status."""
    cls: type[Pop3Error]
    if status == 0xB4:
        # A refused login is bad credentials unless the server says otherwise
        # (RFC 3206: [IN-USE], [LOGIN-DELAY], [SYS/TEMP], [SYS/PERM] are not).
        code = response_code(reply)
        refused = command in LOGIN_COMMANDS and (code is None or code.startswith("AUTH"))
        cls = AuthenticationError if refused else ServerError
    elif status in _PROTOCOL:
        cls = ProtocolError
    elif status == 0x01:
        cls = Pop3Timeout
    elif status in (0x38, 0x37):
        cls = ConnectionClosed
    elif status in _ARGUMENT:
        cls = BadArgument
    else:
        cls = Pop3Error
    return cls(status, reply=reply, command=command, message=message)
