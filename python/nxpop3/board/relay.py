"""Relay one guest TCP connection from QEMU's user network to a host server.

QEMU's ``guestfwd=tcp:ADDR:PORT-cmd:COMMAND`` starts COMMAND once per guest
connection, with the connection on its standard input and output (and standard
error: nothing may be written there). This relay connects to HOST:PORT and pumps
bytes both ways, passing each half-close on, so the guest's FIN reaches the
server and the server's close reaches the guest.

Usage: python relay.py HOST PORT [IDLE_SECONDS]   (by path, as the board runner does)

It imports nothing from nxpop3, so QEMU can run it by path with any PYTHONPATH.
"""
from __future__ import annotations

import os
import selectors
import socket
import sys

_CHUNK = 65536
_DEFAULT_IDLE = 120.0


def _half_close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _write_all(fd: int, data: bytes) -> bool:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except OSError:
            return False
        view = view[n:]
    return True


def relay(host: str, port: int, idle: float = _DEFAULT_IDLE) -> int:
    """Pump bytes between fd 0/1 (the guest) and host:port until both sides closed.

    Returns 0 after an orderly end, 1 when the server could not be reached.
    Every wait is bounded by ``idle`` seconds without traffic.
    """
    try:
        server = socket.create_connection((host, port), timeout=10.0)
    except OSError:
        return 1
    server.setblocking(False)
    guest_in, guest_out = 0, 1
    duplicate = os.dup(guest_out)
    try:
        guest_sock: socket.socket | None = socket.socket(fileno=duplicate)
    except OSError:  # not a socket (a pipe): the duplicate would keep it open after the end
        os.close(duplicate)
        guest_sock = None

    sel = selectors.DefaultSelector()
    sel.register(guest_in, selectors.EVENT_READ, "guest")
    sel.register(server, selectors.EVENT_READ, "server")
    open_from_guest = True
    open_from_server = True
    try:
        while open_from_guest or open_from_server:
            events = sel.select(timeout=idle)
            if not events:
                break  # idle too long: give up on both directions
            for key, _ in events:
                if key.data == "guest":
                    try:
                        data = os.read(guest_in, _CHUNK)
                    except OSError:
                        data = b""
                    if data:
                        try:
                            server.setblocking(True)
                            server.sendall(data)
                        except OSError:
                            data = b""
                        finally:
                            server.setblocking(False)
                    if not data:
                        open_from_guest = False
                        sel.unregister(guest_in)
                        _half_close(server)
                else:
                    try:
                        data = server.recv(_CHUNK)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if data and not _write_all(guest_out, data):
                        data = b""
                    if not data:
                        open_from_server = False
                        sel.unregister(server)
                        if guest_sock is not None:
                            _half_close(guest_sock)
                        else:
                            os.close(guest_out)
    finally:
        sel.close()
        server.close()
        if guest_sock is not None:
            guest_sock.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # Standard error is the guest's connection too: silence it first.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if len(args) not in (2, 3):
        return 2
    idle = float(args[2]) if len(args) == 3 else _DEFAULT_IDLE
    return relay(args[0], int(args[1]), idle)


if __name__ == "__main__":
    sys.exit(main())
