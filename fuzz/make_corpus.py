"""Record real POP3 transcripts into the fuzz seed corpus.

Starts Dovecot (nxpop3.testing.dovecot) and the scriptable server
(nxpop3.testing.server), runs one session against each with a plain socket,
and writes each server reply as a record of the fuzz input format
(fuzz_harness.h): corpus/session/ gets whole sessions, corpus/body/ the RETR
bodies, corpus/listing/ the sessions of the extensions (CAPA, LIST, UIDL, TOP,
a pipelined pair of RETRs), each cut into segments at a few chosen places;
corpus/sasl/ gets the RFC examples of the SASL mechanisms (no server needed).

Usage: python3 fuzz/make_corpus.py   (the corpus is committed; rerun to refresh)
"""
from __future__ import annotations

import base64
import hashlib
import socket
from collections.abc import Iterable
from pathlib import Path

from nxpop3.testing.dovecot import DovecotServer
from nxpop3.testing.server import Pop3Server

HERE = Path(__file__).resolve().parent
MESSAGES = [
    b"From: a@example.com\nSubject: plain\n\nHello\n",
    b"Subject: dots\n\n.leading dot\n..two dots\nmiddle . dot\n",
    b"Subject: empty body\n\n",
    b"Subject: long line\n\n" + b"L" * 700 + b"\n",
]
COMMANDS = ["USER alice", "PASS secret", "STAT", "LIST 1", "RETR 2", "DELE 1", "NOOP", "RSET",
            "LIST 9", "RETR 9", "QUIT"]
# The order fuzz_listing.c sends them in; the multi-line ones by their keyword.
LISTING_COMMANDS = ["USER alice", "PASS secret", "CAPA", "LIST", "UIDL", "UIDL 1", "TOP 1 1",
                    "RETR 1", "RETR 2", "NOOP", "QUIT"]
MULTILINE = ("RETR", "TOP", "CAPA")


def read_reply(conn: socket.socket, multiline: bool, pending: bytearray) -> bytes:
    """One reply, bounded by the socket timeout and a size limit."""
    end = b"\r\n.\r\n" if multiline else b"\r\n"
    for _ in range(10_000):
        at = pending.find(end)
        if at >= 0 and (not multiline or pending.startswith(b"+OK")):
            cut = at + len(end)
            reply = bytes(pending[:cut])
            del pending[:cut]
            return reply
        if not multiline and pending.startswith(b"-ERR") and at >= 0:
            break
        if multiline and pending.startswith(b"-ERR") and b"\r\n" in pending:
            cut = pending.find(b"\r\n") + 2
            reply = bytes(pending[:cut])
            del pending[:cut]
            return reply
        chunk = conn.recv(65536)
        if not chunk:
            break
        pending += chunk
    reply = bytes(pending)
    pending.clear()
    return reply


def multiline(command: str) -> bool:
    return command.startswith(MULTILINE) or command in ("LIST", "UIDL")


def transcript(host: str, port: int, commands: list[str] = COMMANDS) -> list[bytes]:
    replies = []
    with socket.create_connection((host, port), timeout=5) as conn:
        pending = bytearray()
        replies.append(read_reply(conn, False, pending))
        for command in commands:
            conn.sendall(command.encode() + b"\r\n")
            replies.append(read_reply(conn, multiline(command), pending))
    return replies


def records(segments: Iterable[bytes]) -> bytes:
    out = bytearray()
    for segment in segments:
        for start in range(0, len(segment), 255):
            piece = segment[start:start + 255]
            out += bytes([len(piece)]) + piece
    return bytes(out)


def cuts(data: bytes, sizes: Iterable[int]) -> list[bytes]:
    pieces, at = [], 0
    for size in sizes:
        if at >= len(data):
            break
        pieces.append(data[at:at + size])
        at += size
    if at < len(data):
        pieces.append(data[at:])
    return pieces


def write(folder: str, data: bytes) -> None:
    path = HERE / "corpus" / folder / hashlib.sha1(data).hexdigest()[:16]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def save(name: str, replies: list[bytes]) -> None:
    for flags in (0, 1):
        write("session", bytes([flags]) + records(replies))
    write("session", bytes([0]) + records(cuts(b"".join(replies), [1, 2, 3, 5, 7, 11] * 200)))
    retr = next(r for r in replies if r.startswith(b"+OK") and r.endswith(b"\r\n.\r\n"))
    body = retr[retr.index(b"\r\n") + 2:]
    for sizes in ([len(body)], [1] * len(body), [3, 1, 4, 1, 5, 9, 2, 6] * 50):
        write("body", records(cuts(body, sizes)))
    print(f"{name}: {len(replies)} replies, greeting {replies[0][:40]!r}")


def save_listing(name: str, replies: list[bytes]) -> None:
    write("listing", records(replies))
    write("listing", records([b"".join(replies)]))  # a server that answers all at once
    write("listing", records(cuts(b"".join(replies), [1, 2, 3, 5, 7, 11] * 300)))
    print(f"{name}: {len(replies)} listing replies")


def save_sasl(name: str, flags: int, replies: list[bytes]) -> None:
    """A SASL exchange (fuzz_sasl.c: flags select the mechanism and CAPA first)."""
    write("sasl", bytes([flags]) + records(replies))
    write("sasl", bytes([flags]) + records(cuts(b"".join(replies), [1, 2, 3, 5, 7] * 200)))
    print(f"{name}: {len(replies)} SASL replies")


def sasl_seeds() -> None:
    """The RFC examples as a server would send them (no server needed)."""
    def plus(data: bytes) -> bytes:
        return b"+ " + base64.b64encode(data) + b"\r\n"

    greeting, ok = b"+OK ready\r\n", b"+OK\r\n"
    capa = b"+OK\r\nSASL SCRAM-SHA-256 CRAM-MD5 PLAIN LOGIN XOAUTH2 OAUTHBEARER\r\n.\r\n"
    server_first = (b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                    b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
    server_final = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    error = b'{"status":"401","schemes":"bearer"}'
    save_sasl("SCRAM (RFC 7677)", 4 | 8, [greeting, capa, plus(server_first), plus(server_final),
                                         ok, ok, ok])
    save_sasl("SCRAM, no CAPA", 4, [greeting, b"+ \r\n", plus(server_first), plus(server_final),
                                    ok, ok, ok])
    stamp = b"<1896.697170952@postoffice.reston.mci.net>"
    save_sasl("CRAM-MD5 (RFC 2195)", 3, [greeting, plus(stamp), ok, ok, ok])
    save_sasl("LOGIN", 2 | 8, [greeting, capa, plus(b"Username:"), plus(b"Password:"), ok, ok, ok])
    save_sasl("PLAIN", 1 | 8, [greeting, capa, b"-ERR [AUTH] no\r\n", ok, ok])
    save_sasl("XOAUTH2 error", 5 | 8, [greeting, capa, plus(error), b"-ERR [AUTH] bad\r\n", ok])
    save_sasl("OAUTHBEARER error", 6 | 8, [greeting, capa, plus(error), b"-ERR bad\r\n", ok])


def main() -> None:
    sasl_seeds()
    with DovecotServer() as dovecot:
        dovecot.add_user("alice", "secret")
        dovecot.add_messages("alice", MESSAGES)
        save("dovecot", transcript(dovecot.host, dovecot.port))
        save_listing("dovecot", transcript(dovecot.host, dovecot.port, LISTING_COMMANDS))
    with Pop3Server(MESSAGES, apop=True) as server:
        save("nxpop3 test server", transcript(server.host, server.port))
        save_listing("nxpop3 test server",
                     transcript(server.host, server.port, LISTING_COMMANDS))


if __name__ == "__main__":
    main()
