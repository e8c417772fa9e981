"""``python -m nxpop3.testing.dovecot``: run a Dovecot by hand until Ctrl-C."""
from __future__ import annotations

import argparse
import signal

from nxpop3.testing.dovecot.server import DovecotServer


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m nxpop3.testing.dovecot",
        description="Run a Dovecot POP3 server for tests by hand, until Ctrl-C.")
    parser.add_argument("--user", default="alice")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--messages", type=int, default=3, help="sample messages to add")
    parser.add_argument("--root", help="instance folder (kept); a temporary one if omitted")
    args = parser.parse_args()

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(0)  # leaves the with block below, which stops Dovecot

    signal.signal(signal.SIGTERM, terminate)
    server = DovecotServer(args.root, keep=args.root is not None)
    server.add_user(args.user, args.password)
    with server:
        for n in range(1, args.messages + 1):
            server.add_message(args.user, f"Subject: sample {n}\n\nbody {n}\n".encode())
        for host in server.hosts:
            print(f"POP3 on {host} port {server.port}: user {args.user!r} "
                  f"password {args.password!r}")
        print(f"folder {server.root}, log {server.log_path}; Ctrl-C stops", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
