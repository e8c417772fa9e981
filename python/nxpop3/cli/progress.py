"""What the ``nxpop3`` command shows while it works: sizes for humans and a progress bar."""
from __future__ import annotations

import io
import os
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
    """A one-line progress bar on a terminal: messages, bytes, rate, time left and the
    messages skipped as already stored; redrawn at most ten times a second, cut to the
    terminal's width."""

    WIDTH = 24

    def __init__(self, stream: TextIO, messages: int, octets: int, enabled: bool,
                 skipped: int = 0) -> None:
        self.stream = stream
        self.messages = messages
        self.octets = max(octets, 1)
        self.skipped = skipped
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
        elapsed = max(now - self.started, 1e-6)
        rate = done_octets / elapsed
        parts = [
            f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{done_messages}/{self.messages} messages  "
            f"{human_size(done_octets)}/{human_size(self.octets)}",
            f"  {human_size(rate)}/s",
        ]
        if 0 < done_octets < self.octets:
            parts.append(f"  {_duration((self.octets - done_octets) / max(rate, 1e-6))} left")
        if self.skipped:
            parts.append(f"  ({self.skipped} already stored)")
        room = _columns(self.stream) - 1
        while len(parts) > 1 and sum(map(len, parts)) > room:
            parts.pop()  # the least needed last: already stored, time left, rate
        text = "".join(parts)[:room]
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write("\r" + text + pad)
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    """``0:07``, ``12:30``, ``3:05:00``."""
    seconds = int(min(seconds, 99 * 3600))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def _columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` is on (80 when it is none)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return 80
    return max(columns, 20) if columns else 80  # 0: a terminal that does not say
