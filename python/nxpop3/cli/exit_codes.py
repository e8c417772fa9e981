"""The exit codes of the ``nxpop3`` command, and which failure gives which.

The codes are the command's public contract (``docs/cli.md``, ``nxpop3 fetch --help``).
A failure is classified by its exception type only, never by its message.
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_SERVER = 4
EXIT_NETWORK = 5
EXIT_PROTOCOL = 6
EXIT_STORAGE = 7
EXIT_TLS = 8
EXIT_CONFIG = 9
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAILURE: "unexpected failure (or the C extension is missing)",
    EXIT_USAGE: "bad command line or argument (argparse, a password too long, no password)",
    EXIT_AUTH: "login refused: -ERR to USER, PASS, APOP or AUTH, or not attempted (no TLS)",
    EXIT_SERVER: "the server answered -ERR to another command (STAT, UIDL, RETR, DELE, QUIT...)",
    EXIT_NETWORK: "network: cannot resolve or connect, timeout, connection closed or reset",
    EXIT_PROTOCOL: "the server broke the POP3 protocol (malformed reply)",
    EXIT_STORAGE: "cannot write the Maildir or mbox, or read or write the fetch state",
    EXIT_TLS: "TLS asked for and not had (no STLS, refused, handshake or certificate failure)",
    EXIT_CONFIG: "the accounts file, the netrc file or a token file is unreadable, malformed "
                 "or not private",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}


class FetchFailed(Exception):
    """A command stopped early: carries the exit code and what to tell the user."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def exit_code_for(error: BaseException) -> int:
    """The exit code for an exception raised by the client (its class decides)."""
    from nxpop3 import errors

    if isinstance(error, errors.TLSError):
        return EXIT_TLS
    if isinstance(error, errors.AuthenticationError):
        return EXIT_AUTH
    if isinstance(error, errors.ServerError):
        return EXIT_SERVER
    if isinstance(error, errors.ProtocolError):
        return EXIT_PROTOCOL
    if isinstance(error, errors.BadArgument):
        return EXIT_USAGE
    if isinstance(error, errors.InvalidState):
        return EXIT_FAILURE  # the command used the client wrongly: a bug, not the network
    if isinstance(error, errors.Pop3Error):
        return EXIT_NETWORK
    return EXIT_FAILURE
