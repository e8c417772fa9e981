"""Tools a test needs from the machine: skip when one is missing, but fail under
CI (``CI=true``), where a missing dependency must never pass as a skip."""
from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True when the environment says this is a CI run (``CI=true``)."""
    return os.environ.get("CI", "").lower() == "true"


def missing(reason: str) -> NoReturn:
    """Fail the test under CI, skip it elsewhere."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: failing instead of skipping)", pytrace=False)
    pytest.skip(reason)


def require_tool(name: str, package: str | None = None) -> str:
    """The path of program ``name``; ``missing()`` when it is not on PATH."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed" + (f" (apt-get install {package})" if package else ""))
    return path
