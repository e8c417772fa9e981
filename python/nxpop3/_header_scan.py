"""Reads the ``#define NX_...`` constants of the C headers: the one parser of them.

The build runs it twice through ``python/binding/generate.py``: for the names the
cffi extension binds, and to write ``nxpop3/_header_constants.py`` (every integer
constant with its value, so ``nxpop3.codes`` needs no extension). From a checkout
that was never built, ``nxpop3.codes`` runs it on ``csrc/`` directly.
"""
from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

# The headers the package binds, in include order.
HEADERS = (
    "nx_api.h",
    "nx_transport.h",
    "nx_pop3_config.h",
    "nxd_pop3_client.h",
    "nx_md5.h",
    "nx_crypto_wipe.h",
    "nx_sha256.h",
    "nx_hmac.h",
    "nx_pbkdf2.h",
    "nx_base64.h",
    "nx_pop3_reply.h",
    "nx_pop3_auth.h",
    "nx_pop3_body.h",
    "nx_transport_posix.h",
    "nx_transport_scripted.h",
    "nx_transport_callback.h",
)

# An object-like macro: "#define NX_NAME value" (a function-like macro has "(" after the name).
_DEFINE = re.compile(r"^#define[ \t]+(NX_\w+)[ \t]+(\S.*)$")
_IFNDEF = re.compile(r"^#ifndef[ \t]+(\w+)")
_INTEGER = re.compile(r"\b(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*\b")
_CAST = re.compile(r"\(\s*(?:UINT|ULONG|ULONG64|INT|LONG|UCHAR|CHAR|USHORT)\s*\)")


class Constant(NamedTuple):
    """One ``#define``: its value, where it is, and its trailing comment."""

    name: str
    value: int
    header: str
    # Paragraph of the header (lines between blank lines), numbered from 0:
    # constants that belong together are written together.
    paragraph: int
    comment: str


class _Define(NamedTuple):
    name: str
    text: str  # the value as written, comment removed
    header: str
    paragraph: int
    comment: str
    guarded: bool  # under "#ifndef NAME": a -D of the build wins


def _bindable(define: _Define) -> bool:
    """An integer constant, not a pointer, a sizeof-based size or a string."""
    return not any(t in define.text for t in ("VOID", "*", "sizeof", "\\", '"'))


def _comment_from(lines: list[str], start: int, rest: str) -> tuple[str, int]:
    """The text of the comment that opens in ``rest`` (line ``start``), and the
    index of the line it ends on."""
    body = rest.split("/*", 1)[1]
    parts = []
    index = start
    while "*/" not in body and index + 1 < len(lines):
        parts.append(body)
        index += 1
        body = lines[index].strip()
        if not body.startswith("*/"):
            body = body.removeprefix("*")
    parts.append(body.split("*/", 1)[0])
    return " ".join(" ".join(parts).split()), index


def _defines(text: str, header: str) -> Iterable[_Define]:
    lines = text.splitlines()
    paragraph = 0
    guard: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        if not line:
            paragraph += 1
        match = _DEFINE.match(line)
        if match:
            name, rest = match.groups()
            comment = ""
            value = rest
            if "/*" in rest:
                value = rest.split("/*", 1)[0]
                comment, index = _comment_from(lines, index, rest)
            value = value.split("//", 1)[0].strip()
            yield _Define(name, value, header, paragraph, comment, guard == name)
        ifndef = _IFNDEF.match(line)
        guard = ifndef.group(1) if ifndef else None
        index += 1


_BINARY: dict[type[ast.operator], Callable[[int, int], int]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.floordiv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift,
    ast.BitOr: operator.or_, ast.BitAnd: operator.and_, ast.BitXor: operator.xor,
}
_UNARY: dict[type[ast.unaryop], Callable[[int], int]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert,
}


def evaluate(text: str, known: Mapping[str, int]) -> int | None:
    """The value of a C integer constant expression of literals, casts, arithmetic
    and constants already known, or None when it is anything else."""
    expression = _INTEGER.sub(lambda m: str(int(m.group(1), 0)), _CAST.sub("", text))
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return None

    def value(node: ast.AST) -> int:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name) and node.id in known:
            return known[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](value(node.operand))
        raise ValueError(ast.dump(node))

    try:
        return value(tree.body)
    except (ValueError, ZeroDivisionError):
        return None


def _find(header: str, include_dirs: Iterable[Path]) -> Path:
    for directory in include_dirs:
        if (directory / header).is_file():
            return directory / header
    raise FileNotFoundError(f"{header} not found in {[str(d) for d in include_dirs]}")


def bindable_names(include_dirs: Iterable[Path]) -> list[str]:
    """The names of every integer constant of ``HEADERS``, first definition first
    (what the cffi extension declares)."""
    dirs = list(include_dirs)
    names: list[str] = []
    for header in HEADERS:
        text = _find(header, dirs).read_text(encoding="utf-8")
        for define in _defines(text, header):
            if _bindable(define) and define.name not in names:
                names.append(define.name)
    return names


def scan(include_dirs: Iterable[Path], defines: Mapping[str, str] | None = None) -> list[Constant]:
    """Every integer constant of ``HEADERS`` that evaluates, in header order.

    ``defines`` are the build's ``-D NAME=VALUE``: they replace a default written
    under ``#ifndef NAME``, as the compiler does.
    """
    dirs = list(include_dirs)
    overrides = dict(defines or {})
    known: dict[str, int] = {}
    out: list[Constant] = []
    for header in HEADERS:
        text = _find(header, dirs).read_text(encoding="utf-8")
        for define in _defines(text, header):
            if not _bindable(define) or define.name in known:
                continue
            written = overrides[define.name] if define.guarded and define.name in overrides \
                else define.text
            value = evaluate(written, known)
            if value is None:
                continue
            known[define.name] = value
            out.append(Constant(define.name, value, header, define.paragraph, define.comment))
    return out


def render(constants: Iterable[Constant]) -> str:
    """The text of ``nxpop3/_header_constants.py``."""
    rows = "\n".join(f"    {tuple(c)!r}," for c in constants)
    return (
        '"""The integer constants of the C headers, read when the package was built.\n\n'
        "Generated by python/binding/generate.py; do not edit. Read them through\n"
        "``nxpop3.codes``. Each row: (name, value, header, paragraph, trailing comment).\n"
        '"""\n'
        "CONSTANTS: tuple[tuple[str, int, str, int, str], ...] = (\n"
        f"{rows}\n"
        ")\n"
    )


def checkout_include_dirs(csrc: Path | None = None) -> list[Path]:
    """The folders of ``csrc/`` that hold ``HEADERS``: by default the ``csrc/`` of the
    checkout this package runs from (none when it runs installed)."""
    if csrc is None:
        csrc = Path(__file__).resolve().parents[2] / "csrc"
    return sorted({path.parent for header in HEADERS for path in csrc.rglob(header)})
