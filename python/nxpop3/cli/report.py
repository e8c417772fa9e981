"""How the ``nxpop3`` command words what it prints: errors, message listings, addresses
and command logs. Formatting only: nothing here decides what the command does."""
from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Sequence

from ..server_text import printable
from .progress import human_size


def describe_message(data: bytes) -> str:
    """``From`` and ``Subject`` of a message, RFC 2047 words decoded, for listings;
    control characters escaped (the sender chose them)."""
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(data)
        sender = printable(str(headers.get("From", "")).strip()) or "(no sender)"
        subject = printable(str(headers.get("Subject", "")).strip()) or "(no subject)"
    except Exception:  # noqa: BLE001 - a listing never fails a download
        return "(unreadable header)"
    return f"{sender[:40]:40}  {subject[:60]}"


def describe_error(error: BaseException) -> str:
    """``NX_POP3_SERVER_ERROR_STATUS (0xB4): PASS refused: -ERR [AUTH] ...`` and the like;
    the server's text with its control characters escaped."""
    from nxpop3 import errors

    if not isinstance(error, errors.Pop3Error):
        return str(error)
    head = f"{error.name} (0x{error.status:02X})"
    if isinstance(error, errors.PlaintextRefused):
        return (f"{head}: {error}; nothing was sent. Use --tls or --starttls, or "
                "--allow-plaintext to send it in clear anyway")
    if isinstance(error, errors.ServerError) and error.command:
        reply = f"-ERR {printable(error.reply)}" if error.reply else "-ERR"
        return f"{head}: {error.command} refused: {reply}"
    if isinstance(error, errors.ConnectionClosed):
        return f"{head}: connection refused or closed by the server"
    if isinstance(error, errors.Pop3Timeout):
        return f"{head}: no reply within the timeout"
    if isinstance(error, errors.ProtocolError):
        return f"{head}: malformed reply" + (f" {printable(error.reply)}" if error.reply else "")
    return str(error)


def hostport(host: str, port: int) -> str:
    """``127.0.0.1:110``, ``[::1]:110``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def redact(commands: Sequence[str]) -> list[str]:
    """A server's command log with every password replaced by ``****`` and control
    characters escaped (the network client chose them)."""
    out = []
    for line in commands:
        keyword = line.split(" ", 1)[0].upper()
        out.append("PASS ****" if keyword == "PASS" else printable(line))
    return out


def fetch_summary(*, stored: int, total: int, octets: int, seconds: float, destination: str,
                  skipped: int, deleted: int | None) -> str:
    """The line ``nxpop3 fetch`` ends with: ``Fetched 2 of 7 messages (1.2 kB, 350.0 kB/s)
    into mail (Maildir) in 0.01 s; 5 skipped as already stored; deleted 2 on the
    server``. ``deleted`` None: no deletion was asked for, so none is mentioned."""
    rate = octets / seconds if seconds > 0 else 0.0
    text = (f"Fetched {stored} of {total} messages ({human_size(octets)}, "
            f"{human_size(rate)}/s) into {destination} in {seconds:.2f} s")
    if skipped:
        text += f"; {skipped} skipped as already stored"
    if deleted is not None:
        text += f"; deleted {deleted} on the server"
    return text
