"""``nxpop3 serve``: serve a Maildir or a folder of .eml files with the test POP3 server."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .exit_codes import EXIT_NETWORK, EXIT_OK, EXIT_USAGE
from .fetch import PASSWORD_ENV
from .report import hostport, redact

DEFAULT_PASSWORD = "secret"


def cmd_serve(args: argparse.Namespace) -> int:
    """``nxpop3 serve``: until Ctrl-C, SIGTERM or ``--duration``."""
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
        password = os.environ.get(PASSWORD_ENV, DEFAULT_PASSWORD)
    server = Pop3Server(
        messages, user=args.user, password=password, host=args.host, port=args.port,
        apop=args.apop, timeout=args.timeout,
    )
    try:
        server.start()
    except OSError as exc:
        print(f"nxpop3: cannot listen on {hostport(args.host, args.port)}: {exc}",
              file=sys.stderr)
        return EXIT_NETWORK
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    box = server.mailbox()
    shown = 0
    try:
        print(
            f"Serving {len(box)} messages ({box.octets} octets) from {source} for "
            f"{args.user} on {hostport(args.host, server.port)}"
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
    for line in redact(commands[shown:]):
        print(f"C: {line}", flush=True)
    return len(commands)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
