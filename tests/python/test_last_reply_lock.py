"""Client.last_reply takes the client's lock: C writes the reply text while a
command runs, so a reader in another thread waits for the command to end and
then sees its whole reply, never a half-written one."""
from __future__ import annotations

import threading
import time

from nxpop3 import Client
from nxpop3.testing.server import Pop3Server


def test_last_reply_waits_for_the_running_command() -> None:
    with Pop3Server([b"Subject: a\r\n\r\nx\r\n"]) as server:
        server.fault("NOOP", status_line=b"+OK the noop reply", delay=0.3)
        with Client(server.host, server.port, "alice", "secret", timeout=5) as c:
            worker = threading.Thread(target=c.noop)
            worker.start()
            time.sleep(0.1)  # NOOP is on the wire, its reply 0.2 s away
            assert worker.is_alive()
            start = time.monotonic()
            text = c.last_reply
            waited = time.monotonic() - start
            worker.join()
            assert text == "the noop reply"
            assert waited >= 0.1
