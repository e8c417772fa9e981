"""The ``nxpop3`` command: fetch a maildrop through the C client, or serve one for tests.

``nxpop3 fetch`` with no HOST starts the bundled sample maildrop on an embedded test
server and fetches it through the C client: a demonstration that needs no mail account.
Exit codes are listed in ``EXIT_CODES`` and in ``docs/cli.md``.
"""
from __future__ import annotations

import argparse
import email.parser
import email.policy
import getpass
import ipaddress
import mailbox
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from nxpop3 import __version__

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_SERVER = 4
EXIT_NETWORK = 5
EXIT_PROTOCOL = 6
EXIT_STORAGE = 7
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_FAILURE: "unexpected failure (or the C extension is missing)",
    EXIT_USAGE: "bad command line or argument (argparse, a password too long, no password)",
    EXIT_AUTH: "login refused: -ERR to USER, PASS or APOP",
    EXIT_SERVER: "the server answered -ERR to another command (STAT, RETR, DELE, QUIT...)",
    EXIT_NETWORK: "network: cannot resolve or connect, timeout, connection closed or reset",
    EXIT_PROTOCOL: "the server broke the POP3 protocol (malformed reply)",
    EXIT_STORAGE: "cannot write the Maildir or mbox",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C)",
}

PASSWORD_ENV = "NXPOP3_PASSWORD"
DEFAULT_DESTINATION = "nxpop3-mail"
DEMO_USER = "alice"
DEMO_PASSWORD = "secret"  # the embedded demo server's, printed on purpose


# -- output helpers -------------------------------------------------------------------------

def human_size(octets: float) -> str:
    """``1234567`` -> ``"1.2 MB"`` (powers of 1000, one decimal from kB up)."""
    if octets < 1000:
        return f"{int(octets)} B"
    for unit in ("kB", "MB", "GB", "TB"):
        octets /= 1000.0
        if octets < 1000 or unit == "TB":
            break
    return f"{octets:.1f} {unit}"


class Progress:
    """A one-line progress bar (messages and bytes) redrawn at most ten times a second."""

    WIDTH = 24

    def __init__(self, stream: TextIO, messages: int, octets: int, enabled: bool) -> None:
        self.stream = stream
        self.messages = messages
        self.octets = max(octets, 1)
        self.enabled = enabled and messages > 0
        self.started = time.monotonic()
        self._drawn = 0.0
        self._width = 0

    def update(self, done_messages: int, done_octets: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        fraction = min(1.0, done_octets / self.octets)
        filled = int(fraction * self.WIDTH)
        rate = done_octets / max(now - self.started, 1e-6)
        text = (
            f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done_messages}/{self.messages} messages  "
            f"{human_size(done_octets)}/{human_size(self.octets)}  {human_size(rate)}/s"
        )
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + pad)
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()


def describe_message(data: bytes) -> str:
    """``From`` and ``Subject`` of a message, RFC 2047 words decoded, for listings."""
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(data)
        sender = str(headers.get("From", "")).strip() or "(no sender)"
        subject = str(headers.get("Subject", "")).strip() or "(no subject)"
    except Exception:  # noqa: BLE001 - a listing never fails a download
        return "(unreadable header)"
    return f"{sender[:40]:40}  {subject[:60]}"


# -- storage ----------------------------------------------------------------------------------

class Store:
    """A Maildir or an mbox; ``add`` returns only once the message is on disk (fsync)."""

    def __init__(self, path: Path, kind: str, lf: bool) -> None:
        self.path = path
        self.kind = kind
        self.lf = lf or kind == "mbox"  # mbox is a Unix format: LF line ends
        self.count = 0
        self.octets = 0
        self._box: mailbox.Mailbox
        if kind == "maildir":
            self._box = mailbox.Maildir(str(path), factory=None, create=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._box = mailbox.mbox(str(path), factory=None, create=True)
            self._box.lock()

    def add(self, data: bytes) -> None:
        if self.lf:
            data = data.replace(b"\r\n", b"\n")
        key = self._box.add(data)  # Maildir: written in tmp/, then moved into new/
        if isinstance(self._box, mailbox.Maildir):
            _fsync_file(self.path / "new" / key)
            _fsync_dir(self.path / "new")
        else:
            self._box.flush()  # writes and fsyncs the mbox file
        self.count += 1
        self.octets += len(data)

    def close(self) -> None:
        if isinstance(self._box, mailbox.mbox):
            self._box.unlock()
        self._box.close()

    def describe(self) -> str:
        return f"{self.path} ({'Maildir' if self.kind == 'maildir' else 'mbox'})"


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # not every platform opens directories
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- errors ------------------------------------------------------------------------------------

def exit_code_for(error: BaseException) -> int:
    """The exit code for an exception raised by the client or the store."""
    from nxpop3 import errors

    if isinstance(error, errors.AuthenticationError):
        return EXIT_AUTH
    if isinstance(error, errors.ServerError):
        return EXIT_SERVER
    if isinstance(error, errors.ProtocolError):
        return EXIT_PROTOCOL
    if isinstance(error, errors.BadArgument):
        return EXIT_USAGE
    if isinstance(error, errors.Pop3Error):
        return EXIT_NETWORK
    return EXIT_FAILURE


def describe_error(error: BaseException) -> str:
    """``NX_POP3_SERVER_ERROR_STATUS (0xB4): PASS refused: -ERR [AUTH] ...`` and the like."""
    from nxpop3 import errors

    if not isinstance(error, errors.Pop3Error):
        return str(error)
    head = f"{error.name} (0x{error.status:02X})"
    if isinstance(error, errors.ServerError) and error.command:
        reply = f"-ERR {error.reply}" if error.reply else "-ERR"
        return f"{head}: {error.command} refused: {reply}"
    if isinstance(error, errors.ConnectionClosed):
        return f"{head}: connection refused or closed by the server"
    if isinstance(error, errors.Pop3Timeout):
        return f"{head}: no reply within the timeout"
    if isinstance(error, errors.ProtocolError):
        return f"{head}: malformed reply" + (f" {error.reply!r}" if error.reply else "")
    return str(error)


class FetchFailed(Exception):
    """A fetch stopped early: carries the exit code and what to tell the user."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


# -- fetch -----------------------------------------------------------------------------------------

def _strip_brackets(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def resolve(host: str, port: int, family: int) -> list[str]:
    """The addresses to try for ``host``, as literals; an IP literal is returned as is."""
    name = _strip_brackets(host)
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        if family == socket.AF_INET6 and ip.version != 6:
            raise FetchFailed(EXIT_USAGE, f"-6 given but {host} is an IPv4 address")
        if family == socket.AF_INET and ip.version != 4:
            raise FetchFailed(EXIT_USAGE, f"-4 given but {host} is an IPv6 address")
        return [name]
    try:
        infos = socket.getaddrinfo(name, port, family, socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchFailed(EXIT_NETWORK, f"cannot resolve {host}: {exc.strerror}") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%")[0]
        if address not in addresses:
            addresses.append(address)
    return addresses[:4]  # bounded: a name with many addresses is tried four times at most


def read_password(args: argparse.Namespace, host: str) -> str:
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


def connect(args: argparse.Namespace, host: str, port: int, user: str, password: str) -> Any:
    """A logged-in ``nxpop3.Client``, trying each address of ``host`` in turn."""
    import nxpop3
    from nxpop3 import errors

    family = socket.AF_INET6 if args.ipv6 else socket.AF_INET if args.ipv4 else 0
    last: BaseException | None = None
    for address in resolve(host, port, family):
        try:
            return nxpop3.Client(
                address, port, user, password, apop=args.apop, timeout=args.timeout
            )
        except (errors.ServerError, errors.ProtocolError, errors.BadArgument):
            raise  # the server answered, or the arguments are wrong: no other address helps
        except errors.Pop3Error as exc:
            last = exc
    assert last is not None
    raise last


def run_fetch(
    args: argparse.Namespace, host: str, port: int, user: str, password: str, out: TextIO
) -> int:
    from nxpop3 import errors

    started = time.monotonic()
    show_progress = args.progress if args.progress is not None else sys.stderr.isatty()
    store: Store | None = None
    progress: Progress | None = None
    deleted = 0
    stage = f"while connecting to {_hostport(host, port)}"
    try:
        client = connect(args, host, port, user, password)
        with client:
            stage = f"while opening {args.to}"
            store = Store(Path(args.to), args.format, args.lf)
            stage = "at STAT"
            count, octets = client.stat()
            wanted = count if args.limit is None else min(count, args.limit)
            if wanted < count:
                stage = "at LIST"
                octets = sum(client.size(n) for n in range(1, wanted + 1))
            progress = Progress(sys.stderr, wanted, octets, show_progress)
            for number in range(1, wanted + 1):
                stage = f"at RETR {number} (message {number} of {wanted})"
                if progress.enabled:
                    chunks = []
                    for chunk in client.retrieve(number):
                        chunks.append(chunk)
                        progress.update(number - 1, store.octets + sum(map(len, chunks)))
                    data = b"".join(chunks)
                else:
                    data = client.retr(number)
                stage = f"while storing message {number} in {store.describe()}"
                store.add(data)
                progress.update(number, store.octets, force=number == wanted)
                if args.verbose:
                    out.write(f"{number:5}  {human_size(len(data)):>8}  {describe_message(data)}\n")
                if args.delete:
                    stage = f"at DELE {number}"
                    client.delete(number)
                    deleted += 1
            stage = "at QUIT"
            client.quit()
    except (errors.Pop3Error, OSError) as exc:
        if progress is not None:
            progress.finish()
        if isinstance(exc, errors.Pop3Error):
            code = exit_code_for(exc)
            text = describe_error(exc)
            said = isinstance(exc, errors.ServerError) and exc.command
            if not said or (exc.command not in _LOGIN_COMMANDS and stage != f"at {exc.command}"):
                text += f" {stage}"
        else:
            code, text = EXIT_STORAGE, f"{exc} {stage}"
        if store is not None:
            if stage != "at QUIT" or not deleted:
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


_LOGIN_COMMANDS = ("USER", "PASS", "APOP")


def _kept(store: Store) -> str:
    return f"{store.count} complete messages were stored in {store.describe()}"


def cmd_fetch(args: argparse.Namespace) -> int:
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
    port = args.port if args.port is not None else 110
    return run_fetch(args, args.host, port, user, password, sys.stdout)


def demo_fetch(args: argparse.Namespace) -> int:
    """No HOST: serve the bundled sample maildrop on loopback and fetch it for real."""
    from nxpop3.testing import Pop3Server, sample_messages

    if args.user or args.password:
        raise FetchFailed(EXIT_USAGE, "--user and --password need a HOST")
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
            f"{human_size(box.octets)}) on {_hostport(host, server.port)} as "
            f"{DEMO_USER}/{DEMO_PASSWORD}{' with APOP' if args.apop else ''}, "
            "fetching it through the C client.",
            flush=True,
        )
        args.verbose = True
        args.user = DEMO_USER
        code = run_fetch(args, host, server.port, DEMO_USER, DEMO_PASSWORD, sys.stdout)
        if code == EXIT_OK:
            print(f"Commands sent by the client: {', '.join(_redact(server.commands))}")
        return code


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _redact(commands: Sequence[str]) -> list[str]:
    out = []
    for line in commands:
        keyword = line.split(" ", 1)[0].upper()
        out.append("PASS ****" if keyword == "PASS" else line)
    return out


# -- serve ---------------------------------------------------------------------------------------

def cmd_serve(args: argparse.Namespace) -> int:
    from nxpop3.testing import Pop3Server, load_messages, sample_messages

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
    password = args.password
    if password is None:
        password = os.environ.get(PASSWORD_ENV, "secret")
    server = Pop3Server(
        messages, user=args.user, password=password, host=args.host, port=args.port,
        apop=args.apop, timeout=args.timeout,
    )
    try:
        server.start()
    except OSError as exc:
        print(f"nxpop3: cannot listen on {_hostport(args.host, args.port)}: {exc}",
              file=sys.stderr)
        return EXIT_NETWORK
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    box = server.mailbox()
    shown = 0
    try:
        print(
            f"Serving {len(box)} messages ({box.octets} octets) from {source} for "
            f"{args.user} on {_hostport(args.host, server.port)}"
            f"{' with APOP' if args.apop else ''}. Ctrl-C stops.",
            flush=True,
        )
        deadline = None if args.duration is None else time.monotonic() + args.duration
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.1)
            if args.verbose:
                shown = _show_commands(server, shown)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
    if args.verbose:
        _show_commands(server, shown)
    print(
        f"Stopped after {len(server.sessions)} connections; {len(box)} messages left.",
        flush=True,
    )
    return EXIT_OK


def _show_commands(server: Any, shown: int) -> int:
    commands = server.commands
    for line in _redact(commands[shown:]):
        print(f"C: {line}", flush=True)
    return len(commands)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


# -- the parser ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:3}  {text}" for code, text in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="nxpop3",
        description="The NetX Duo POP3 client in C, from the command line.",
        epilog="Run 'nxpop3 fetch' with no HOST for a demonstration on a local test server.",
    )
    parser.add_argument("--version", action="version", version=f"nxpop3 {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    fetch = commands.add_parser(
        "fetch",
        help="download a maildrop into a Maildir or an mbox",
        description=(
            "Download every message of a POP3 maildrop through the C client into a Maildir\n"
            "(default) or an mbox. Each message is on disk (fsync) before the next command;\n"
            "with --delete, messages are marked DELE only once stored, and the server\n"
            "removes them at QUIT. With no HOST, the bundled sample maildrop is served on\n"
            "loopback and fetched, as a demonstration."
        ),
        epilog=f"The password comes from --password, else ${PASSWORD_ENV}, else a prompt "
        f"(not echoed).\n\nexit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fetch.add_argument("host", nargs="?", metavar="HOST",
                       help="server name or IP literal (IPv6 as ::1 or [::1]); "
                       "none: demonstration on the bundled sample maildrop")
    fetch.add_argument("-p", "--port", type=int, help="TCP port (default 110)")
    fetch.add_argument("-u", "--user", help="user name (default: your login name)")
    fetch.add_argument("--password", help=f"password; visible to other users: prefer "
                       f"${PASSWORD_ENV} or the prompt")
    fetch.add_argument("--apop", action="store_true",
                       help="log in with APOP (MD5 digest) instead of USER/PASS")
    fetch.add_argument("--delete", action="store_true",
                       help="delete each message on the server once it is safely stored")
    fetch.add_argument("--limit", type=int, metavar="N", help="fetch at most the first N messages")
    family = fetch.add_mutually_exclusive_group()
    family.add_argument("-4", dest="ipv4", action="store_true", help="use IPv4 only")
    family.add_argument("-6", dest="ipv6", action="store_true", help="use IPv6 only")
    fetch.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                       help="connect and reply timeout (default 10)")
    fetch.add_argument("--to", default=DEFAULT_DESTINATION, metavar="PATH",
                       help=f"destination (default ./{DEFAULT_DESTINATION})")
    fetch.add_argument("--format", choices=("maildir", "mbox"), default="maildir",
                       help="destination format (default maildir)")
    fetch.add_argument("--lf", action="store_true",
                       help="store LF line ends instead of the CRLF the server sent "
                       "(always so for mbox)")
    show = fetch.add_mutually_exclusive_group()
    show.add_argument("--progress", dest="progress", action="store_true", default=None,
                      help="show a progress bar on stderr (default: when stderr is a terminal)")
    show.add_argument("--no-progress", dest="progress", action="store_false",
                      help="never show the progress bar")
    fetch.add_argument("-v", "--verbose", action="store_true",
                       help="list each message (sender and subject) as it is stored")
    fetch.set_defaults(handler=cmd_fetch)

    serve = commands.add_parser(
        "serve",
        help="serve a Maildir or a folder of .eml files with the test POP3 server",
        description=(
            "Serve a Maildir or a folder of .eml files (default: the bundled sample maildrop) "
            "with nxpop3's scriptable test server, until Ctrl-C. Messages are read once, "
            "with CRLF line ends; deletions change the served copy only, never the files."
        ),
    )
    serve.add_argument("path", nargs="?", metavar="PATH",
                       help="Maildir or folder of .eml files (default: the bundled sample)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; ::1 for IPv6)")
    serve.add_argument("-p", "--port", type=int, default=1100,
                       help="port (default 1100; 0 picks a free one)")
    serve.add_argument("-u", "--user", default="alice", help="user name (default alice)")
    serve.add_argument("--password", help=f"password (default ${PASSWORD_ENV}, else 'secret')")
    serve.add_argument("--apop", action="store_true",
                       help="offer APOP: put a timestamp in the greeting")
    serve.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                       help="drop a connection idle this long (default 60)")
    serve.add_argument("--duration", type=float, metavar="SECONDS",
                       help="stop by itself after this long")
    serve.add_argument("-v", "--verbose", action="store_true",
                       help="print each command received (passwords hidden)")
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nxpop3`` console script and of ``python -m nxpop3``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args))
    except FetchFailed as failure:
        print(f"nxpop3: {failure}", file=sys.stderr)
        return failure.code
    except KeyboardInterrupt:
        print("\nnxpop3: interrupted; nothing was deleted on the server", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
