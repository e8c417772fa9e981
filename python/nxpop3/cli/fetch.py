"""``nxpop3 fetch``: download a maildrop through the C client into a Maildir or an mbox.

Incremental: the unique-ids (UIDL) of the messages stored are kept beside the destination
(``state``), and a later run fetches only the others. With no HOST it serves the bundled
sample maildrop on loopback and fetches that, as a demonstration that needs no mail
account.
"""
from __future__ import annotations

import argparse
import getpass
import math
import os
import socket
import ssl
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..server_text import printable
from . import state as state_module
from .accounts import load_account
from .credentials import MECHANISMS, netrc_entry
from .exit_codes import (
    EXIT_FAILURE,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_SERVER,
    EXIT_STORAGE,
    EXIT_USAGE,
    FetchFailed,
    exit_code_for,
)
from .progress import Progress, human_size
from .report import describe_error, describe_message, fetch_summary, hostport
from .state import FetchState, StateError, account_key, state_folder
from .storage import Store

PASSWORD_ENV = "NXPOP3_PASSWORD"
DEFAULT_DESTINATION = "nxpop3-mail"
DEFAULT_PORT = 110
DEFAULT_TLS_PORT = 995
DEMO_USER = "alice"
DEMO_PASSWORD = "secret"  # the embedded demo server's, printed on purpose
DEMO_ACCOUNT = "alice@nxpop3-sample-maildrop"  # the demo's fetch state, whatever its port
DEFAULT_TIMEOUT = 10.0
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


def read_password(args: argparse.Namespace, host: str,
                  fallback: str | None = None) -> str:
    """``--password``, else ``$NXPOP3_PASSWORD``, else ``fallback`` (the accounts file's
    or ``.netrc``'s), else a prompt that does not echo."""
    if args.password is not None:
        return str(args.password)
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    if fallback is not None:
        return fallback
    try:
        return getpass.getpass(f"Password for {args.user}@{host}: ")  # never echoed
    except (EOFError, KeyboardInterrupt):
        raise FetchFailed(
            EXIT_USAGE, f"no password: set {PASSWORD_ENV}, add it to ~/.netrc or run from a "
                        "terminal"
        ) from None


def credentials(args: argparse.Namespace, host: str) -> tuple[str, str]:
    """The user name and password for ``host``: the command line, then the environment,
    then the accounts file, then ``.netrc`` (read only when something is missing), then
    your login name and a prompt."""
    config_password = getattr(args, "config_password", None)
    have_password = (args.password is not None or PASSWORD_ENV in os.environ
                     or config_password is not None)
    entry = None
    if not args.user or not have_password:
        entry = netrc_entry(host)
    if not args.user:
        if entry is not None and entry.login:
            args.user = entry.login
        else:
            try:
                args.user = getpass.getuser()
            except (KeyError, OSError):
                raise FetchFailed(EXIT_USAGE, "no user name: give --user") from None
    fallback = config_password
    if fallback is None and entry is not None and entry.password and \
            entry.login in ("", args.user):
        fallback = entry.password
    return str(args.user), read_password(args, host, fallback)


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


def sasl_options(args: argparse.Namespace) -> dict[str, Any]:
    """``mechanism`` and ``allow_plaintext`` for ``Client``, only those the command line
    (or the accounts file) gave: the client's defaults stand otherwise."""
    extra: dict[str, Any] = {}
    if getattr(args, "mechanism", None):
        extra["mechanism"] = args.mechanism
    if getattr(args, "allow_plaintext", False):
        extra["allow_plaintext"] = True
    return extra


def connect(args: argparse.Namespace, host: str, port: int, user: str, password: str) -> Any:
    """A logged-in ``nxpop3.Client``, trying each address of ``host`` in turn."""
    import nxpop3
    from nxpop3 import errors

    family = socket.AF_INET6 if args.ipv6 else socket.AF_INET if args.ipv4 else socket.AF_UNSPEC
    context = tls_context(args)
    extra = sasl_options(args)
    last: BaseException | None = None
    for address in addresses_to_try(host, port, family):
        try:
            return nxpop3.Client(
                address, port, user, password, apop=args.apop, timeout=args.timeout,
                tls=args.tls, starttls=args.starttls, context=context,
                server_hostname=host, **extra,
            )
        except (errors.ServerError, errors.ProtocolError, errors.BadArgument):
            raise  # the server answered, or the arguments are wrong: no other address helps
        except errors.Pop3Error as exc:
            last = exc
    assert last is not None  # resolve() returns at least one address or raises
    raise last


class _NoUidl(Exception):
    """The server's UIDL cannot tell messages apart: refused, or ids given twice."""


def _unique_ids(client: Any, count: int) -> dict[int, str]:
    """UIDL: message number -> unique-id, for messages 1 to ``count``; ``_NoUidl`` when
    the server refuses UIDL or its answer cannot identify every message once."""
    from nxpop3 import errors

    try:
        listing = client.uidl()
    except errors.ServerError as exc:
        raise _NoUidl(f"UIDL refused: -ERR {printable(exc.reply or '')}".rstrip()) from None
    uids = dict(listing)
    if sorted(uids) != list(range(1, count + 1)):
        raise _NoUidl(f"UIDL listed {len(uids)} messages, STAT {count}")
    seen: dict[str, int] = {}
    for number, uid in sorted(uids.items()):
        if uid in seen:
            raise _NoUidl(f"UIDL gave messages {seen[uid]} and {number} the same unique-id "
                          f"{printable(uid)!r}")
        seen[uid] = number
    return uids


def _deletion_cutoff(args: argparse.Namespace) -> float | None:
    """None: keep every message. Else: delete the messages recorded as stored at this
    time or earlier (--delete: any time, this run included)."""
    days = getattr(args, "delete_older_than", None)
    if days:
        return state_module.clock() - days * 86400.0
    if days is not None:
        return math.inf  # 0 days: as --delete
    return math.inf if args.delete else None


def run_fetch(
    args: argparse.Namespace, host: str, port: int, user: str, password: str, out: TextIO,
    *, account: str | None = None,
) -> int:
    """Fetch the messages of ``user``'s maildrop at ``host`` not stored before (every
    one with ``--all``), up to ``--limit``; delete what ``--delete`` or
    ``--delete-older-than`` ask for once it is stored. ``account`` names the fetch state
    (default ``user@host:port``)."""
    from nxpop3 import errors

    started = time.monotonic()
    show_progress = args.progress if args.progress is not None else sys.stderr.isatty()
    every = bool(getattr(args, "all", False))
    cutoff = _deletion_cutoff(args)
    account = account if account is not None else account_key(user, host, port)
    store: Store | None = None
    state: FetchState | None = None
    progress: Progress | None = None
    deleted: list[int] = []
    skipped = 0
    step = _Step(f"while connecting to {hostport(host, port)}")
    try:
        client = connect(args, host, port, user, password)
        with client:
            if args.verbose and getattr(client, "mechanism", None):
                out.write(f"Logged in as {printable(user)} with {client.mechanism}"
                          f"{' over TLS' if client.tls else ''}.\n")
            step = _Step(f"while opening {args.to}")
            store = Store(Path(args.to), args.format, args.lf)
            step = _Step("at STAT", "STAT")
            count, octets = client.stat()
            step = _Step("at UIDL", "UIDL")
            uids: dict[int, str] | None = None
            try:
                uids = _unique_ids(client, count)
            except _NoUidl as exc:
                if not every or getattr(args, "delete_older_than", None) is not None:
                    raise FetchFailed(EXIT_SERVER, _no_uidl_text(str(exc), args)) from None
                print(f"nxpop3: warning: {exc}: every message is fetched and none is "
                      "recorded as stored", file=sys.stderr)
            if uids is not None:
                step = _Step("while reading the fetch state")
                state = FetchState(state_folder(Path(args.to), args.format), account)
                if state.dropped:
                    print(f"nxpop3: warning: {state.dropped} unreadable lines dropped from "
                          f"{state.path} (their messages are fetched again)", file=sys.stderr)
            wanted = [n for n in range(1, count + 1)
                      if every or uids is None or state is None or uids[n] not in state]
            skipped = count - len(wanted)
            if args.limit is not None:
                wanted = wanted[:args.limit]
            if len(wanted) < count:
                step = _Step("at LIST", "LIST")
                sizes = dict(client.list()) if wanted else {}
                octets = sum(sizes.get(n, 0) for n in wanted)
            progress = Progress(sys.stderr, len(wanted), octets, show_progress, skipped)
            to_fetch = set(wanted)
            stored_now: set[int] = set()
            for number in range(1, count + 1):
                uid = uids[number] if uids is not None else None
                if number in to_fetch:
                    position = f"message {len(stored_now) + 1} of {len(wanted)}"
                    step = _Step(f"at RETR {number} ({position})", "RETR", number)
                    data = _retrieve(client, number, store, progress, len(stored_now))
                    step = _Step(f"while storing message {number} in {store.describe()}",
                                 message=number)
                    store.add(data)
                    stored_now.add(number)
                    if state is not None and uid is not None:
                        step = _Step(f"while recording message {number} in {state.path}",
                                     message=number)
                        state.record(uid)
                    progress.update(len(stored_now), store.octets,
                                    force=len(stored_now) == len(wanted))
                    if args.verbose:
                        out.write(f"{number:5}  {human_size(len(data)):>8}  "
                                  f"{describe_message(data)}\n")
                if cutoff is None:
                    continue
                if state is not None and uid is not None:
                    delete = state.stored_before(uid, cutoff)
                else:
                    delete = number in stored_now  # no UIDL (--all): what this run stored
                if delete:
                    step = _Step(f"at DELE {number}", "DELE", number)
                    client.delete(number)
                    deleted.append(number)
            step = _Step("at QUIT", "QUIT")
            client.quit()
            if state is not None and uids is not None:
                step = _Step(f"while saving the fetch state {state.path}")
                gone = {uids[n] for n in deleted}
                state.save(keep=[uid for uid in uids.values() if uid not in gone])
    except (errors.Pop3Error, OSError, StateError) as exc:
        if progress is not None:
            progress.finish()
        if isinstance(exc, errors.Pop3Error):
            code = exit_code_for(exc)
            text = describe_error(exc)
            if not _error_says_where(exc, step):
                text += f" {step.text}"
        elif isinstance(exc, StateError):
            code, text = EXIT_STORAGE, str(exc)
        else:
            code, text = EXIT_STORAGE, f"{exc} {step.text}"
        if store is not None:
            text += f"\n{_kept(store)}; {_deletions_outcome(exc, step, len(deleted))}"
        raise FetchFailed(code, text) from None
    finally:
        if state is not None:
            state.close()
        if store is not None:
            store.close()
    if progress is not None:
        progress.finish()
    out.write(fetch_summary(
        stored=store.count, total=count, octets=store.octets,
        seconds=time.monotonic() - started, destination=store.describe(), skipped=skipped,
        deleted=None if cutoff is None else len(deleted),
    ) + "\n")
    out.flush()
    return EXIT_OK


def _retrieve(client: Any, number: int, store: Store, progress: Progress, done: int) -> bytes:
    """RETR ``number``: streamed when the progress bar shows, so it moves inside a
    large message."""
    if not progress.enabled:
        return client.retr(number)
    chunks = []
    received = 0
    for chunk in client.retrieve(number):
        chunks.append(chunk)
        received += len(chunk)
        progress.update(done, store.octets + received)
    return b"".join(chunks)


def _deletions_outcome(error: BaseException, step: _Step, deleted: int) -> str:
    """What a failure means for the deletions asked for: none is applied unless QUIT
    was sent (a StateError after QUIT: they were)."""
    from nxpop3 import errors

    if step.command != "QUIT" and not step.text.startswith("while saving"):
        return "nothing was deleted on the server"
    if step.text.startswith("while saving"):
        return f"the server applied the {deleted} deletions" if deleted else \
            "nothing was deleted on the server"
    if not deleted:
        return "nothing was deleted on the server"
    if isinstance(error, errors.ServerError):
        return f"QUIT was refused: the {deleted} deletions were not applied"
    return f"QUIT was not confirmed: the {deleted} deletions may not be applied"


def _no_uidl_text(reason: str, args: argparse.Namespace) -> str:
    if getattr(args, "delete_older_than", None) is not None:
        return (f"{reason}: --delete-older-than needs the server's unique-ids (UIDL) to "
                "know when each message was stored; nothing was fetched or deleted")
    return (f"{reason}: without the server's unique-ids nxpop3 cannot tell which messages "
            "it stored before. Run with --all to fetch every message at each run (add "
            "--delete to move them off the server); nothing was fetched or deleted")


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
    if args.account is not None or args.config is not None:
        apply_account(args)
    _fill_defaults(args)
    _check_options(args)
    try:
        import nxpop3

        nxpop3.Client  # noqa: B018 - loads the C extension now, for a clear message
    except (ImportError, OSError) as exc:
        raise FetchFailed(EXIT_FAILURE, f"the C extension is not available: {exc}") from None
    if args.host is None:
        return demo_fetch(args)
    user, password = credentials(args, args.host)
    port = args.port if args.port is not None else (DEFAULT_TLS_PORT if args.tls else DEFAULT_PORT)
    return run_fetch(args, args.host, port, user, password, sys.stdout)


# The accounts file's keys that are named differently on the command line.
_ACCOUNT_OPTIONS = {"destination": "to"}


def apply_account(args: argparse.Namespace) -> None:
    """Fill the options the command line left out from ``--account NAME`` of the
    accounts file (``--config PATH``, else the default file)."""
    if args.account is None:
        raise FetchFailed(EXIT_USAGE, "--config needs --account NAME")
    if args.host is not None:
        raise FetchFailed(EXIT_USAGE, "give HOST or --account, not both")
    account = load_account(Path(args.config) if args.config else None, args.account)
    settings = dict(account.settings)
    args.config_password = settings.pop("password", None)
    deletion_given = args.keep or args.delete or args.delete_older_than is not None
    for key, value in settings.items():
        name = _ACCOUNT_OPTIONS.get(key, key)
        if name in ("delete", "delete_older_than") and deletion_given:
            continue
        if getattr(args, name, None) in (None, False):
            setattr(args, name, value)
    if args.tls and args.starttls:
        raise FetchFailed(EXIT_USAGE, f"--tls and --starttls (from [{account.name}] of "
                                      f"{account.file}) exclude each other")


def _fill_defaults(args: argparse.Namespace) -> None:
    for name, value in (("timeout", DEFAULT_TIMEOUT), ("to", DEFAULT_DESTINATION),
                        ("format", "maildir")):
        if getattr(args, name, None) is None:
            setattr(args, name, value)


def _check_options(args: argparse.Namespace) -> None:
    if args.limit is not None and args.limit < 0:
        raise FetchFailed(EXIT_USAGE, "--limit must be 0 or more")
    if args.timeout <= 0:
        raise FetchFailed(EXIT_USAGE, "--timeout must be more than 0 seconds")
    if args.delete_older_than is not None and not 0 <= args.delete_older_than < 1e6:
        raise FetchFailed(EXIT_USAGE, "--delete-older-than takes 0 or more days")
    if args.mechanism is not None:
        args.mechanism = str(args.mechanism).upper()
        if args.mechanism not in MECHANISMS:
            raise FetchFailed(EXIT_USAGE, f"unknown mechanism {args.mechanism!r} (known: "
                                          f"{', '.join(MECHANISMS)})")
        if args.apop and args.mechanism != "APOP":
            raise FetchFailed(EXIT_USAGE, f"--apop and --mechanism {args.mechanism} "
                                          "exclude each other")


def demo_fetch(args: argparse.Namespace) -> int:
    """No HOST: serve the bundled sample maildrop on loopback and fetch it for real."""
    from nxpop3.testing import SASL_MECHANISMS, Pop3Server, sample_messages

    from .serve import CommandLog

    if args.user or args.password:
        raise FetchFailed(EXIT_USAGE, "--user and --password need a HOST")
    if args.tls or args.starttls:
        raise FetchFailed(EXIT_USAGE, "--tls and --starttls need a HOST (the sample maildrop "
                                      "is served without TLS)")
    host = "::1" if args.ipv6 else "127.0.0.1"
    # Every mechanism, so that the client takes the strongest (SCRAM-SHA-256) unless
    # --mechanism names another; the demo's OAuth token is its password.
    server = Pop3Server(
        sample_messages(), user=DEMO_USER, password=DEMO_PASSWORD, host=host,
        apop=args.apop or args.mechanism == "APOP", port=args.port or 0,
        sasl=SASL_MECHANISMS, tokens={DEMO_USER: DEMO_PASSWORD},
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
            f"{DEMO_USER}/{DEMO_PASSWORD} (SASL {' '.join(SASL_MECHANISMS)}"
            f"{', APOP' if server.apop else ''}), fetching it through the C client.",
            flush=True,
        )
        args.verbose = True
        args.user = DEMO_USER
        code = run_fetch(args, host, server.port, DEMO_USER, DEMO_PASSWORD, sys.stdout,
                         account=DEMO_ACCOUNT)
        if code == EXIT_OK:
            # Secrets hidden, the lines of the AUTH exchange included.
            print(f"Commands sent by the client: {', '.join(CommandLog(server).new_lines())}")
        return code
