"""Text that came from the server, made safe to show.

A greeting, an ``-ERR`` text, a From or Subject header: the server chose every
byte, terminal control sequences included (ESC, BEL, CR, backspace, the C1
controls, DEL, bidirectional overrides). Whatever the package puts in
``str(exception)``, a log line or the CLI's output passes through
:func:`printable` first; the raw text stays where the caller asked for it
(``Pop3Error.reply``, ``Client.last_reply``, the message bytes).
"""
from __future__ import annotations

import unicodedata

__all__ = ["printable"]

# Unicode categories shown escaped: controls (C0, DEL, C1), format characters
# (bidirectional overrides, zero-width characters), surrogates (bytes that
# were not UTF-8), and the line and paragraph separators.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    if unicodedata.category(char) not in _ESCAPED_CATEGORIES:
        return char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str | bytes) -> str:
    """``text`` with every control character written as an escape.

    Controls become ``\\xNN`` (``\\t``, ``\\n``, ``\\r`` by name), other
    invisible or reordering characters ``\\uNNNN``, and a backslash ``\\\\``,
    so the result is one line that says exactly what was sent. Bytes are read
    as UTF-8; a byte that is not UTF-8 shows as ``\\xNN``. Printable text,
    non-ASCII letters included, is returned as it is.
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text).decode("utf-8", "surrogateescape")
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_escape(char) for char in text)
