"""The one exception of the Dovecot fixture."""
from __future__ import annotations

__all__ = ["DovecotError"]


class DovecotError(RuntimeError):
    """Dovecot could not be configured, started or stopped; the message holds its log."""
