"""docs/coverage.md from the reports tests/run_coverage.sh collects, and the goals.

Inputs: gcovr's JSON (detail and summary) of the suite and of each fuzz target's
replay, coverage.py's JSON of python/nxpop3, and tests/coverage/uncovered.txt, the
reason each branch the suite leaves untaken cannot be taken by a test.

Goals (exit status 1 when one is missed, each miss printed):
  - csrc/pop3, csrc/netx, csrc/crypto and csrc/sasl together: >= 95 % of branches;
  - every line of those files runs, and every branch is taken, or has its reason in
    uncovered.txt (a guard no test can reach: the figures count it as not covered);
  - python/nxpop3: >= 95 % of lines is the goal; PYTHON_FLOOR, below it while the
    gap is being closed, is what fails the command (raise it as tests land).
The transports (csrc/transport/) and the fuzz figures are reported, not enforced.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REASONS = Path(__file__).resolve().with_name("uncovered.txt")
GOAL_SCOPE = ("csrc/pop3/", "csrc/netx/", "csrc/crypto/", "csrc/sasl/")
BRANCH_GOAL = 95.0
PYTHON_GOAL = 95.0
PYTHON_FLOOR = 95.0  # the goal, reached (95.4 %): enforced from now on (docs/coverage.md says so)


@dataclass
class FileCoverage:
    name: str
    lines: dict[int, int] = field(default_factory=dict)           # line -> count
    branches: dict[int, list[int]] = field(default_factory=dict)  # line -> counts

    @property
    def line_figures(self) -> tuple[int, int]:
        return sum(count > 0 for count in self.lines.values()), len(self.lines)

    @property
    def branch_figures(self) -> tuple[int, int]:
        counts = [c for line in self.branches.values() for c in line]
        return sum(c > 0 for c in counts), len(counts)

    def untaken(self) -> dict[int, tuple[int, int]]:
        """line -> (branches not taken, branches on the line)."""
        return {line: (sum(c == 0 for c in counts), len(counts))
                for line, counts in sorted(self.branches.items()) if 0 in counts}


def load_gcovr(path: Path) -> dict[str, FileCoverage]:
    """gcovr's JSON, one entry per source line (a line gcc split into several
    blocks or functions is merged: covered when any part ran, branch by branch)."""
    files: dict[str, FileCoverage] = {}
    for entry in json.loads(path.read_text())["files"]:
        cover = files.setdefault(entry["file"], FileCoverage(entry["file"]))
        for line in entry["lines"]:
            number = line["line_number"]
            cover.lines[number] = cover.lines.get(number, 0) + line["count"]
            counts = [b["count"] for b in line["branches"]]
            if counts:
                known = cover.branches.setdefault(number, [])
                for i, count in enumerate(counts):
                    if i < len(known):
                        known[i] += count
                    else:
                        known.append(count)
    return dict(sorted(files.items()))


@dataclass
class Reason:
    file: str
    text: str
    reason: str
    used: bool = False


def load_reasons(path: Path) -> list[Reason]:
    """`file | text found on the line | reason`, one per line; # starts a comment."""
    reasons = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        parts = [part.strip() for part in raw.split(" | ")]
        if len(parts) != 3 or not all(parts):
            raise SystemExit(f"{path}:{number}: expected 'file | text | reason'")
        reasons.append(Reason(*parts))
    return reasons


def percent(covered: int, total: int) -> float:
    return 100.0 * covered / total if total else 100.0


def cell(covered: int, total: int) -> str:
    return f"{percent(covered, total):.1f} % ({covered}/{total})" if total else "-"


def in_scope(name: str) -> bool:
    return name.startswith(GOAL_SCOPE)


def source_line(name: str, number: int) -> str:
    lines = (ROOT / name).read_text().splitlines()
    return lines[number - 1].strip() if number <= len(lines) else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, required=True, help="gcovr JSON of the suite")
    parser.add_argument("--fuzz", type=Path, nargs="*", default=[],
                        help="gcovr JSON of each fuzz target's replay (fuzz_NAME.json)")
    parser.add_argument("--python", type=Path, required=True, help="coverage.py JSON")
    parser.add_argument("--fuzz-runs", type=int, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    suite = load_gcovr(args.suite)
    fuzz = {path.stem: load_gcovr(path) for path in args.fuzz}
    python = json.loads(args.python.read_text())
    reasons = load_reasons(REASONS)
    failures: list[str] = []

    out: list[str] = [
        "# Coverage",
        "",
        "Written by `tests/run_coverage.sh` (do not edit: run it again). The suite runs on a",
        "gcc `--coverage` build of the C library and its extension, under coverage.py;",
        "gcovr counts lines and branches per file of `csrc/`. Goals, enforced by the",
        "command (and so by CI): in `csrc/pop3`, `csrc/netx`, `csrc/crypto` and `csrc/sasl`",
        "every line runs and every branch is taken, except the guards listed below with",
        "the reason no test can reach them (they count as not covered), and at least "
        f"{BRANCH_GOAL:.0f} % of their branches",
        f"are taken; `python/nxpop3` at least {PYTHON_GOAL:.0f} % of lines (see below). The",
        "transports are reported, not held to a goal.",
        "",
        "## C, by the test suite",
        "",
        "| File | Lines | Branches |",
        "|---|---|---|",
    ]
    scope_lines = [0, 0]
    scope_branches = [0, 0]
    for name, cover in suite.items():
        lines, branches = cover.line_figures, cover.branch_figures
        if in_scope(name):
            scope_lines = [a + b for a, b in zip(scope_lines, lines)]
            scope_branches = [a + b for a, b in zip(scope_branches, branches)]
        out.append(f"| `{name}` | {cell(*lines)} | {cell(*branches)} |")
    out.append(f"| **pop3 + netx + crypto + sasl** | {cell(*scope_lines)} "
               f"| {cell(*scope_branches)} |")
    if percent(*scope_branches) < BRANCH_GOAL:
        failures.append(f"pop3+netx+crypto+sasl: branches {cell(*scope_branches)} "
                        f"< {BRANCH_GOAL} %")

    out += ["", "## Lines and branches the suite leaves untaken, and why", "",
            "Each is a line of `csrc/pop3`, `csrc/netx`, `csrc/crypto` or `csrc/sasl` that no",
            "test runs, or with a branch no test takes; the reason comes from",
            "`tests/coverage/uncovered.txt` (file, text of the line, reason). One without a",
            "reason fails the command.", ""]
    listed = 0
    for name, cover in suite.items():
        if not in_scope(name):
            continue
        untaken = cover.untaken()
        not_run = {n for n, count in cover.lines.items() if count == 0}
        for number in sorted(not_run | set(untaken)):
            text = source_line(name, number)
            found = [r for r in reasons if r.file == name and r.text in text]
            for r in found:
                r.used = True
            why = found[0].reason if found else "**no reason recorded**"
            what = []
            if number in not_run:
                what.append("not run")
            if number in untaken:
                missed, total = untaken[number]
                what.append(f"{missed} of {total} branches untaken")
            if not found:
                failures.append(f"{name}:{number}: {', '.join(what)}, no reason: {text}")
            out.append(f"- `{name}:{number}` `{text}` ({', '.join(what)}): {why}")
            listed += 1
    if not listed:
        out.append("None.")
    for r in reasons:
        if not r.used:
            print(f"note: a reason matches no untaken branch now: {r.file} | {r.text}",
                  file=sys.stderr)

    out += ["", "## C, by the fuzz targets", "",
            f"Each target ran {args.fuzz_runs} inputs under libFuzzer (clang, `-seed=1`), "
            "from the committed",
            "corpus and regressions; the corpus it ended with was replayed by a gcc `--coverage`",
            "build of the replay engine (`fuzz/replay_main.c`). Lines and branches per target:",
            "", "| File | " + " | ".join(f"`{t}` lines | branches" for t in fuzz) + " |",
            "|---|" + "---|---|" * len(fuzz)]
    for name in suite:
        cells = []
        for cover in fuzz.values():
            reached = cover.get(name)
            cells += [cell(*reached.line_figures), cell(*reached.branch_figures)] if reached \
                else ["-", "-"]
        out.append(f"| `{name}` | " + " | ".join(cells) + " |")

    totals = python["totals"]
    python_percent = percent(totals["covered_lines"], totals["num_statements"])
    if python_percent < PYTHON_FLOOR:
        failures.append(f"python/nxpop3: lines {python_percent:.1f} % < {PYTHON_FLOOR} %")
    out += ["", "## Python, by the test suite", "",
            f"`python/nxpop3`: {cell(totals['covered_lines'], totals['num_statements'])} "
            "of lines (coverage.py; xdist workers, `python -m nxpop3` subprocesses and the",
            f"board's relay included). The goal is {PYTHON_GOAL:.0f} %; until it is reached "
            f"the command fails below {PYTHON_FLOOR:.0f} %.",
            "" if python_percent >= PYTHON_GOAL else "**The goal is not met yet.**",
            "", "Files below 100 %:", "", "| File | Lines | Not run |", "|---|---|---|"]
    for name, entry in sorted(python["files"].items()):
        summary = entry["summary"]
        if summary["missing_lines"]:
            missing = ", ".join(map(str, entry["missing_lines"]))
            out.append(f"| `{name}` | {cell(summary['covered_lines'], summary['num_statements'])}"
                       f" | {missing} |")
    out.append("")
    args.output.write_text("\n".join(out))

    print(f"C pop3+netx+crypto+sasl: lines {cell(*scope_lines)}, branches {cell(*scope_branches)}; "
          f"python/nxpop3: lines {python_percent:.1f} %")
    for failure in failures:
        print(f"coverage goal missed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
