"""The Python clients of the benchmark, one per process (run by run.py).

    python3 py_client.py KIND --host H --port P --user U --password W --count N [...]

KIND is ``nxpop3-retr`` (``Client.retr``, whole messages, one RETR at a
time), ``nxpop3-many`` (``Client.capa()`` then ``Client.retr_many``: one
pipelined batch when CAPA lists PIPELINING), ``nxpop3-stream``
(``Client.retrieve``, chunks in constant memory) or ``poplib``. Prints one JSON
line: bytes fetched, wall and CPU seconds of the transfer phase (connect to
QUIT; interpreter start-up and imports excluded), and for ``nxpop3-many``
whether the batch was pipelined. With ``--out`` the messages
go to a file, for the smoke check.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _nxpop3(args: argparse.Namespace, out, report: dict) -> int:  # noqa: ANN001 - a file or None
    import nxpop3

    pool = nxpop3.PacketPool(payload_size=args.payload, count=args.packets)
    total = 0
    with nxpop3.Client(args.host, args.port, args.user, args.password, timeout=30.0,
                       pool=pool) as client:
        count, _ = client.stat()
        if count < args.count:
            raise SystemExit(f"the server holds {count} messages, {args.count} asked for")
        if args.kind == "nxpop3-many":
            report["pipelined"] = int("PIPELINING" in client.capa())
            for data in client.retr_many(range(1, args.count + 1)):
                total += len(data)
                if out is not None:
                    out.write(data)
        elif args.kind == "nxpop3-retr":
            for n in range(1, args.count + 1):
                data = client.retr(n)
                total += len(data)
                if out is not None:
                    out.write(data)
        else:
            for n in range(1, args.count + 1):
                for chunk in client.retrieve(n, chunk_size=args.chunk):
                    total += len(chunk)
                    if out is not None:
                        out.write(chunk)
    if pool.available != pool.total:
        raise SystemExit(f"pool not full after the session: {pool!r}")
    return total


def _poplib(args: argparse.Namespace, out, report: dict) -> int:  # noqa: ANN001, ARG001
    import poplib

    total = 0
    session = poplib.POP3(args.host, args.port, timeout=30.0)
    session.user(args.user)
    session.pass_(args.password)
    count, _ = session.stat()
    if count < args.count:
        raise SystemExit(f"the server holds {count} messages, {args.count} asked for")
    for n in range(1, args.count + 1):
        _, lines, octets = session.retr(n)
        total += octets  # unstuffed bytes, CRLFs included
        if out is not None:
            out.write(b"".join(line + b"\r\n" for line in lines))
    session.quit()
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("nxpop3-retr", "nxpop3-many", "nxpop3-stream", "poplib"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--payload", type=int, default=16384, help="PacketPool payload_size")
    parser.add_argument("--packets", type=int, default=8, help="PacketPool count")
    parser.add_argument("--chunk", type=int, default=1 << 16, help="retrieve() chunk_size")
    parser.add_argument("--out", help="write the messages here")
    args = parser.parse_args(argv)

    if args.kind.startswith("nxpop3"):
        import nxpop3.client  # noqa: F401 - load the extension before the clock starts
    else:
        import poplib  # noqa: F401

    out = open(args.out, "wb") if args.out else None  # noqa: SIM115 - closed below
    extra: dict = {}
    try:
        wall0, cpu0 = time.perf_counter(), _cpu()
        run = _poplib if args.kind == "poplib" else _nxpop3
        total = run(args, out, extra)
        wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
    finally:
        if out is not None:
            out.close()
    report = {"bytes": total, "messages": args.count, "wall_s": wall, "cpu_s": cpu, **extra}
    if "nxpop3._binding" in sys.modules:
        report["binding"] = sys.modules["nxpop3._binding"].__file__
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
