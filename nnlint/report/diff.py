"""--diff: the fixes as a unified diff per file, and how many files would change."""

from __future__ import annotations

import difflib
from typing import Sequence, Tuple

from nnlint.report.summary import plural


def render(changes: Sequence[Tuple[str, str, str]], quiet: bool = False) -> str:
    """`changes`: (path, text before, text after) of each file a fix changes."""
    output = "".join(unified_diff(path, before, after) for path, before, after in changes)
    if changes and not quiet:
        output += f"\nWould fix {plural(len(changes), 'file')}.\n"
    return output


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True),
        fromfile=f"a/{path}", tofile=f"b/{path}",
    ))
