"""Exceptions carrying the NetX status, its name, and the server's reply text.

A password never appears in an exception: messages are built from the status,
the command keyword and the server's reply only. The server's text is
untrusted: ``str(exception)`` shows it through :func:`nxpop3.server_text.printable`
(control characters escaped), while ``.reply`` keeps it as the server sent it.
"""
from __future__ import annotations

from typing import Any

from . import codes
from .server_text import printable

# The commands of a login: a -ERR to one of them is a refused login.
LOGIN_COMMANDS = frozenset(codes.COMMAND_NAMES[value] for value in (
    codes.NX_POP3_COMMAND_USER, codes.NX_POP3_COMMAND_PASS, codes.NX_POP3_COMMAND_APOP,
    codes.NX_POP3_COMMAND_AUTH))
# Statuses that are a failed login whatever the command.
_LOGIN_FAILURES = frozenset({codes.NX_POP3_SERVER_NOT_VERIFIED,
                             codes.NX_POP3_MECHANISM_NOT_OFFERED})

status_name = codes.status_name


class Pop3Error(Exception):
    """A NetX status other than NX_SUCCESS.

    Attributes: ``status`` (the NetX code), ``name`` (its NetX name), ``reply``
    (the server's text after +OK/-ERR as a str, decoded as UTF-8, control
    characters and all, or None: print it through ``printable``), ``command``
    (the command whose exchange failed, or None), ``code`` (the RFC 2449 or 3206
    response code leading a refusal, such as ``"IN-USE"`` or ``"SYS/TEMP"``,
    upper-cased, or None; ``response_code`` is the same), ``mechanism`` (for
    an error of a login, the mechanism it used or asked for) and ``partial`` (the
    message bytes received before a failure in the middle of a body and not yet
    handed out; ``b""`` otherwise).
    ``str(exception)`` escapes every control character of the server's text.
    """

    partial: bytes = b""
    #: The login mechanism ("SCRAM-SHA-256", "APOP", "USER", ...) of a failed login, else None.
    mechanism: str | None = None

    def __init__(self, status: int, reply: str | None = None,
                 command: str | None = None, message: str | None = None) -> None:
        self.status = status
        self.name = status_name(status)
        self.reply = reply
        self.command = command
        self.response_code = response_code(reply)
        self.code = self.response_code
        text = f"{self.name} (0x{status:02X})"
        if message:
            text += f": {printable(message)}"
        elif command:
            text += f": {command}"
        if reply:
            text += f": {printable(reply)}"
        super().__init__(text)


class ServerError(Pop3Error):
    """The server answered -ERR (NX_POP3_SERVER_ERROR_STATUS)."""


class AuthenticationError(ServerError):
    """The login did not succeed: the server refused it (-ERR to USER, PASS,
    APOP or AUTH, with ``code`` None or ``"AUTH"``); the mechanism asked for is
    not offered (NX_POP3_MECHANISM_NOT_OFFERED, nothing sent); or, with SCRAM,
    the server could not prove that it knows the password
    (NX_POP3_SERVER_NOT_VERIFIED, connection closed). ``mechanism`` names it."""


class PlaintextRefused(AuthenticationError):
    """Nothing was sent: the only way to log in left would put a password or
    token on an unencrypted connection to a host that is not loopback
    (NX_NOT_SUPPORTED). Use ``tls=True`` or ``starttls=True``, or pass
    ``allow_plaintext=True`` to accept the risk."""


class ProtocolError(Pop3Error):
    """The server broke the protocol; the client closed the connection."""


class Pop3Timeout(Pop3Error):
    """Nothing (or not enough) arrived within the timeout (NX_NO_PACKET)."""


class ConnectionClosed(Pop3Error):
    """The connection was refused, reset or closed (NX_NOT_CONNECTED)."""


class BadArgument(Pop3Error, ValueError):
    """An argument the client refused before anything was sent."""


class InvalidState(Pop3Error):
    """The client cannot take a command now: a message is being streamed
    (NX_POP3_CLIENT_INVALID_STATE), or it is closed, by ``close()``, ``quit()`` or
    after an error that ended the connection (NX_NOT_CONNECTED). Nothing was sent."""


class TLSError(Pop3Error):
    """TLS was asked for and cannot be had: the server does not offer STLS
    (NX_NOT_SUPPORTED), refuses it (-ERR), the handshake fails or the
    certificate or host name is not verified (NX_POP3_TLS_FAILED), or plain
    text follows the +OK to STLS (NX_POP3_UNEXPECTED_DATA). No credential has
    been sent, and there is no fallback to plain text. ``__cause__`` is the
    ``ssl`` module's error when there is one."""


# NetX's status families, by name (the values come from the C headers).
_PROTOCOL = codes.PROTOCOL_VIOLATIONS
_CLOSED = frozenset({codes.NX_NOT_CONNECTED, codes.NX_IN_PROGRESS})
_ARGUMENT = frozenset({
    codes.NX_PTR_ERROR, codes.NX_OPTION_ERROR, codes.NX_IP_ADDRESS_ERROR, codes.NX_INVALID_PORT,
    codes.NX_INVALID_PARAMETERS, codes.NX_POP3_PARAM_ERROR, codes.NX_POP3_INVALID_MAIL_ITEM,
    codes.NX_POP3_INSUFFICIENT_PACKET_PAYLOAD, codes.NX_POP3_CLIENT_INVALID_INDEX,
})


def response_code(reply: str | None) -> str | None:
    """The RFC 2449 response code at the start of a reply ("[IN-USE] ..."), if any."""
    if not reply or not reply.startswith("["):
        return None
    end = reply.find("]")
    code = reply[1:end]
    # A code is printable ASCII (RFC 2449); anything else is not one.
    if end <= 1 or not (code.isascii() and code.isprintable()):
        return None
    return code.upper()


def error_for(status: int, reply: str | None = None, command: str | None = None,
              message: str | None = None) -> Pop3Error:
    """The exception of the right family for a NetX status."""
    cls: type[Pop3Error]
    if status == codes.NX_POP3_TLS_FAILED or command == "STLS":
        cls = TLSError  # refused, cut, unverified or injected: TLS cannot be had
    elif status in _LOGIN_FAILURES:
        cls = AuthenticationError
    elif status == codes.NX_POP3_SERVER_ERROR_STATUS:
        # A refused login is bad credentials unless the server says otherwise
        # (RFC 3206: [IN-USE], [LOGIN-DELAY], [SYS/TEMP], [SYS/PERM] are not).
        code = response_code(reply)
        refused = command in LOGIN_COMMANDS and (code is None or code.startswith("AUTH"))
        cls = AuthenticationError if refused else ServerError
    elif status in _PROTOCOL:
        cls = ProtocolError
    elif status == codes.NX_NO_PACKET:
        cls = Pop3Timeout
    elif status in _CLOSED:
        cls = ConnectionClosed
    elif status == codes.NX_POP3_CLIENT_INVALID_STATE:
        cls = InvalidState
    elif status in _ARGUMENT:
        cls = BadArgument
    else:
        cls = Pop3Error
    return cls(status, reply=reply, command=command, message=message)


_MOVED = {"STATUS_NAMES": "STATUS_NAMES", "COMMAND_NAMES": "COMMAND_NAMES"}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        import warnings

        warnings.warn(f"nxpop3.errors.{name} moved to nxpop3.codes.{_MOVED[name]}",
                      DeprecationWarning, stacklevel=2)
        return getattr(codes, _MOVED[name])
    raise AttributeError(f"module 'nxpop3.errors' has no attribute {name!r}")
