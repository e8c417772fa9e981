"""Deprecated: the relay moved to :mod:`nxpop3.board.relay`; this module goes in the
next release.

Run by path (``python .../nxpop3/qemu_relay.py HOST PORT [IDLE]``, as QEMU's
``guestfwd`` does) or with ``-m``, it runs the relay unchanged and writes nothing to
standard error, which is the guest's connection.
"""
from __future__ import annotations

if __name__ == "__main__":
    import runpy
    from pathlib import Path

    # Run by path, nxpop3 may not be importable: load the relay by path too.
    runpy.run_path(str(Path(__file__).resolve().with_name("board") / "relay.py"),
                   run_name="__main__")
else:
    import warnings

    from nxpop3.board.relay import main, relay

    __all__ = ["main", "relay"]
    warnings.warn(
        "nxpop3.qemu_relay moved to nxpop3.board.relay; nxpop3.qemu_relay goes in the "
        "next release",
        DeprecationWarning,
        stacklevel=2,
    )
