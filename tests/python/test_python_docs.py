"""The runnable example of docs/python.md runs as written."""
from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "python.md"


def test_scripted_transport_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    example = next(b for b in blocks if "ScriptedTransport(" in b)
    exec(compile(example, str(DOC), "exec"), {})


def test_codes_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    example = next(b for b in blocks if "from nxpop3 import codes" in b)
    exec(compile(example, str(DOC), "exec"), {})
