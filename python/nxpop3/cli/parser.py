"""The ``nxpop3`` command line: its arguments, and ``main``, which runs one command."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from nxpop3 import __version__

from .accounts import default_config_path
from .credentials import MECHANISMS, NETRC_ENV
from .exit_codes import EXIT_CODES, EXIT_INTERRUPTED, EXIT_USAGE, FetchFailed
from .fetch import DEFAULT_DESTINATION, PASSWORD_ENV, cmd_fetch
from .serve import cmd_serve, sasl_mechanisms


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``nxpop3``, its ``fetch`` and ``serve`` commands and their options."""
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
            "Download the messages of a POP3 maildrop not stored before (by UIDL) through\n"
            "the C client into a Maildir (default) or an mbox; --all fetches every one.\n"
            "Each message is on disk (fsync) before it is recorded as stored, in a state\n"
            "file beside the destination; with --delete, messages are marked DELE only\n"
            "once stored, and the server removes them at QUIT. With no HOST, the bundled\n"
            "sample maildrop is served on loopback and fetched, as a demonstration."
        ),
        epilog=(
            f"The user name comes from --user, else the accounts file, else ~/.netrc\n"
            f"(or ${NETRC_ENV}), else your login name. The password comes from --password,\n"
            f"else ${PASSWORD_ENV}, else the accounts file, else ~/.netrc, else a prompt\n"
            f"(not echoed). A netrc or accounts file with passwords must be private\n"
            f"(chmod 600).\n\nexit codes:\n{codes}"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fetch.add_argument("host", nargs="?", metavar="HOST",
                       help="server name or IP literal (IPv6 as ::1 or [::1]); "
                       "none: demonstration on the bundled sample maildrop")
    fetch.add_argument("-p", "--port", type=int, help="TCP port (default 110, 995 with --tls)")
    secure = fetch.add_mutually_exclusive_group()
    secure.add_argument("--tls", action="store_true",
                        help="POP3S: TLS from the first byte (RFC 8314)")
    secure.add_argument("--starttls", action="store_true",
                        help="STLS before login (RFC 2595); fails if the server does not offer it")
    fetch.add_argument("--cafile", metavar="PEM", help="trust these CA certificates for TLS")
    fetch.add_argument("--capath", metavar="DIR", help="trust the CA certificates in DIR for TLS")
    fetch.add_argument("--insecure", action="store_true",
                       help="TLS without verifying the certificate or the host name "
                            "(warned on every run)")
    fetch.add_argument("-u", "--user", help="user name (default: your login name)")
    fetch.add_argument("--password", help=f"password; visible to other users: prefer "
                       f"${PASSWORD_ENV} or the prompt")
    fetch.add_argument("--apop", action="store_true",
                       help="log in with APOP (MD5 digest) instead of USER/PASS")
    fetch.add_argument("--mechanism", metavar="NAME", type=str.upper,
                       help=f"log in with this mechanism only: {', '.join(MECHANISMS)} "
                            "(default: the strongest the server offers)")
    fetch.add_argument("--allow-plaintext", action="store_true",
                       help="allow sending the password in clear over a connection without "
                            "TLS to a host that is not loopback")
    fetch.add_argument("--account", metavar="NAME",
                       help="take the server, user and options from [NAME] of the accounts "
                            "file (options given here win)")
    fetch.add_argument("--config", metavar="PATH",
                       help=f"the accounts file (default {_home(default_config_path())})")
    fetch.add_argument("--all", action="store_true",
                       help="fetch every message, also those stored before")
    keep = fetch.add_mutually_exclusive_group()
    keep.add_argument("--keep", action="store_true",
                      help="leave every message on the server (the default)")
    keep.add_argument("--delete", action="store_true",
                      help="delete from the server the messages stored, by this run or "
                           "before, once they are safely on disk")
    keep.add_argument("--delete-older-than", type=float, metavar="DAYS",
                      help="delete from the server only the messages stored here at least "
                           "DAYS days ago")
    fetch.add_argument("--limit", type=int, metavar="N",
                       help="fetch at most N messages (the first N not stored before)")
    family = fetch.add_mutually_exclusive_group()
    family.add_argument("-4", dest="ipv4", action="store_true", help="use IPv4 only")
    family.add_argument("-6", dest="ipv6", action="store_true", help="use IPv6 only")
    fetch.add_argument("--timeout", type=float, metavar="SECONDS",
                       help="connect and reply timeout (default 10)")
    fetch.add_argument("--to", metavar="PATH",
                       help=f"destination (default ./{DEFAULT_DESTINATION})")
    fetch.add_argument("--format", choices=("maildir", "mbox"),
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
    serve.add_argument("--sasl", type=sasl_mechanisms, metavar="MECH[,MECH...]",
                       help="offer AUTH (RFC 5034) with these mechanisms, in this order, or "
                            "'all': SCRAM-SHA-256, CRAM-MD5, PLAIN, LOGIN, XOAUTH2, "
                            "OAUTHBEARER (USER/PASS stays offered)")
    serve.add_argument("--token", action="append", metavar="USER=TOKEN",
                       help="the bearer token of USER (the -u user) for XOAUTH2 and "
                            "OAUTHBEARER; a command line is visible to other local users: "
                            "prefer --token-file")
    serve.add_argument("--token-file", metavar="PATH",
                       help="read USER=TOKEN lines (blank and # lines skipped) from PATH, "
                            "which must be private (chmod 600)")
    tls = serve.add_mutually_exclusive_group()
    tls.add_argument("--tls", action="store_true",
                     help="POP3S: TLS from the first byte (RFC 8314)")
    tls.add_argument("--starttls", action="store_true",
                     help="offer STLS (RFC 2595): TLS after the STLS command")
    serve.add_argument("--cert", metavar="PEM",
                       help="certificate chain for --tls or --starttls (default: a throwaway "
                            "CA made at start with trustme; its certificate's file is printed, "
                            "for 'nxpop3 fetch --cafile')")
    serve.add_argument("--key", metavar="PEM",
                       help="private key of --cert (default: in the --cert file)")
    serve.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                       help="drop a connection idle this long (default 60)")
    serve.add_argument("--duration", type=float, metavar="SECONDS",
                       help="stop by itself after this long")
    serve.add_argument("-v", "--verbose", action="store_true",
                       help="print each command received (passwords, digests and SASL "
                            "responses hidden)")
    serve.set_defaults(handler=cmd_serve)
    return parser


def _home(path: Path) -> str:
    """``path`` with the home folder written ``~``, for help texts."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


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
