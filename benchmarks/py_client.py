"""The Python clients of the benchmark, one per process (run by run.py).

    python3 py_client.py KIND --host H --port P --user U --password W --count N [...]

KIND is ``nxpop3-retr`` (``Client.retr``, whole messages, one RETR at a
time), ``nxpop3-many`` (``Client.capa()`` then ``Client.retr_many``: one
pipelined batch when CAPA lists PIPELINING), ``nxpop3-stream``
(``Client.retrieve``, chunks in constant memory), ``poplib``, ``nxpop3-poplib``
(``nxpop3.poplib``, the drop-in, used exactly as ``poplib`` is), or ``floor-py``
(the least a Python client can do: USER/PASS, RETR, ``recv_into`` one
buffer, look at the last five bytes for the terminator; no unstuffing, no
copy). With ``--tls --cafile CA`` every kind speaks POP3S (TLS from the first
byte) through Python's ``ssl`` module, certificate and host name verified
(``POP3_SSL`` for the two poplibs). Prints one JSON line: bytes fetched, wall
and CPU seconds of the transfer phase (connect to QUIT; interpreter start-up,
imports and the making of the TLS context excluded), and for ``nxpop3-many``
whether the batch was pipelined. With ``--out`` the messages go to a file, for
the byte check (``floor-py``: still dot-stuffed, as the C floor writes them).
"""
from __future__ import annotations

import argparse
import json
import resource
import socket
import ssl
import sys
import time

STATUS_MAX = 1024  # the longest status line floor-py takes


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _context(args: argparse.Namespace) -> ssl.SSLContext | None:
    """The TLS context for --tls: it trusts --cafile only and verifies the
    certificate and the host name (ssl.create_default_context)."""
    return ssl.create_default_context(cafile=args.cafile) if args.tls else None


def _nxpop3(args: argparse.Namespace, out, report: dict) -> int:  # noqa: ANN001 - a file or None
    import nxpop3

    pool = nxpop3.PacketPool(payload_size=args.payload, count=args.packets)
    total = 0
    tls = {"tls": True, "context": args.context} if args.tls else {}
    with nxpop3.Client(args.host, args.port, args.user, args.password, timeout=30.0,
                       pool=pool, **tls) as client:
        if args.tls and not client.tls:
            raise SystemExit("the session is not encrypted")
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
    """Python's poplib, or (``nxpop3-poplib``) the drop-in: the same calls."""
    if args.kind == "nxpop3-poplib":
        from nxpop3 import poplib
    else:
        import poplib

    total = 0
    if args.tls:
        session = poplib.POP3_SSL(args.host, args.port, timeout=30.0, context=args.context)
    else:
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


def _floor_status(sock: socket.socket) -> None:
    """Reads a one-line reply (the server sends nothing else until asked)."""
    line = b""
    while not line.endswith(b"\r\n"):
        got = sock.recv(STATUS_MAX)
        if not got or len(line) > STATUS_MAX:
            raise SystemExit("floor-py: the connection closed, or a status line ran on")
        line += got
    if not line.startswith(b"+"):
        raise SystemExit(f"floor-py: {line[:80]!r}")


def _floor_retr(sock: socket.socket, buffer: bytearray, out) -> int:  # noqa: ANN001
    """The body of one RETR reply, read into ``buffer`` until it ends in the
    terminator; returns its length (stuffed, terminator excluded)."""
    view = memoryview(buffer)
    status = b""  # the status line, until its CRLF has come
    tail = b""  # the last five bytes seen, from the status line's CRLF on
    total = 0
    while tail != b"\r\n.\r\n":
        got = sock.recv_into(buffer)
        if got <= 0:
            raise SystemExit("floor-py: the connection closed in a reply")
        chunk = view[:got]
        if not tail:  # still in the status line, which is not counted
            before = len(status)
            status += bytes(chunk[:STATUS_MAX])
            end = status.find(b"\r\n")
            if end < 0:
                if len(status) >= STATUS_MAX:
                    raise SystemExit("floor-py: a status line ran on")
                continue
            if not status.startswith(b"+"):
                raise SystemExit(f"floor-py: {status[:80]!r}")
            chunk = chunk[end + 2 - before:]
            tail = b"\r\n"
        total += len(chunk)
        tail = (tail + bytes(chunk[-5:]))[-5:]
        if out is not None:
            out.write(chunk)
    if out is not None:
        out.seek(-3, 1)  # the terminator's ".\r\n" is not message data
        out.truncate()
    return total - 3


def _floor_py(args: argparse.Namespace, out, report: dict) -> int:  # noqa: ANN001, ARG001
    """What benchmarks/c/floor_reader.c does, from Python, over TCP or TLS."""
    sock = socket.create_connection((args.host, args.port), timeout=30.0)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if args.tls:
        sock = args.context.wrap_socket(sock, server_hostname=args.host)
    buffer = bytearray(args.recv)
    total = 0
    with sock:
        _floor_status(sock)
        for command in (f"USER {args.user}", f"PASS {args.password}"):
            sock.sendall(command.encode() + b"\r\n")
            _floor_status(sock)
        for n in range(1, args.count + 1):
            sock.sendall(b"RETR %d\r\n" % n)
            total += _floor_retr(sock, buffer, out)
        sock.sendall(b"QUIT\r\n")
        _floor_status(sock)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("nxpop3-retr", "nxpop3-many", "nxpop3-stream", "poplib",
                                         "nxpop3-poplib", "floor-py"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--payload", type=int, default=16384, help="PacketPool payload_size")
    parser.add_argument("--packets", type=int, default=8, help="PacketPool count")
    parser.add_argument("--chunk", type=int, default=1 << 16, help="retrieve() chunk_size")
    parser.add_argument("--recv", type=int, default=1 << 18, help="floor-py's recv_into size")
    parser.add_argument("--tls", action="store_true", help="POP3S: TLS from the first byte")
    parser.add_argument("--cafile", help="with --tls: the CA to trust (PEM)")
    parser.add_argument("--out", help="write the messages here")
    args = parser.parse_args(argv)
    if args.tls and not args.cafile:
        parser.error("--tls needs --cafile")

    if args.kind == "nxpop3-poplib":
        import nxpop3.poplib  # noqa: F401 - the extension too, before the clock starts
    elif args.kind.startswith("nxpop3"):
        import nxpop3.client  # noqa: F401 - load the extension before the clock starts
    elif args.kind == "poplib":
        import poplib  # noqa: F401
    # Made before the clock too: an application that fetches often keeps one.
    args.context = _context(args)

    out = open(args.out, "wb") if args.out else None  # noqa: SIM115 - closed below
    extra: dict = {}
    try:
        wall0, cpu0 = time.perf_counter(), _cpu()
        run = {"poplib": _poplib, "nxpop3-poplib": _poplib,
               "floor-py": _floor_py}.get(args.kind, _nxpop3)
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
