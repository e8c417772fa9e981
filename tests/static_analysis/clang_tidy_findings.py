"""clang-tidy's findings against the ones explained in clang-tidy-explained.txt.

Usage: clang_tidy_findings.py CLANG_TIDY_OUTPUT EXPLAINED_FILE

Each explained finding is a line `file | check | text found on the line (or the one
above it: a check may point at the brace) | reason`.
Prints every finding with its reason, or as unexplained; exit status 1 when one is
unexplained (or when clang-tidy reported an error: a file it could not parse).
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FINDING = re.compile(r"^(?P<file>/\S+?):(?P<line>\d+):\d+: (?P<kind>warning|error): "
                     r"(?P<message>.*?) \[(?P<checks>[^\]]+)\]$")


def main() -> int:
    output, explained_path = Path(sys.argv[1]), Path(sys.argv[2])
    explained = []
    for raw in explained_path.read_text().splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            parts = [p.strip() for p in raw.split(" | ")]
            if len(parts) != 4:
                raise SystemExit(f"{explained_path}: expected 'file | check | text | reason': "
                                 f"{raw}")
            explained.append(parts)
    seen: set[tuple[str, str, str]] = set()
    unexplained = 0
    for line in output.read_text().splitlines():
        match = FINDING.match(line)
        if not match:
            continue
        path = Path(match["file"]).resolve()
        name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
        key = (name, match["line"], match["checks"])
        if key in seen:
            continue  # a header's finding, once per file that includes it
        seen.add(key)
        lines = path.read_text().splitlines()
        number = int(match["line"])
        text = lines[number - 1].strip()
        near = text + "\n" + (lines[number - 2].strip() if number > 1 else "")  # or the line above
        checks = match["checks"].split(",")
        reason = next((r for f, c, t, r in explained if f == name and c in checks and t in near),
                      None)
        where = f"{name}:{match['line']}: {match['message']} [{match['checks']}]"
        if reason is None or match["kind"] == "error":
            unexplained += 1
            print(f"unexplained: {where}\n    {text}")
        else:
            print(f"explained:   {where}\n    {reason}")
    print(f"clang-tidy: {len(seen)} findings, {unexplained} unexplained")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
