"""--diff: the fixes as a unified diff per file, and how many files would change."""

from __future__ import annotations

import difflib
from typing import Sequence, Tuple

from nnlint.report.summary import plural


def render(changes: Sequence[Tuple[str, str, str]], quiet: bool = False, hidden: int = 0) -> str:
    """`changes`: (path, text before, text after) of each file a fix changes; `hidden`: how
    many unsafe fixes were left out (without --unsafe-fixes)."""
    output = "".join(unified_diff(path, before, after) for path, before, after in changes)
    if not quiet:
        more = f" {hidden} unsafe fix{'es' if hidden != 1 else ''} not shown (--unsafe-fixes)." if hidden else ""
        if changes:
            output += f"\nWould fix {plural(len(changes), 'file')}.{more}\n"
        elif hidden:
            output += f"No safe fixes.{more}\n"
    return output


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}",
    ))
