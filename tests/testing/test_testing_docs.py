"""Every Python example in docs/testing.md runs, as written."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
TEXT = DOC.read_text(encoding="utf-8")
# Each block padded with blank lines, so a traceback points at the line of the page.
BLOCKS = [
    "\n" * TEXT.count("\n", 0, match.start(1)) + match.group(1)
    for match in re.finditer(r"```python\n(.*?)```", TEXT, re.S)
]


def test_the_page_has_examples():
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_example_runs(code, pytester, plugin_args):
    if "def test_" in code:  # a test module for the plugin: run it with pytest
        pytester.makepyfile(code)
        result = pytester.runpytest(*plugin_args, "-p", "no:cacheprovider")
        assert result.ret == 0, result.stdout.str()
        return
    exec(compile(code, str(DOC), "exec"), {"__name__": "docs_example"})
