"""``nxpop3 serve``: serve a Maildir or a folder of .eml files with the test POP3 server,
with SASL (``--sasl``, ``--token``, ``--token-file``) and TLS (``--tls``, ``--starttls``)
when asked.

Tokens and passwords are never printed: the banner names the users that have a token,
and the ``-v`` command log hides ``PASS``'s argument, ``APOP``'s digest, ``AUTH``'s
initial response and every line of an ``AUTH`` exchange (:class:`CommandLog`).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import ssl
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nxpop3.server_text import printable

from .credentials import check_private
from .exit_codes import EXIT_CONFIG, EXIT_NETWORK, EXIT_OK, EXIT_USAGE, FetchFailed
from .fetch import PASSWORD_ENV
from .report import hostport

DEFAULT_PASSWORD = "secret"
OAUTH_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")
"""The mechanisms whose secret is a bearer token (``--token``) rather than the password."""
_WILDCARDS = ("", "0.0.0.0", "::")  # listen addresses no certificate can name
_HIDDEN = "****"


def sasl_mechanisms(text: str) -> tuple[str, ...]:
    """``--sasl``'s value: ``all``, or mechanism names separated by commas (any case),
    each known and named once; an ``argparse`` type, so a bad list is a usage error."""
    from nxpop3.testing.sasl import SASL_MECHANISMS, check_mechanisms

    if text.strip().lower() == "all":
        return SASL_MECHANISMS
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"an empty mechanism name in {text!r}")
    try:
        return check_mechanisms(names)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_serve(args: argparse.Namespace) -> int:
    """``nxpop3 serve``: until Ctrl-C, SIGTERM or ``--duration``."""
    from nxpop3.testing import Pop3Server, load_messages, sample_messages

    problem = _option_problem(args)
    if problem is not None:
        print(f"nxpop3: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.path is None:
        messages = sample_messages()
        source = "the bundled sample maildrop"
    else:
        path = Path(args.path)
        if not path.is_dir():
            print(f"nxpop3: {path} is not a Maildir or a folder of .eml files", file=sys.stderr)
            return EXIT_USAGE
        messages = load_messages(path)
        source = str(path)
    tokens = bearer_tokens(args)
    password = args.password
    if password is None:
        password = os.environ.get(PASSWORD_ENV, DEFAULT_PASSWORD)
    with contextlib.ExitStack() as cleanup:
        tls = _tls_setup(args, cleanup)
        server = Pop3Server(
            messages, user=args.user, password=password, host=args.host, port=args.port,
            apop=args.apop, timeout=args.timeout, sasl=args.sasl or (), tokens=tokens,
            tls=tls.context if args.tls else None,
            starttls=tls.context if args.starttls else None,
        )
        try:
            server.start()
        except OSError as exc:
            print(f"nxpop3: cannot listen on {hostport(args.host, args.port)}: {exc}",
                  file=sys.stderr)
            code = EXIT_NETWORK
        else:
            code = _serve(server, args, source, tls, tokens)
    return code


def _serve(server: Any, args: argparse.Namespace, source: str, tls: TlsSetup,
           tokens: dict[str, str]) -> int:
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    box = server.mailbox()
    log = CommandLog(server)
    try:
        print(
            f"Serving {len(box)} messages ({box.octets} octets) from {source} for "
            f"{args.user} on {hostport(args.host, server.port)}"
            f"{' with APOP' if args.apop else ''}. Ctrl-C stops.",
            flush=True,
        )
        for line in describe(args, server.port, tls, tokens):
            print(f"  {line}", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.1)
            if args.verbose:
                _print_lines(log.new_lines())
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
    if args.verbose:
        _print_lines(log.new_lines())
    print(
        f"Stopped after {len(server.sessions)} connections; {len(box)} messages left.",
        flush=True,
    )
    return EXIT_OK


def _print_lines(lines: Iterable[str]) -> None:
    for line in lines:
        print(f"C: {line}", flush=True)


# -- options -----------------------------------------------------------------------------------

def _option_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with a combination of options (a usage error), or None."""
    tls = args.tls or args.starttls
    if args.key and not args.cert:
        return "--key needs --cert (the certificate it belongs to)"
    if args.cert and not tls:
        return "--cert and --key need --tls (POP3S) or --starttls (STLS)"
    if (args.token or args.token_file) and not set(args.sasl or ()) & set(OAUTH_MECHANISMS):
        return ("--token and --token-file need --sasl with XOAUTH2 or OAUTHBEARER "
                "(or --sasl all)")
    return None


def bearer_tokens(args: argparse.Namespace) -> dict[str, str]:
    """User name to bearer token, from ``--token-file`` then ``--token`` (which wins).
    Raises ``FetchFailed``; no message quotes a token."""
    tokens: dict[str, str] = {}
    if args.token_file:
        tokens.update(read_token_file(Path(args.token_file)))
    for number, item in enumerate(args.token or (), start=1):
        user, token = _token_entry(item)
        if user is None or token is None:
            raise FetchFailed(EXIT_USAGE, f"--token number {number} is not USER=TOKEN "
                              "(a user name, '=', a token without spaces)")
        tokens[user] = token
    others = sorted(user for user in tokens if user != args.user)
    if others:
        raise FetchFailed(
            EXIT_USAGE,
            f"a token for {', '.join(printable(user) for user in others)}: this server has "
            f"only the maildrop of {printable(args.user)} (-u)",
        )
    return tokens


def read_token_file(path: Path) -> dict[str, str]:
    """The ``USER=TOKEN`` lines of ``path`` (blank lines and ``#`` comments skipped).
    The file must be private, as a netrc file must; errors name the line, never its text."""
    check_private(path, "the token file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FetchFailed(EXIT_CONFIG, f"the token file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise FetchFailed(EXIT_CONFIG,
                          f"cannot read the token file {path}: {exc.strerror}") from None
    tokens: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        user, token = _token_entry(line)
        if user is None or token is None:
            raise FetchFailed(EXIT_CONFIG, f"the token file {path}, line {number}: not "
                              "USER=TOKEN (a user name, '=', a token without spaces)")
        tokens[user] = token
    return tokens


def _token_entry(text: str) -> tuple[str | None, str | None]:
    """``(user, token)`` of ``USER=TOKEN``; None for a part that is missing or holds a
    space or a control character (the SASL messages of the token use ``\\x01``)."""
    user, separator, token = text.strip().partition("=")
    if not separator:
        return None, None
    user_ok = bool(user) and user.isprintable() and " " not in user
    token_ok = bool(token) and token.isprintable() and not any(c.isspace() for c in token)
    return (user if user_ok else None), (token if token_ok else None)


# -- TLS ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TlsSetup:
    """The server's TLS context (None: no TLS), and where its certificate comes from."""

    context: ssl.SSLContext | None = None
    cert: str | None = None
    """``--cert``; None with a throwaway CA."""
    ca_file: Path | None = None
    """The throwaway CA's certificate (PEM), for a client's ``--cafile``."""


def _tls_setup(args: argparse.Namespace, cleanup: contextlib.ExitStack) -> TlsSetup:
    """The context of ``--tls`` / ``--starttls``: from ``--cert``/``--key``, else from a
    CA made for this run with trustme, whose certificate goes in a temporary folder that
    ``cleanup`` removes."""
    if not (args.tls or args.starttls):
        return TlsSetup()
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(args.cert, args.key)
        except (OSError, ssl.SSLError) as exc:
            what = (f"the certificate {args.cert} and the key {args.key}" if args.key
                    else f"the certificate and the key in {args.cert}")
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise FetchFailed(EXIT_USAGE, f"cannot load {what}: {reason}") from None
        return TlsSetup(context, cert=args.cert)
    try:
        from nxpop3.testing.certificates import DEFAULT_HOSTS, CertificateAuthority

        authority = CertificateAuthority(organization="nxpop3 serve (throwaway)")
    except ImportError:
        raise FetchFailed(
            EXIT_USAGE,
            "--tls and --starttls need a certificate: pass --cert PEM --key PEM (a throwaway "
            "CA is made only when the trustme package is installed)",
        ) from None
    hosts = list(DEFAULT_HOSTS)
    if args.host not in _WILDCARDS and args.host not in hosts:
        hosts.append(args.host)
    context = authority.server_context(*hosts)
    folder = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="nxpop3-serve-")))
    return TlsSetup(context, ca_file=authority.write_ca(folder / "ca.pem"))


# -- what is printed ---------------------------------------------------------------------------

def describe(args: argparse.Namespace, port: int, tls: TlsSetup,
             tokens: dict[str, str]) -> list[str]:
    """The lines after the banner: TLS, where its certificate comes from and how to trust
    it, the SASL mechanisms and who has a token. None without those options (the banner
    alone, as before them)."""
    lines = []
    if tls.context is not None:
        mode = "--tls" if args.tls else "--starttls"
        what = ("POP3S: TLS from the first byte" if args.tls
                else "STLS: TLS after the STLS command, offered in CAPA")
        if tls.ca_file is None:
            lines.append(f"TLS: {what}; certificate {tls.cert}")
        else:
            host = "127.0.0.1" if args.host in _WILDCARDS else args.host
            lines.append(f"TLS: {what}; certificate from a CA made for this run, deleted "
                         "when the server stops")
            fetch = ["nxpop3", "fetch", "--cafile", str(tls.ca_file), mode, "-p", str(port),
                     "-u", args.user, host]
            lines.append(f"trust it with: {shlex.join(fetch)}")
    if args.sasl:
        lines.append(f"SASL (AUTH): {' '.join(args.sasl)}; USER/PASS"
                     f"{' and APOP' if args.apop else ''} too")
        oauth = [name for name in args.sasl if name in OAUTH_MECHANISMS]
        if oauth and tokens:
            lines.append(f"bearer token for {', '.join(printable(u) for u in sorted(tokens))} "
                         f"({' and '.join(oauth)})")
        elif oauth:
            lines.append(f"no bearer token: {' and '.join(oauth)} logins fail "
                         "(--token-file PATH with USER=TOKEN lines)")
    return lines


@dataclass
class _SessionLog:
    """How far the command log has gone in one connection."""

    walked: int = 0
    """Lines classified for good (each answered before the next line was read)."""
    printed: int = 0
    records: int = 0
    """``AUTH`` exchanges matched to their ``AUTH`` line so far."""
    exchange: Any = None
    """The ``AuthRecord`` of the exchange the walk is in, None between commands."""
    responses: int = 0
    """Lines of ``exchange`` walked so far."""


class CommandLog:
    """The lines clients sent to ``server``, with every secret hidden, connection by
    connection: ``PASS ****``, ``APOP user ****``, ``AUTH MECH ****`` (the initial
    response), and ``****`` for each line of an ``AUTH`` exchange (``*``, the client's
    cancel, as it is). Everything else goes through ``printable``.

    A line is known to be an exchange response from the server's own record of the
    exchange: the server reads a connection's next line only after answering the one
    before, so every line but the last is settled; the last is shown at once too, as a
    response while the exchange it may belong to is not over."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self._logs: dict[int, _SessionLog] = {}

    def new_lines(self) -> list[str]:
        """The lines received since the last call, hidden as above."""
        out: list[str] = []
        for session in list(self._server.sessions):
            log = self._logs.setdefault(id(session), _SessionLog())
            out += self._session_lines(session, log)
        return out

    def _session_lines(self, session: Any, log: _SessionLog) -> list[str]:
        closed = session.closed.is_set()  # read before the lines: all of them are settled
        lines = list(session.commands)
        records = session.authentications  # after the lines: it covers every settled one
        settled = len(lines) if closed else max(len(lines) - 1, 0)
        out = []
        for index in range(log.walked, settled):
            shown = self._walk(log, lines[index], records)
            if index >= log.printed:
                out.append(shown)
        log.walked = settled
        if log.printed < len(lines) and settled < len(lines):  # the last, unsettled line
            out.append(self._unsettled(log, lines[-1]))
        log.printed = max(log.printed, len(lines))
        return out

    def _walk(self, log: _SessionLog, line: str, records: Sequence[Any]) -> str:
        """Classify one settled line, moving ``log`` through the ``AUTH`` exchanges."""
        record = log.exchange
        if record is not None:
            if log.responses < len(record.responses):
                log.responses += 1
                return _response(line)
            log.exchange = None  # the exchange ended before this line came: a command
        if log.records < len(records) and _starts(line, records[log.records]):
            log.exchange = records[log.records]
            log.records += 1
            log.responses = 0
        return hide_secrets(line)

    @staticmethod
    def _unsettled(log: _SessionLog, line: str) -> str:
        record = log.exchange
        if record is not None:
            over = record.outcome is not None  # read before the responses: set after them
            if not over or log.responses < len(record.responses):
                return _response(line)
        return hide_secrets(line)


def _starts(line: str, record: Any) -> bool:
    """Whether ``line`` is the ``AUTH`` command that began the exchange ``record``."""
    from nxpop3.testing.session import parse_command

    keyword, args = parse_command(line)
    if keyword != "AUTH" or not args:
        return False
    name, separator, initial = args.partition(" ")
    return name.upper() == record.mechanism and record.initial_response == (
        initial if separator else None
    )


def _response(line: str) -> str:
    return "*" if line == "*" else _HIDDEN


def hide_secrets(line: str) -> str:
    """One command line as the log shows it: the password of ``PASS``, the digest of
    ``APOP`` and the initial response of ``AUTH`` replaced by ``****``."""
    keyword, _, args = line.partition(" ")
    upper = keyword.upper()
    if upper == "PASS":
        return f"{printable(keyword)} {_HIDDEN}"
    if upper == "APOP" and args:
        user = args.rpartition(" ")[0]
        return printable(f"{keyword} {user}".rstrip()) + f" {_HIDDEN}"
    if upper == "AUTH" and " " in args:
        return printable(f"{keyword} {args.partition(' ')[0]}") + f" {_HIDDEN}"
    return printable(line)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
