"""--diff: the fixes as a unified diff per file, and how many files would change."""

from __future__ import annotations

import difflib
from typing import Sequence, Tuple

from nnlint.report.summary import plural


def render(changes: Sequence[Sequence[Tuple[str, str, str]]], quiet: bool = False, hidden: int = 0) -> str:
    """`changes`: for each file a fix changes, its pieces as (label, text before, text after):
    the whole file (labelled by its path), or a notebook's changed cells (`nb.ipynb:cell 3`);
    `hidden`: how many unsafe fixes were left out (without --unsafe-fixes)."""
    output = "".join(unified_diff(label, before, after) for pieces in changes for label, before, after in pieces)
    if not quiet:
        more = f" {hidden} unsafe fix{'es' if hidden != 1 else ''} not shown (--unsafe-fixes)." if hidden else ""
        if changes:
            output += f"\nWould fix {plural(len(changes), 'file')}.{more}\n"
        elif hidden:
            output += f"No safe fixes.{more}\n"
    return output


def unified_diff(path: str, before: str, after: str) -> str:
    """As `diff -u` writes it, a last line without a line break marked as such."""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
