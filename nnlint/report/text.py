"""`path:line:col: CODE message` lines, then a summary, like ruff and flake8."""

from __future__ import annotations

from typing import Sequence

from nnlint.finding import Finding
from nnlint.report import RunSummary


def format_line(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}"


def summary_line(findings: Sequence[Finding], summary: RunSummary) -> str:
    fixable = sum(f.fixable for f in findings)
    if not findings:
        return f"Fixed {_problems(summary.fixed)}, 0 remaining." if summary.fixed else "All checks passed!"
    head = f"Found {_problems(len(findings) + summary.fixed)}"
    if summary.fixed:
        head += f" ({summary.fixed} fixed, {len(findings)} remaining)"
    tail = f" ({fixable} fixable with --fix)" if fixable else ""
    return f"{head}.{tail}" if summary.fixed else f"{head}{tail}."


def _problems(count: int) -> str:
    return f"{count} problem{'s' if count != 1 else ''}"


def render(findings: Sequence[Finding], summary: RunSummary) -> str:
    lines = [format_line(f) for f in findings]
    lines.append(summary_line(findings, summary))
    return "\n".join(lines) + "\n"
