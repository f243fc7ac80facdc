"""IPython syntax in notebook cells and tutorial code blocks, made into plain Python without
moving any other code: each line keeps its number, and code keeps its columns.

- A cell magic on the first line (`%%time`): for magics whose body is Python (CELL_MAGICS_PYTHON:
  `%%time`, `%%capture`, ...) the magic's line is emptied and the rest is kept; any other
  (`%%bash`, `%%writefile`, `%%html`) makes the whole cell not Python (`python_cell` says None).
- A line magic (`%matplotlib inline`), a shell escape (`!pip install x`), help (`?obj`,
  `obj??`) and IPython's auto-call prefixes (`/f x`, `,f a b`, `;f a b`) become `pass` at the
  line's indentation; continued with a trailing backslash, the following lines become empty.
- An assignment from one (`files = !ls`, `t = %timeit -o f()`) keeps its target: `files = None`.

Only lines where a statement starts are looked at (not inside a string, brackets or a
backslash continuation), and only what Python itself could never parse is changed.
"""

from __future__ import annotations

import re
from typing import List, Optional

# Cell magics whose body is Python run in the kernel (or a Python subprocess).
CELL_MAGICS_PYTHON = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3",
                                "pypy", "memit", "heat", "snakeviz", "tensorflow_version"})

_CELL_MAGIC = re.compile(r"\s*%%(\w+)")
_ESCAPE = re.compile(r"[ \t]*(?:%|!|\?|/(?=[A-Za-z_])|[,;](?=[A-Za-z_]))")
# `name = %magic ...`, `a, b = !cmd`: the target is kept (it binds a name), the escape goes.
_ASSIGNED_ESCAPE = re.compile(r"([ \t]*[A-Za-z_][\w.]*(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*)*[ \t]*=[ \t]*)(?:%|!)(?!=)")


def python_cell(lines: List[str]) -> Optional[List[str]]:
    """The cell's lines as plain Python (line for line), or None when a cell magic makes the
    cell something else (`%%bash`). Lines have no line breaks."""
    if lines:
        magic = _CELL_MAGIC.match(lines[0])
        if magic:
            if magic.group(1) not in CELL_MAGICS_PYTHON:
                return None
            lines = [""] + lines[1:]
    return neutralise(lines)


def neutralise(lines: List[str]) -> List[str]:
    """Lines with IPython's line-level syntax replaced (see the module's docstring)."""
    out = list(lines)
    scanner = _Scanner()
    continued = False  # the previous line was an escape ending in a backslash
    for number, line in enumerate(lines):
        at_statement = scanner.at_statement_start()
        if continued:
            out[number] = ""
            continued = line.rstrip().endswith("\\")
            continue
        if at_statement:
            replaced = _replace_escape(line)
            if replaced is not None:
                out[number] = replaced
                continued = line.rstrip().endswith("\\")
                continue
        scanner.feed(line)
    return out


def _replace_escape(line: str) -> Optional[str]:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    indent = line[:len(line) - len(line.lstrip())]
    assigned = _ASSIGNED_ESCAPE.match(line)
    if assigned:
        return assigned.group(1) + "None"
    if _ESCAPE.match(line):
        return indent + "pass"
    if _without_comment(line).rstrip().endswith("?"):  # `obj?`, `obj??`: help
        return indent + "pass"
    return None


def _without_comment(line: str) -> str:
    """The line up to a `#` that is not inside a string (a one-line approximation)."""
    quote = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
        index += 1
    return line


class _Scanner:
    """Enough of Python's tokenizer to know whether the next line starts a statement: open
    brackets, strings (triple-quoted ones span lines) and backslash continuations."""

    def __init__(self):
        self.depth = 0
        self.quote: Optional[str] = None  # the open triple quote, if any
        self.continued = False

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def feed(self, line: str) -> None:
        index, size = 0, len(line)
        self.continued = False
        while index < size:
            if self.quote:
                end = line.find(self.quote, index)
                while end != -1 and _escaped(line, end):
                    end = line.find(self.quote, end + 1)
                if end == -1:
                    return
                index = end + len(self.quote)
                self.quote = None
                continue
            char = line[index]
            if char == "#":
                return
            if char in "'\"":
                triple = line[index:index + 3]
                if triple in ("'''", '"""'):
                    self.quote = triple
                    index += 3
                    continue
                end = index + 1
                while end < size and line[end] != char:
                    end += 2 if line[end] == "\\" else 1
                index = end + 1
                continue
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            elif char == "\\" and index == size - 1:
                self.continued = True
            index += 1


def _escaped(line: str, index: int) -> bool:
    backslashes = 0
    while index - 1 - backslashes >= 0 and line[index - 1 - backslashes] == "\\":
        backslashes += 1
    return backslashes % 2 == 1
