"""Set-up for the CLI tests: use nxpop3 from the checkout when it is not installed."""
from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("nxpop3") is None:  # the pure-Python parts still work
    CHECKOUT = str(Path(__file__).resolve().parents[2] / "python")
    sys.path.insert(0, CHECKOUT)
    # and so do the `python -m nxpop3` subprocesses of the tests
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (CHECKOUT, os.environ.get("PYTHONPATH")) if p
    )


@pytest.fixture
def cli() -> Callable[..., Any]:
    """``run_cli`` of test_nxpop3_cli.py: ``python -m nxpop3 ARGS`` with no terminal."""
    from test_nxpop3_cli import run_cli

    return run_cli
