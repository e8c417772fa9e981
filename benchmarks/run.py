#!/usr/bin/env python3
"""nxpop3 against its peers, over loopback, in one run.

    python3 benchmarks/run.py [--quick] [--workload a,b,c] [--server dovecot,replay]
    python3 benchmarks/run.py --smoke          # each client once, bytes checked
    python3 benchmarks/run.py --sweep          # PacketPool sizes of the nxpop3 clients
    python3 benchmarks/run.py --tls            # 50 MiB over POP3S and over plain TCP

Workloads: (a) one 50 MiB message, (b) 2000 messages of 4 KiB, (c) 200 of
100 KiB. Servers: Dovecot (nxpop3.testing.dovecot) and replay_server, a C
program that sends pre-rendered answers as fast as the socket takes them; both
offer PIPELINING; dovecot-tls is the same Dovecot's POP3S port (TLS from the
first byte, a certificate from a test CA every client verifies). Clients, each
its own process: nxpop3.Client (retr_many
after capa(), pipelined; the one-at-a-time retr loop; streaming retrieve), the
nxpop3 C API from C (one at a time, and pipelined), poplib, curl (one process
for all messages, URL glob), the floor (C: send RETR, read, watch for the
terminator) and the pipelined floor (C: send every RETR, then read); the Python
floor (the same over Python's socket or ssl module) only when named.

Wall time is the client's transfer phase (connect to QUIT) as it measures
itself (curl: the sum of its time_total); CPU time and peak RSS are the
client process's, from wait4(). Each figure is the median of the runs.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "python"))  # nxpop3.testing is pure Python

import workloads  # noqa: E402
from workloads import SMOKE, WORKLOADS, Workload  # noqa: E402

BUILD = HERE / "build"
MIB = 1 << 20
USER_PASSWORD = "bench-pw"
CLIENT_TIMEOUT = 120.0  # seconds one client process may take
SERVER_TIMEOUT = 20.0

CLIENTS = ("nxpop3-many", "nxpop3-retr", "nxpop3-stream", "nxpop3-poplib", "nxpop3-c",
           "nxpop3-c-pipe", "poplib", "curl", "floor", "floor-pipe")
# Run only when named in --clients: the C calls nxpop3.Client.retr (and retr_many)
# make, from C, to tell the binding's C path from the cost of Python; and the
# Python floor, which also runs over TLS.
EXTRA_CLIENTS = ("nxpop3-c-read", "nxpop3-c-pipe-read", "floor-py")
SERVERS = ("dovecot", "dovecot-tls", "replay")
# The clients that speak POP3S (TLS through Python's ssl module, or curl's
# OpenSSL); the others are left out of the dovecot-tls rows.
TLS_CLIENTS = ("nxpop3-many", "nxpop3-retr", "nxpop3-stream", "nxpop3-poplib", "poplib", "curl",
               "floor-py")
# --tls: one 50 MiB message over POP3S, and over plain TCP for reference.
TLS_PRESET = {"workload": "a", "server": "dovecot,dovecot-tls",
              "clients": "nxpop3-retr,nxpop3-stream,nxpop3-poplib,poplib,curl,floor-py,floor"}
# Clients that send their RETRs in one pipelined batch; each reports whether the
# server let it ("pipelined": 1), and a row that was not pipelined is an error.
PIPELINED = ("nxpop3-many", "nxpop3-c-pipe", "nxpop3-c-pipe-read", "floor-pipe")
RETR_CHUNK = 1 << 20  # nxpop3.client._RETR_CHUNK
CLIENT_NOTES = {
    "nxpop3-many": "nxpop3.Client.capa(), then retr_many(1..N): one pipelined batch",
    "nxpop3-retr": "nxpop3.Client.retr(n): whole message as bytes, one RETR at a time",
    "nxpop3-stream": "nxpop3.Client.retrieve(n): 64 KiB chunks, constant memory",
    "nxpop3-c": "C: nx_pop3_client_mail_item_get + message_get loop, packets released",
    "nxpop3-poplib": "nxpop3.poplib (the drop-in over the C client) used as poplib: POP3.retr(n)",
    "poplib": "Python's poplib.POP3.retr(n)",
    "curl": "curl pop3://.../[1-N] (pop3s:// --cacert CA over TLS), one process, one connection",
    "floor-py": "Python: RETR, socket/ssl recv_into 256 KiB, check the last 5 bytes",
    "nxpop3-c-pipe": "C: CAPA, pipeline_start(1..N), per message pipeline_next + message_get loop",
    "floor": "C: RETR, recv into 256 KiB, check the last 5 bytes",
    "floor-pipe": "C: every RETR sent at once, recv into 256 KiB, memchr for the terminators",
    "nxpop3-c-read": "C: mail_item_get64 + message_read into 1 MiB (Client.retr's calls)",
    "nxpop3-c-pipe-read": "C: CAPA, pipeline_next + message_read into 1 MiB (retr_many's calls)",
}


# ----------------------------------------------------------------------------- processes
@dataclass
class ProcResult:
    returncode: int
    stdout: str
    stderr: str
    wall: float  # seconds, from spawn to reaped
    cpu: float  # user + sys seconds, from wait4
    maxrss_kib: int
    timed_out: bool = False


def run_process(argv: Sequence[str], timeout: float = CLIENT_TIMEOUT,
                env: dict[str, str] | None = None) -> ProcResult:
    """Runs argv under build/measure, which reaps it with wait4 and reports its
    rusage, and kills it after ``timeout`` seconds."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as report:
        launcher = [str(BUILD / "measure"), str(max(1, int(timeout))), report.name]
        try:
            subprocess.run(launcher + list(argv), stdin=subprocess.DEVNULL, stdout=out,
                           stderr=err, env=env, timeout=timeout + 30, check=False)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{argv[0]} outlived its launcher's timeout") from None
        fields = report.read().split()
        if len(fields) != 5:
            raise RuntimeError(f"no rusage report for {argv[0]}")
        out.seek(0)
        err.seek(0)
        return ProcResult(int(fields[0]), out.read().decode(errors="replace"),
                          err.read().decode(errors="replace"), float(fields[1]),
                          float(fields[2]), int(fields[3]), fields[4] == "1")


def build_c(verbose: bool) -> None:
    """Configures and builds benchmarks/c into benchmarks/build (Release)."""
    quiet = {} if verbose else {"stdout": subprocess.DEVNULL}
    if not (BUILD / "CMakeCache.txt").exists():
        subprocess.run(["cmake", "-S", str(HERE / "c"), "-B", str(BUILD),
                        "-DCMAKE_BUILD_TYPE=Release"], check=True, timeout=300, **quiet)
    subprocess.run(["cmake", "--build", str(BUILD), "-j2"], check=True, timeout=600, **quiet)


# ----------------------------------------------------------------------------- servers
@dataclass
class Maildrop:
    """Where a workload's messages can be fetched."""

    server: str
    host: str
    port: int
    user: str
    password: str
    cafile: str | None = None  # POP3S: the CA (PEM) that the clients trust


class ReplayServer:
    """benchmarks/c/replay_server for one maildrop; stops when we close its stdin."""

    def __init__(self, messages: Sequence[bytes], folder: Path) -> None:
        blob, index = workloads.render_replay(messages, folder)
        self.proc = subprocess.Popen([str(BUILD / "replay_server"), str(blob), str(index)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], SERVER_TIMEOUT)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"replay_server did not start: {line!r}")
        self.port = int(line.split()[1])

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(SERVER_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(SERVER_TIMEOUT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


# ----------------------------------------------------------------------------- clients
@dataclass
class Tunables:
    payload: int = 16384  # PacketPool payload_size / C pool payload, bytes
    packets: int = 8  # packets in the pool
    chunk: int = 1 << 16  # retrieve() chunk_size
    recv: int | None = None  # the floors' recv() size (None: theirs, 256 KiB)


def client_argv(kind: str, drop: Maildrop, count: int, tun: Tunables,
                out: Path | None) -> list[str]:
    common = ["--host", drop.host, "--port", str(drop.port), "--user", drop.user,
              "--password", drop.password, "--count", str(count)]
    if drop.cafile and kind not in TLS_CLIENTS:
        raise ValueError(f"{kind} does not speak TLS")
    if kind in ("nxpop3-retr", "nxpop3-many", "nxpop3-stream", "nxpop3-poplib", "poplib",
                "floor-py"):
        argv = [sys.executable, str(HERE / "py_client.py"), kind, *common,
                "--payload", str(tun.payload), "--packets", str(tun.packets),
                "--chunk", str(tun.chunk)]
        if kind == "floor-py" and tun.recv:
            argv += ["--recv", str(tun.recv)]
        if drop.cafile:
            argv += ["--tls", "--cafile", drop.cafile]
        return argv + (["--out", str(out)] if out else [])
    c_common = ["-h", drop.host, "-p", str(drop.port), "-u", drop.user, "-w", drop.password,
                "-n", str(count)]
    if kind.startswith("nxpop3-c"):
        argv = [str(BUILD / "nxpop3_reader"), *c_common, "-P", str(tun.payload),
                "-N", str(tun.packets)]
        if kind.endswith("-read"):
            argv += ["-R", str(RETR_CHUNK)]
        if kind in PIPELINED:
            argv += ["-L"]
        return argv + (["-o", str(out)] if out else [])
    if kind in ("floor", "floor-pipe"):
        return ([str(BUILD / "floor_reader"), *c_common] + (["-L"] if kind in PIPELINED else [])
                + (["-b", str(tun.recv)] if tun.recv else []) + (["-o", str(out)] if out else []))
    if kind == "curl":
        host = f"[{drop.host}]" if ":" in drop.host else drop.host
        path = "1" if count == 1 else f"[1-{count}]"
        # Without a glob (one message) curl takes "#1" literally.
        target = (str(out) + ("_1" if count == 1 else "_#1")) if out else "/dev/null"
        # Over TLS, verification on: --cacert, never -k.
        tls = ["--cacert", drop.cafile] if drop.cafile else []
        scheme = "pop3s" if drop.cafile else "pop3"
        return ["curl", "-s", "-S", "--max-time", str(int(CLIENT_TIMEOUT)), *tls,
                "-w", "%{time_total}\\n", "-o", target,
                f"{scheme}://{drop.user}:{drop.password}@{host}:{drop.port}/{path}"]
    raise ValueError(kind)


@dataclass
class Sample:
    wall: float  # transfer phase, seconds
    cpu: float  # whole process, seconds
    xfer_cpu: float | None  # transfer phase, seconds (None: not reported)
    rss_kib: int


def parse_sample(kind: str, proc: ProcResult) -> Sample:
    if kind == "curl":
        times = [float(x) for x in proc.stdout.split()]
        return Sample(sum(times), proc.cpu, None, proc.maxrss_kib)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if kind in PIPELINED and report.get("pipelined") != 1:
        raise RuntimeError(f"{kind} was not pipelined (the server's CAPA lacks PIPELINING?)")
    return Sample(float(report["wall_s"]), proc.cpu, float(report["cpu_s"]), proc.maxrss_kib)


# CPU placement (--pin): the server's CPU and the clients' (None: the scheduler's choice).
PLACEMENT: dict[str, int | None] = {"server": None, "client": None}


def pin(mode: str) -> None:
    """Pins this process (so the servers it starts) and sets the clients' CPU.

    split: servers on CPU 0, clients on CPU 1 (they run in parallel, and every
    request/reply wakes the other CPU); same: all on CPU 0 (each round trip is
    a context switch, no cross-CPU wake-up); none: the scheduler decides, and on
    a VM the cost of a round trip then changes several-fold with its choices.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if mode == "none":
        return
    if mode == "split" and len(cpus) < 2:
        raise SystemExit("--pin split needs two CPUs")
    server, client = cpus[0], (cpus[1] if mode == "split" else cpus[0])
    os.sched_setaffinity(0, {server})
    PLACEMENT.update(server=server, client=client)


def run_client(kind: str, drop: Maildrop, workload: Workload, tun: Tunables,
               out: Path | None = None) -> Sample:
    argv = client_argv(kind, drop, workload.count, tun, out)
    if PLACEMENT["client"] is not None:
        argv = ["taskset", "-c", str(PLACEMENT["client"]), *argv]
    proc = run_process(argv, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    if proc.timed_out or proc.returncode != 0:
        raise RuntimeError(f"{kind} on {drop.server}/{workload.key} failed "
                           f"(rc {proc.returncode}{', timed out' if proc.timed_out else ''}):\n"
                           f"{proc.stderr.strip()[-2000:]}")
    return parse_sample(kind, proc)


# ----------------------------------------------------------------------------- results
@dataclass
class Row:
    server: str
    workload: Workload
    client: str
    samples: list[Sample] = field(default_factory=list)
    note: str = ""

    def median(self, get: Callable[[Sample], float | None]) -> float | None:
        values = [v for v in (get(s) for s in self.samples) if v is not None]
        return statistics.median(values) if values else None

    @property
    def wall(self) -> float:
        return self.median(lambda s: s.wall) or float("nan")

    @property
    def spread(self) -> tuple[float, float]:
        walls = [s.wall for s in self.samples]
        return min(walls), max(walls)

    @property
    def mib_s(self) -> float:
        return self.workload.total / MIB / self.wall

    @property
    def rss_mib(self) -> float:
        return max(s.rss_kib for s in self.samples) / 1024

    def as_dict(self) -> dict[str, object]:
        return {"server": self.server, "workload": self.workload.key, "client": self.client,
                "note": self.note,
                "samples": [vars(s) for s in self.samples]}


def paired(row: Row, ref: Row) -> float:
    """Median over the rounds of row's wall / ref's wall in the same round: the
    clients of a round ran seconds apart, so a slow spell of the shared machine
    falls on both."""
    ratios = [a.wall / b.wall for a, b in zip(row.samples, ref.samples)]
    return statistics.median(ratios) if ratios else float("nan")


def paired_cpu(row: Row, ref: Row, get: Callable[[Sample], float | None]) -> float:
    """Median over the rounds of ref's CPU time / row's (``get`` picks which:
    the transfer phase's or the whole process's): how many times less CPU."""
    ratios = [b / a for a, b in ((get(x), get(y)) for x, y in zip(row.samples, ref.samples))
              if a and b]
    return statistics.median(ratios) if ratios else float("nan")


def best(row: Row, ref: Row) -> float:
    """Best of row's runs over best of ref's."""
    return row.spread[0] / ref.spread[0]


def _peers(rows: Sequence[Row], row: Row) -> dict[str, Row]:
    return {r.client: r for r in rows
            if r.server == row.server and r.workload is row.workload and not r.note}


def table(rows: Sequence[Row]) -> str:
    head = (f"{'server':11} {'load':4} {'client':18} {'wall ms':>8} {'min-max ms':>14} "
            f"{'MiB/s':>7} {'cpu ms':>7} {'xfer cpu':>8} {'RSS MiB':>7} {'/floor':>6} "
            f"{'/pipe':>6} {'poplib/':>7} {'curl/':>6}")
    lines = [head, "-" * len(head)]

    def ratio(row: Row, ref: Row | None) -> str:
        return f"{paired(row, ref):.2f}" if ref else "-"

    for row in rows:
        peers = _peers(rows, row)
        pop = peers.get("poplib")
        curl = peers.get("curl")
        lo, hi = row.spread
        xfer = row.median(lambda s: s.xfer_cpu)
        name = row.client + (f" {row.note}" if row.note else "")
        lines.append(
            f"{row.server:11} {row.workload.key:4} {name:18} {row.wall * 1e3:8.1f} "
            f"{lo * 1e3:7.1f}-{hi * 1e3:<6.1f} {row.mib_s:7.1f} "
            f"{(row.median(lambda s: s.cpu) or 0) * 1e3:7.1f} "
            f"{'-' if xfer is None else f'{xfer * 1e3:.1f}':>8} {row.rss_mib:7.1f} "
            f"{ratio(row, peers.get('floor')):>6} {ratio(row, peers.get('floor-pipe')):>6} "
            f"{f'{paired(pop, row):.2f}' if pop else '-':>7} "
            f"{f'{paired(curl, row):.2f}' if curl else '-':>6}")
    return "\n".join(lines)


def goals(rows: Sequence[Row]) -> list[str]:
    """The issue's goals, checked on paired medians (best-of-runs ratio beside)."""
    out = []
    find = {(r.server, r.workload.key, r.client): r for r in rows if not r.note}

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    for server in sorted({r.server for r in rows}):
        if server == "dovecot-tls":
            out.extend(tls_goals(rows))
            continue
        for client in ("nxpop3-stream", "nxpop3-retr", "nxpop3-c", "nxpop3-poplib"):
            a = find.get((server, "a", client))
            floor = find.get((server, "a", "floor"))
            pop = find.get((server, "a", "poplib"))
            if a and floor and client != "nxpop3-poplib":  # its goal is poplib's speed only
                ratio = paired(a, floor)
                out.append(f"{server:7} a {client:18} {ratio:5.2f}x the floor's time "
                           f"(best {best(a, floor):.2f}x; goal <= 1.10): {verdict(ratio <= 1.10)}")
            if a and pop:
                speed = paired(pop, a)
                out.append(f"{server:7} a {client:18} {speed:5.1f}x poplib's speed "
                           f"(best {1 / best(a, pop):.1f}x; goal >= 4): {verdict(speed >= 4)}")
            if a and pop and client == "nxpop3-poplib":  # issue 15: the drop-in, CPU too
                less = paired_cpu(a, pop, lambda s: s.xfer_cpu)
                whole = paired_cpu(a, pop, lambda s: s.cpu)
                out.append(f"{server:7} a {client:18} {less:5.1f}x less CPU than poplib "
                           f"(transfer phase; whole process {whole:.1f}x; goal >= 4): "
                           f"{verdict(less >= 4)}")
            b = find.get((server, "b", client))
            bfloor = find.get((server, "b", "floor"))
            if b and bfloor:
                ratio = paired(b, bfloor)
                out.append(f"{server:7} b {client:18} {ratio:5.2f}x the floor's one-at-a-time "
                           f"time (best {best(b, bfloor):.2f}x; goal <= 1.10): "
                           f"{verdict(ratio <= 1.10)}")
        # Pipelining (issue 12): 2000 x 4 KiB in one batch, from Python.
        for client in ("nxpop3-many", "nxpop3-c-pipe"):
            b = find.get((server, "b", client))
            pfloor = find.get((server, "b", "floor-pipe"))
            pop = find.get((server, "b", "poplib"))
            whose = "" if client == "nxpop3-many" else ", retr_many's"
            if b and pfloor:
                ratio = paired(b, pfloor)
                out.append(f"{server:7} b {client:18} {ratio:5.2f}x the pipelined floor's time "
                           f"(best {best(b, pfloor):.2f}x; goal{whose} <= 1.20): "
                           f"{verdict(ratio <= 1.20)}")
            if b and pop:
                speed = paired(pop, b)
                out.append(f"{server:7} b {client:18} {speed:5.1f}x poplib's speed "
                           f"(best {1 / best(b, pop):.1f}x; goal{whose} >= 4): "
                           f"{verdict(speed >= 4)}")
        for client in ("nxpop3-stream",):
            big = find.get((server, "a", client))
            small = [r for r in (find.get((server, k, client)) for k in ("b", "c")) if r]
            if big and small:
                ref = min(small, key=lambda r: r.workload.size)
                grow = big.rss_mib - ref.rss_mib
                out.append(f"{server:7} {client} peak RSS {big.rss_mib:.1f} MiB with one 50 MiB "
                           f"message, {ref.rss_mib:.1f} MiB with {ref.workload.title} "
                           f"({grow:+.1f} MiB; goal: independent of message size): "
                           f"{verdict(grow < 4)}")
    return out


def tls_goals(rows: Sequence[Row]) -> list[str]:
    """Issue 13's goals on one 50 MiB message over POP3S from Dovecot: at least
    4x poplib.POP3_SSL's speed and 0.8x curl's, streaming's peak RSS flat."""
    out = []
    find = {(r.server, r.workload.key, r.client): r for r in rows if not r.note}
    pop = find.get(("dovecot-tls", "a", "poplib"))
    curl = find.get(("dovecot-tls", "a", "curl"))

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    for client in ("nxpop3-stream", "nxpop3-retr", "nxpop3-poplib"):
        row = find.get(("dovecot-tls", "a", client))
        if row and pop:
            speed = paired(pop, row)
            out.append(f"dovecot-tls a {client:14} {speed:5.2f}x poplib.POP3_SSL's speed "
                       f"(best {1 / best(row, pop):.2f}x; goal >= 4): {verdict(speed >= 4)}")
        if row and curl and client != "nxpop3-poplib":  # issue 13's goal, not the drop-in's
            speed = paired(curl, row)
            out.append(f"dovecot-tls a {client:14} {speed:5.2f}x curl pop3s's speed "
                       f"(best {1 / best(row, curl):.2f}x; goal >= 0.8): {verdict(speed >= 0.8)}")
    big = find.get(("dovecot-tls", "a", "nxpop3-stream"))
    # Flat: against a smaller workload over TLS when one ran, else the same
    # message over plain TCP (whose streaming RSS table 1 shows flat).
    refs = [r for r in (find.get(("dovecot-tls", k, "nxpop3-stream")) for k in ("b", "c")) if r]
    ref = min(refs, key=lambda r: r.workload.size) if refs else find.get(
        ("dovecot", "a", "nxpop3-stream"))
    if big and ref:
        grow = big.rss_mib - ref.rss_mib
        what = (f"{ref.workload.title} over TLS" if ref.server == "dovecot-tls"
                else "the same message over plain TCP")
        out.append(f"dovecot-tls nxpop3-stream peak RSS {big.rss_mib:.1f} MiB with one 50 MiB "
                   f"message, {ref.rss_mib:.1f} MiB with {what} ({grow:+.1f} MiB; goal: flat): "
                   f"{verdict(grow < 4)}")
    return out


# ----------------------------------------------------------------------------- main
def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (f"{platform.node()}: {os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, "
            f"Python {platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f} "
            f"{load[2]:.2f} at start")


def start_servers(names: Sequence[str], loads: dict[str, tuple[Workload, list[bytes]]],
                  scratch: Path, stack: list[Callable[[], None]]) -> dict[tuple[str, str],
                                                                          Maildrop]:
    drops: dict[tuple[str, str], Maildrop] = {}
    if "dovecot" in names or "dovecot-tls" in names:
        from nxpop3.testing.dovecot import DovecotServer

        # One instance: plain POP3 on .port, POP3S on .tls_port, the same maildrops.
        certificates = None
        if "dovecot-tls" in names:
            from nxpop3.testing.certificates import CertificateAuthority

            certificates = CertificateAuthority()
            cafile = str(certificates.write_ca(scratch / "ca.pem"))
        dovecot = DovecotServer(hosts=["127.0.0.1"], certificates=certificates)
        dovecot.start()
        stack.append(dovecot.stop)
        for key, (_, msgs) in loads.items():
            user = f"bench{key}"
            dovecot.add_user(user, USER_PASSWORD)
            dovecot.add_messages(user, msgs)
            if "dovecot" in names:
                drops["dovecot", key] = Maildrop("dovecot", "127.0.0.1", dovecot.port, user,
                                                 USER_PASSWORD)
            if certificates is not None:
                drops["dovecot-tls", key] = Maildrop("dovecot-tls", "127.0.0.1",
                                                     dovecot.tls_port, user, USER_PASSWORD,
                                                     cafile)
    if "replay" in names:
        for key, (_, msgs) in loads.items():
            replay = ReplayServer(msgs, scratch / f"replay-{key}")
            stack.append(replay.stop)
            drops["replay", key] = Maildrop("replay", "127.0.0.1", replay.port, "bench",
                                            USER_PASSWORD)
    return drops


def fetched(kind: str, out: Path, count: int) -> bytes:
    """What a client wrote in smoke mode, as message bytes."""
    if kind == "curl":
        return b"".join(Path(f"{out}_{n}").read_bytes() for n in range(1, count + 1))
    data = out.read_bytes()
    return workloads.unstuff(data) if kind.startswith("floor") else data


def check_bytes(kind: str, drop: Maildrop, workload: Workload, tun: Tunables, expected: str,
                scratch: Path) -> None:
    """One untimed run of the client writing what it fetched; raises unless it
    is the workload's bytes."""
    out = scratch / f"check-{drop.server}-{workload.key}-{kind}"
    try:
        run_client(kind, drop, workload, tun, out)
        data = fetched(kind, out, workload.count)
    finally:
        for path in scratch.glob(out.name + "*"):
            path.unlink()
    if workload.total and len(data) != workload.total:
        raise RuntimeError(f"{kind} on {drop.server}/{workload.key} fetched {len(data)} bytes, "
                           f"not {workload.total}")
    if workloads.digest([data]) != expected:
        raise RuntimeError(f"{kind} on {drop.server}/{workload.key} fetched other bytes")


def runnable(clients: Sequence[str], drop: Maildrop) -> list[str]:
    """The clients that can fetch from this maildrop (over TLS: TLS_CLIENTS)."""
    return [c for c in clients if not drop.cafile or c in TLS_CLIENTS]


def smoke(clients: Sequence[str], servers: Sequence[str], scratch: Path,
          stack: list[Callable[[], None]]) -> int:
    msgs = workloads.messages(SMOKE)
    expected = workloads.digest(msgs)
    total = sum(len(m) for m in msgs)
    drops = start_servers(servers, {"smoke": (SMOKE, msgs)}, scratch, stack)
    failures = 0
    for (server, _), drop in sorted(drops.items()):
        for kind in runnable(clients, drop):
            out = scratch / f"smoke-{server}-{kind}"
            try:
                # Small packets, chunks and reads: every boundary gets crossed.
                run_client(kind, drop, SMOKE,
                           Tunables(payload=1536, packets=4, chunk=1000, recv=1024), out)
                data = fetched(kind, out, SMOKE.count)
                ok = workloads.digest([data]) == expected
                detail = f"{len(data)} bytes" + ("" if ok else f", expected {total}")
            except (RuntimeError, OSError, ValueError) as exc:
                ok, detail = False, str(exc).splitlines()[0]
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {server:11} {kind:14} {detail}", flush=True)
    print("smoke: " + ("all clients fetched the same bytes" if not failures
                       else f"{failures} mismatches"))
    return 1 if failures else 0


def measure(args: argparse.Namespace, scratch: Path, stack: list[Callable[[], None]]) -> int:
    host = machine()
    keys = args.workload.split(",")
    loads = {}
    for key in keys:
        t0 = time.perf_counter()
        loads[key] = (WORKLOADS[key], workloads.messages(WORKLOADS[key]))
        print(f"# workload {key}: {WORKLOADS[key].title}, made in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    digests = {key: workloads.digest(msgs) for key, (_, msgs) in loads.items()}
    servers = args.server.split(",")
    drops = start_servers(servers, loads, scratch, stack)
    tun = Tunables(args.payload, args.packets, args.chunk)
    rows: list[Row] = []
    for server in servers:
        for key in keys:
            drop = drops[server, key]
            workload = loads[key][0]
            clients = runnable(args.clients.split(","), drop)
            # Warm-up: Dovecot builds its index and caches on first access (not counted).
            if server.startswith("dovecot"):
                run_client("floor-py" if drop.cafile else "floor", drop, workload, tun)
            # Every client once, untimed, its bytes checked against the workload's.
            if not args.no_check:
                for client in clients:
                    check_bytes(client, drop, workload, tun, digests[key], scratch)
                print(f"# {server}/{key}: every client fetched the workload's bytes",
                      file=sys.stderr, flush=True)
            batch = {c: Row(server, workload, c) for c in clients}
            if args.sweep:
                batch.update(sweep_rows(server, workload, clients))
            # Round-robin, so noise from the shared machine falls on every client alike.
            for _ in range(args.runs):
                for row in batch.values():
                    row_tun = sweep_tunables(row.note) if row.note else tun
                    row.samples.append(run_client(row.client, drop, workload, row_tun))
            rows.extend(batch.values())
            print(f"# {server}/{key} done", file=sys.stderr, flush=True)
    print()
    print(f"machine: {host}")
    print(f"runs per figure: {args.runs} (median); pool for nxpop3 clients: payload "
          f"{tun.payload} B x {tun.packets} packets; retrieve chunk {tun.chunk} B")
    print(f"CPU placement: --pin {args.pin} (servers on CPU {PLACEMENT['server']}, "
          f"clients on CPU {PLACEMENT['client']})")
    print("wall = transfer phase (connect..QUIT) as the client times it, median; cpu = whole "
          "client process\n(wait4), median; xfer cpu = transfer phase, median; RSS = peak, max "
          "of the runs;\n/floor = median over the rounds of wall / the floor's wall in the same "
          "round; /pipe = the same\nagainst the pipelined floor (floor-pipe); poplib/ = the "
          "same with poplib's wall / wall\n(the speed-up over poplib); curl/ = the same with "
          "curl's wall / wall. dovecot-tls: POP3S,\ncertificate and host name verified by every "
          "client")
    print()
    print(table(rows))
    print()
    for line in goals(rows):
        print(line)
    print()
    for name in dict.fromkeys(r.client for r in rows):
        print(f"{name:18} {CLIENT_NOTES[name]}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": host, "argv": sys.argv,
                                               "rows": [r.as_dict() for r in rows]}, indent=1))
    return 0


SWEEP = ((1536, 8), (4096, 8), (16384, 4), (16384, 8), (65536, 4), (262144, 4))


def sweep_rows(server: str, workload: Workload, clients: Sequence[str]) -> dict[str, Row]:
    rows = {}
    swept = [c for c in ("nxpop3-stream", "nxpop3-c") if c in clients]
    for payload, packets in SWEEP:
        for client in swept:
            size = f"{payload // 1024}K" if payload % 1024 == 0 else str(payload)
            note = f"{size}x{packets}"
            rows[f"{client}@{note}"] = Row(server, workload, client, note=note)
    return rows


def sweep_tunables(note: str) -> Tunables:
    size, packets = note.split("x")
    payload = int(size[:-1]) * 1024 if size.endswith("K") else int(size)
    return Tunables(payload=payload, packets=int(packets), chunk=max(1 << 16, payload))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs per figure (< 1 min)")
    parser.add_argument("--smoke", action="store_true",
                        help="each client once on a tiny maildrop; exit 1 on a byte mismatch")
    parser.add_argument("--sweep", action="store_true",
                        help="also run the nxpop3 stream and C clients over pool sizes")
    parser.add_argument("--tls", action="store_true",
                        help="one 50 MiB message over POP3S from Dovecot and over plain TCP "
                             f"(--workload {TLS_PRESET['workload']} --server "
                             f"{TLS_PRESET['server']} --clients {TLS_PRESET['clients']}, "
                             "each unless given)")
    parser.add_argument("--workload", help="some of a,b,c (default a,b,c)")
    parser.add_argument("--server", help=f"some of {', '.join(SERVERS)} (default dovecot,replay; "
                                         "--smoke: all three)")
    parser.add_argument("--clients", help=f"some of {', '.join(CLIENTS + EXTRA_CLIENTS)} "
                                          f"(default {', '.join(CLIENTS)}; the smoke run adds "
                                          "floor-py)")
    parser.add_argument("--runs", type=int, help="runs per figure (default 7, --quick 3)")
    parser.add_argument("--payload", type=int, default=16384, help="pool payload, bytes")
    parser.add_argument("--packets", type=int, default=8, help="pool packets")
    parser.add_argument("--chunk", type=int, default=1 << 16, help="retrieve() chunk, bytes")
    parser.add_argument("--pin", choices=("split", "same", "none"), default="split",
                        help="CPU placement: servers on one CPU and clients on the other "
                             "(split, the default), all on one CPU (same), or unpinned (none)")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the untimed run per client that checks its bytes")
    parser.add_argument("--json", help="also write every sample to this file")
    parser.add_argument("--verbose", action="store_true", help="show the C build")
    args = parser.parse_args(argv)
    args.runs = args.runs or (3 if args.quick else 7)
    preset = TLS_PRESET if args.tls else {}
    args.workload = args.workload or preset.get("workload", "a,b,c")
    args.server = args.server or preset.get(
        "server", ",".join(SERVERS) if args.smoke else "dovecot,replay")
    args.clients = args.clients or preset.get(
        "clients", ",".join(CLIENTS + (("floor-py",) if args.smoke else ())))
    for option, allowed in (("workload", WORKLOADS), ("server", SERVERS),
                            ("clients", CLIENTS + EXTRA_CLIENTS)):
        bad = [x for x in getattr(args, option).split(",") if x not in allowed]
        if bad:
            parser.error(f"--{option}: unknown {bad}; choose from {', '.join(allowed)}")
    if "curl" in args.clients.split(",") and shutil.which("curl") is None:
        parser.error("curl is not installed; leave it out with --clients")
    if args.pin != "none" and shutil.which("taskset") is None:
        parser.error("--pin needs taskset (util-linux); or use --pin none")

    build_c(args.verbose)
    pin(args.pin)
    stack: list[Callable[[], None]] = []
    scratch = Path(tempfile.mkdtemp(prefix="nxpop3-bench-", dir=workloads_dir()))
    try:
        if args.smoke:
            return smoke(args.clients.split(","), args.server.split(","), scratch, stack)
        return measure(args, scratch, stack)
    finally:
        for stop in reversed(stack):
            stop()
        shutil.rmtree(scratch, ignore_errors=True)


def workloads_dir() -> str:
    """/dev/shm when it is there (RAM: the replay blobs never touch a disk)."""
    return "/dev/shm" if os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()


if __name__ == "__main__":
    sys.exit(main())
