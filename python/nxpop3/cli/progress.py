"""What the ``nxpop3`` command shows while it works: sizes for humans and a progress bar."""
from __future__ import annotations

import time
from typing import TextIO


def human_size(octets: float) -> str:
    """``1234567`` -> ``"1.2 MB"`` (powers of 1000, one decimal from kB up)."""
    if octets < 1000:
        return f"{int(octets)} B"
    for unit in ("kB", "MB", "GB", "TB"):
        octets /= 1000.0
        if octets < 1000 or unit == "TB":
            break
    return f"{octets:.1f} {unit}"


class Progress:
    """A one-line progress bar (messages and bytes) redrawn at most ten times a second."""

    WIDTH = 24

    def __init__(self, stream: TextIO, messages: int, octets: int, enabled: bool) -> None:
        self.stream = stream
        self.messages = messages
        self.octets = max(octets, 1)
        self.enabled = enabled and messages > 0
        self.started = time.monotonic()
        self._drawn = 0.0
        self._width = 0

    def update(self, done_messages: int, done_octets: int, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        fraction = min(1.0, done_octets / self.octets)
        filled = int(fraction * self.WIDTH)
        rate = done_octets / max(now - self.started, 1e-6)
        text = (
            f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done_messages}/{self.messages} messages  "
            f"{human_size(done_octets)}/{human_size(self.octets)}  {human_size(rate)}/s"
        )
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + pad)
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()
