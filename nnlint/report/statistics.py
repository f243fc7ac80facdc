"""--statistics: findings per code, most frequent first, like `ruff --statistics`."""

from __future__ import annotations

import json
from typing import Sequence

from nnlint.finding import Finding


def render(findings: Sequence[Finding], as_json: bool = False, unsafe_fixes: bool = False) -> str:
    """One line per code (count, code, name, `[*]` if --fix fixes some, with --unsafe-fixes
    when `unsafe_fixes`), or a JSON list with `as_json`."""
    counts = {}
    for f in findings:
        counts.setdefault(f.code, [0, f.name, 0])
        counts[f.code][0] += 1
        counts[f.code][2] += f.fixable(unsafe_fixes)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    if as_json:
        return json.dumps([{"code": code, "name": name, "count": n, "fixable": fixable > 0}
                           for code, (n, name, fixable) in rows], indent=2) + "\n"
    lines = [f"{n:>5}  {code}  {name}{'  [*]' if fixable else ''}" for code, (n, name, fixable) in rows]
    return "\n".join(lines) + ("\n" if lines else "")
