"""The benchmark's maildrops: deterministic messages, and the replay server's
pre-rendered RETR answers for them.

Messages are CRLF text with a few lines that start with a dot (so the server
stuffs them and every client must unstuff them), never a bare LF or CR, and
never a dot as the very first byte (Dovecot does not stuff that one).
"""
from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MIB = 1 << 20
KIB = 1 << 10

_LINE_START_DOT = re.compile(rb"(?m)^\.")
_ALPHABET = (b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             b"      ,;:-_=+/()[]<>!?'\"")
_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@dataclass(frozen=True)
class Workload:
    """``count`` messages of ``size`` bytes each (headers included)."""

    key: str
    title: str
    count: int
    size: int

    @property
    def total(self) -> int:
        return self.count * self.size


WORKLOADS = {
    "a": Workload("a", "1 x 50 MiB", 1, 50 * MIB),
    "b": Workload("b", "2000 x 4 KiB", 2000, 4 * KIB),
    "c": Workload("c", "200 x 100 KiB", 200, 100 * KIB),
}
# A few odd sizes and shapes that cross packet boundaries in every way, then a
# run of small ones: a pipelined batch's window (8 RETRs) turns over several
# times, and replies end at every offset of a read.
_SMOKE_SIZES = (300, 1, 4096, 70_000, 1537, 2 * 16384 + 3, 250_000,
                *(2 + 97 * k for k in range(60)))
SMOKE = Workload("smoke", f"smoke: {len(_SMOKE_SIZES)} small and odd messages",
                 len(_SMOKE_SIZES), 0)


def _line_pool(rng: random.Random, lines: int = 4096) -> bytes:
    """A block of CRLF lines (60% base64, 40% text of 0 to 76 characters), one
    in 40 starting with a dot, some only a dot."""
    out = []
    for _ in range(lines):
        if rng.random() < 0.6:
            # An attachment's base64 line.
            text = bytes(rng.choice(_BASE64) for _ in range(76))
        else:
            length = rng.randint(0, 76)
            text = bytes(rng.choice(_ALPHABET) for _ in range(length)).rstrip(b" ")
        roll = rng.random()
        if roll < 0.01:
            text = b"."
        elif roll < 0.025:
            text = b"." + text
        elif roll < 0.03:
            text = b".." + text
        out.append(text + b"\r\n")
    return b"".join(out)


def _line_starts(pool: bytes) -> list[int]:
    return [0] + [m.end() for m in re.finditer(rb"\r\n", pool)][:-1]


def _message(rng: random.Random, pool: bytes, starts: Sequence[int], number: int,
             size: int) -> bytes:
    head = (f"Return-Path: <bench@example.org>\r\n"
            f"From: Benchmark <bench@example.org>\r\n"
            f"To: user@example.org\r\n"
            f"Subject: benchmark message {number}\r\n"
            f"Message-ID: <{number}.{rng.getrandbits(32):08x}@bench.example.org>\r\n"
            f"\r\n").encode()
    if size <= len(head) + 2:
        return (b"X" * max(0, size - 2) + b"\r\n") if size >= 2 else b"\r\n"
    need = size - len(head) - 2
    # A cyclic run of the line pool from a random line start; cut, then end the
    # last line with CRLF (a cut in the middle of a CRLF leaves no bare CR).
    start = starts[rng.randrange(len(starts))]
    body = bytearray(pool[start:])
    while len(body) < need:
        body += pool
    del body[need:]
    if body.endswith(b"\r"):
        body[-1:] = b"x"
    return head + bytes(body) + b"\r\n"


def messages(workload: Workload, seed: int = 1939) -> list[bytes]:
    """The workload's messages, the same bytes on every run."""
    rng = random.Random(f"{seed}-{workload.key}")
    pool = _line_pool(rng)
    starts = _line_starts(pool)
    if workload is SMOKE:
        out = [_message(rng, pool, starts, n, size) for n, size in enumerate(_SMOKE_SIZES, 1)]
        # A message whose every line is a dot, and one that ends in "\r\n.\r\n"-like text.
        out[1] = b"Subject: dots\r\n\r\n" + b".\r\n" * 3000
        out[4] = out[4][:-7] + b"\r\n..\r\n"
        return out
    return [_message(rng, pool, starts, n, workload.size) for n in range(1, workload.count + 1)]


def stuff(data: bytes) -> bytes:
    """RFC 1939 byte-stuffing: a line that starts with '.' gets another one."""
    return _LINE_START_DOT.sub(b"..", data)


def unstuff(data: bytes) -> bytes:
    """The inverse of ``stuff`` for a stream of whole CRLF lines."""
    return re.sub(rb"(?m)^\.", b"", data)


def digest(chunks: Sequence[bytes] | Iterator[bytes]) -> str:
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def render_replay(msgs: Sequence[bytes], folder: Path) -> tuple[Path, Path]:
    """Writes the replay server's BLOB and INDEX files for these messages."""
    folder.mkdir(parents=True, exist_ok=True)
    blob_path = folder / "replay.blob"
    index_path = folder / "replay.index"
    entries = []
    offset = 0
    with open(blob_path, "wb") as blob:
        for data in msgs:
            answer = b"+OK %d octets\r\n" % len(data) + stuff(data) + b".\r\n"
            blob.write(answer)
            entries.append(f"{offset} {len(answer)} {len(data)}")
            offset += len(answer)
    total = sum(len(m) for m in msgs)
    index_path.write_text(f"{len(msgs)} {total}\n" + "\n".join(entries) + "\n")
    return blob_path, index_path
