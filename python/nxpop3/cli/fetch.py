"""``nxpop3 fetch``: download a maildrop through the C client into a Maildir or an mbox.

With no HOST it serves the bundled sample maildrop on loopback and fetches that, as a
demonstration that needs no mail account.
"""
from __future__ import annotations

import argparse
import getpass
import os
import socket
import ssl
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .exit_codes import (
    EXIT_FAILURE,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_STORAGE,
    EXIT_USAGE,
    FetchFailed,
    exit_code_for,
)
from .progress import Progress, human_size
from .report import describe_error, describe_message, hostport, redact
from .storage import Store

PASSWORD_ENV = "NXPOP3_PASSWORD"
DEFAULT_DESTINATION = "nxpop3-mail"
DEFAULT_PORT = 110
DEFAULT_TLS_PORT = 995
DEMO_USER = "alice"
DEMO_PASSWORD = "secret"  # the embedded demo server's, printed on purpose
MAX_ADDRESSES = 4  # a name with many addresses is tried this many times at most


@dataclass(frozen=True)
class _Step:
    """Where a fetch is, for the message if it stops there."""

    text: str
    """How the message names it: ``at RETR 3 (message 3 of 5)``, ``while storing ...``."""
    command: str | None = None
    """The POP3 command exchanged at this step; None for local work (connecting, storing)."""
    message: int | None = None
    """The message number the step is about, which a refused command's text does not say."""


def addresses_to_try(host: str, port: int, family: int) -> list[str]:
    """The IP literals to connect to for ``host`` (``nxpop3.address.resolve``), at most
    ``MAX_ADDRESSES``; resolver failures become ``FetchFailed`` with their exit code."""
    from nxpop3.address import HostNotFound, WrongFamily, resolve

    try:
        found = resolve(host, port, family)
    except WrongFamily as exc:
        option, other = ("-6", "IPv4") if exc.family == socket.AF_INET6 else ("-4", "IPv6")
        raise FetchFailed(EXIT_USAGE, f"{option} given but {host} is an {other} address") from None
    except HostNotFound as exc:
        raise FetchFailed(EXIT_NETWORK, str(exc)) from None
    return [str(address) for address in found[:MAX_ADDRESSES]]


def read_password(args: argparse.Namespace, host: str) -> str:
    """``--password``, else ``$NXPOP3_PASSWORD``, else a prompt that does not echo."""
    if args.password is not None:
        return str(args.password)
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    try:
        return getpass.getpass(f"Password for {args.user}@{host}: ")  # never echoed
    except (EOFError, KeyboardInterrupt):
        raise FetchFailed(
            EXIT_USAGE, f"no password: set {PASSWORD_ENV} or run from a terminal"
        ) from None


def tls_context(args: argparse.Namespace) -> ssl.SSLContext | None:
    """The TLS context the options ask for, or None without TLS. Verification is on
    unless --insecure, which says so on every run."""
    if not (args.tls or args.starttls):
        if args.cafile or args.capath or args.insecure:
            raise FetchFailed(EXIT_USAGE, "--cafile, --capath and --insecure need --tls or "
                                          "--starttls")
        return None
    try:
        context = ssl.create_default_context(cafile=args.cafile, capath=args.capath)
    except (OSError, ssl.SSLError) as exc:
        raise FetchFailed(EXIT_USAGE, f"cannot load the CA certificates: {exc}") from None
    if args.insecure:
        print("nxpop3: warning: --insecure: the server's certificate and name are NOT "
              "verified; anyone on the path can read and change this session", file=sys.stderr)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connect(args: argparse.Namespace, host: str, port: int, user: str, password: str) -> Any:
    """A logged-in ``nxpop3.Client``, trying each address of ``host`` in turn."""
    import nxpop3
    from nxpop3 import errors

    family = socket.AF_INET6 if args.ipv6 else socket.AF_INET if args.ipv4 else socket.AF_UNSPEC
    context = tls_context(args)
    last: BaseException | None = None
    for address in addresses_to_try(host, port, family):
        try:
            return nxpop3.Client(
                address, port, user, password, apop=args.apop, timeout=args.timeout,
                tls=args.tls, starttls=args.starttls, context=context,
                server_hostname=host,
            )
        except (errors.ServerError, errors.ProtocolError, errors.BadArgument):
            raise  # the server answered, or the arguments are wrong: no other address helps
        except errors.Pop3Error as exc:
            last = exc
    assert last is not None  # resolve() returns at least one address or raises
    raise last


def run_fetch(
    args: argparse.Namespace, host: str, port: int, user: str, password: str, out: TextIO
) -> int:
    """Fetch every message (up to ``--limit``) of ``user``'s maildrop at ``host``."""
    from nxpop3 import errors

    started = time.monotonic()
    show_progress = args.progress if args.progress is not None else sys.stderr.isatty()
    store: Store | None = None
    progress: Progress | None = None
    deleted = 0
    step = _Step(f"while connecting to {hostport(host, port)}")
    try:
        client = connect(args, host, port, user, password)
        with client:
            step = _Step(f"while opening {args.to}")
            store = Store(Path(args.to), args.format, args.lf)
            step = _Step("at STAT", "STAT")
            count, octets = client.stat()
            wanted = count if args.limit is None else min(count, args.limit)
            if wanted < count:
                step = _Step("at LIST", "LIST")
                octets = sum(client.size(n) for n in range(1, wanted + 1))
            progress = Progress(sys.stderr, wanted, octets, show_progress)
            for number in range(1, wanted + 1):
                step = _Step(f"at RETR {number} (message {number} of {wanted})", "RETR", number)
                if progress.enabled:
                    chunks = []
                    for chunk in client.retrieve(number):
                        chunks.append(chunk)
                        progress.update(number - 1, store.octets + sum(map(len, chunks)))
                    data = b"".join(chunks)
                else:
                    data = client.retr(number)
                step = _Step(f"while storing message {number} in {store.describe()}",
                             message=number)
                store.add(data)
                progress.update(number, store.octets, force=number == wanted)
                if args.verbose:
                    out.write(f"{number:5}  {human_size(len(data)):>8}  {describe_message(data)}\n")
                if args.delete:
                    step = _Step(f"at DELE {number}", "DELE", number)
                    client.delete(number)
                    deleted += 1
            step = _Step("at QUIT", "QUIT")
            client.quit()
    except (errors.Pop3Error, OSError) as exc:
        if progress is not None:
            progress.finish()
        if isinstance(exc, errors.Pop3Error):
            code = exit_code_for(exc)
            text = describe_error(exc)
            if not _error_says_where(exc, step):
                text += f" {step.text}"
        else:
            code, text = EXIT_STORAGE, f"{exc} {step.text}"
        if store is not None:
            if step.command != "QUIT" or not deleted:
                outcome = "nothing was deleted on the server"
            elif isinstance(exc, errors.ServerError):
                outcome = f"QUIT was refused: the {deleted} deletions were not applied"
            else:
                outcome = f"QUIT was not confirmed: the {deleted} deletions may not be applied"
            text += f"\n{_kept(store)}; {outcome}"
        raise FetchFailed(code, text) from None
    finally:
        if store is not None:
            store.close()
    if progress is not None:
        progress.finish()
    summary = (
        f"Fetched {store.count} of {count} messages ({human_size(store.octets)}) "
        f"into {store.describe()} in {time.monotonic() - started:.2f} s"
    )
    if args.delete:
        summary += f"; deleted {deleted} on the server"
    out.write(summary + "\n")
    out.flush()
    return EXIT_OK


def _error_says_where(error: Any, step: _Step) -> bool:
    """Whether the error's own text already places it: a refused login command, or a
    command refused at a step about that command and no particular message."""
    from nxpop3.errors import LOGIN_COMMANDS, ServerError

    if not isinstance(error, ServerError) or not error.command:
        return False
    if error.command in LOGIN_COMMANDS:
        return True
    return error.command == step.command and step.message is None


def _kept(store: Store) -> str:
    return f"{store.count} complete messages were stored in {store.describe()}"


def cmd_fetch(args: argparse.Namespace) -> int:
    """``nxpop3 fetch``."""
    if args.limit is not None and args.limit < 0:
        raise FetchFailed(EXIT_USAGE, "--limit must be 0 or more")
    if args.timeout <= 0:
        raise FetchFailed(EXIT_USAGE, "--timeout must be more than 0 seconds")
    try:
        import nxpop3

        nxpop3.Client  # noqa: B018 - loads the C extension now, for a clear message
    except (ImportError, OSError) as exc:
        raise FetchFailed(EXIT_FAILURE, f"the C extension is not available: {exc}") from None
    if args.host is None:
        return demo_fetch(args)
    if not args.user:
        try:
            args.user = getpass.getuser()
        except (KeyError, OSError):
            raise FetchFailed(EXIT_USAGE, "no user name: give --user") from None
    user = args.user
    password = read_password(args, args.host)
    port = args.port if args.port is not None else (DEFAULT_TLS_PORT if args.tls else DEFAULT_PORT)
    return run_fetch(args, args.host, port, user, password, sys.stdout)


def demo_fetch(args: argparse.Namespace) -> int:
    """No HOST: serve the bundled sample maildrop on loopback and fetch it for real."""
    from nxpop3.testing import Pop3Server, sample_messages

    if args.user or args.password:
        raise FetchFailed(EXIT_USAGE, "--user and --password need a HOST")
    if args.tls or args.starttls:
        raise FetchFailed(EXIT_USAGE, "--tls and --starttls need a HOST (the sample maildrop "
                                      "is served without TLS)")
    host = "::1" if args.ipv6 else "127.0.0.1"
    server = Pop3Server(
        sample_messages(), user=DEMO_USER, password=DEMO_PASSWORD, host=host, apop=args.apop,
        port=args.port or 0,
    )
    try:
        server.start()
    except OSError as exc:
        raise FetchFailed(EXIT_NETWORK, f"cannot start the demo server on {host}: {exc}") from None
    with server:
        box = server.mailbox()
        print(
            f"No HOST given: serving the bundled sample maildrop ({len(box)} messages, "
            f"{human_size(box.octets)}) on {hostport(host, server.port)} as "
            f"{DEMO_USER}/{DEMO_PASSWORD}{' with APOP' if args.apop else ''}, "
            "fetching it through the C client.",
            flush=True,
        )
        args.verbose = True
        args.user = DEMO_USER
        code = run_fetch(args, host, server.port, DEMO_USER, DEMO_PASSWORD, sys.stdout)
        if code == EXIT_OK:
            print(f"Commands sent by the client: {', '.join(redact(server.commands))}")
        return code
