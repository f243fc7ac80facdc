"""Findings for people: `path:line:col: CODE message`, like ruff and flake8.

Two shapes. *concise*: that header line alone, one per finding (what editors, grep and CI logs
want). *full*: the same header, then the source line with a caret under the span, a line of
context either side, and the fix advice (`= help: [*] ...` when `--fix` can apply it). Both end
with a summary line unless quiet. The header line is identical in both, and without colour it
is exactly what editors' problem matchers parse.
"""

from __future__ import annotations

import unicodedata
from typing import List, Mapping, Optional, Sequence, Tuple

from nnlint.finding import Applicability, Finding, Severity
from nnlint.positions import NEWLINE
from nnlint.report.style import Painter
from nnlint.report.summary import RunSummary, plural

_SEVERITY_STYLE = {Severity.ERROR: ("bold", "red"), Severity.WARNING: ("bold", "yellow"),
                   Severity.STYLE: ("bold", "blue")}
TAB_WIDTH = 4


def format_line(finding: Finding, paint: Optional[Painter] = None) -> str:
    """`path:line:col: CODE message`; in a notebook `path:cell N:line:col: CODE message`, the
    line and column counted in the cell (as ruff writes them)."""
    cell = f"cell {finding.cell}:" if finding.cell is not None else ""
    if paint is None or not paint.enabled:
        return f"{finding.path}:{cell}{finding.line}:{finding.column}: {finding.code} {finding.message}"
    colon = paint(":", "cyan")
    cell = f"cell {finding.cell}{colon}" if finding.cell is not None else ""
    return (f"{paint(finding.path, 'bold')}{colon}{cell}{finding.line}{colon}"
            f"{finding.column}{colon} {paint(finding.code, *_SEVERITY_STYLE[finding.severity])}"
            f" {finding.message}")


def summary_line(findings: Sequence[Finding], summary: RunSummary, marker: str = "") -> str:
    fixable = sum(f.fixable(summary.unsafe_fixes) for f in findings)
    hidden = sum(f.fixable(True) for f in findings) - fixable  # unsafe fixes not enabled
    if not findings:
        if summary.fixed:
            return f"Fixed {plural(summary.fixed, 'problem')}, 0 remaining."
        if summary.missing:  # not "All checks passed!" when a path given was never checked
            return f"No problems found in {plural(summary.files, 'file')} checked; " \
                   f"{plural(summary.missing, 'path')} not found."
        return "All checks passed!"
    head = f"Found {plural(len(findings) + summary.fixed, 'problem')}"
    if summary.fixed:
        head += f" ({summary.fixed} fixed, {len(findings)} remaining)"
    fixes = [f"{marker}{fixable} fixable with --fix"] if fixable else []
    if hidden:
        fixes.append(f"{hidden} {'more ' if fixable else ''}with --unsafe-fixes")
    tail = f" ({', '.join(fixes)})" if fixes else ""
    return f"{head}.{tail}" if summary.fixed else f"{head}{tail}."


def render(findings: Sequence[Finding], summary: RunSummary, *, full: bool = False,
           sources: Optional[Mapping[Tuple[str, Optional[int]], str]] = None, color: bool = False,
           quiet: bool = False) -> str:
    """`sources` maps a finding's (path, cell) to the text it was found in: the file's, or in
    a notebook the cell's (needed for full output; a finding whose source is missing is shown
    by its header alone)."""
    paint = Painter(color)
    lines: List[str] = []
    split = {}
    for finding in findings:
        lines.append(format_line(finding, paint))
        if full:
            where = (finding.path, finding.cell)
            if where not in split and sources and where in sources:
                split[where] = NEWLINE.split(sources[where])
            lines += _snippet(finding, split.get(where), paint, summary.unsafe_fixes)
    if not quiet:
        text = summary_line(findings, summary, "[*] " if full else "")
        if not findings:
            text = paint(text, "bold", "green")
        elif paint.enabled:
            text = paint(text, "bold")
        lines.append(text)
    return "".join(line + "\n" for line in lines)


def _snippet(finding: Finding, source_lines: Optional[List[str]], paint: Painter,
             unsafe_fixes: bool) -> List[str]:
    """The source around the finding, a caret under its span, the help and fix lines, a blank
    line."""
    out: List[str] = []
    width = 1
    if source_lines and 1 <= finding.line <= len(source_lines):
        first = max(1, finding.line - 1)
        last = min(len(source_lines), finding.line + 1)
        if last == len(source_lines) and not source_lines[-1].strip() and last > finding.line:
            last -= 1  # the empty string after the final newline is not a line
        width = len(str(last))
        gutter = paint(" " * width + " |", "bold", "blue")
        out.append(gutter)
        for number in range(first, last + 1):
            text = source_lines[number - 1].rstrip()
            out.append(f"{paint(str(number).rjust(width) + ' |', 'bold', 'blue')} {text.expandtabs(TAB_WIDTH)}".rstrip())
            if number == finding.line:
                out.append(f"{gutter} {_caret(finding, text, paint)}")
        out.append(gutter)
    indent = f"{' ' * (width + 1)}{paint('=', 'bold', 'blue')} "
    if finding.suggestion:
        out.append(f"{indent}{paint('help', 'bold')}: {finding.suggestion}")
    if finding.fix is not None:
        fix = finding.fix
        marker = paint("[*] ", "cyan") if fix.applies(unsafe_fixes) else ""
        note = {Applicability.SAFE: "",
                Applicability.UNSAFE: " (unsafe)" if unsafe_fixes else " (unsafe: applied with --unsafe-fixes)",
                Applicability.DISPLAY_ONLY: " (shown only: apply it by hand)"}[fix.applicability]
        out.append(f"{indent}{paint('fix', 'bold')}: {marker}{fix.description}{note}")
    out.append("")
    return out


def _caret(finding: Finding, line: str, paint: Painter) -> str:
    """Spaces up to the span's start, then `^` under it (to the end of the line when the span
    goes on past it), then the code."""
    start = min(max(finding.column - 1, 0), len(line))
    end = finding.end_column - 1 if finding.end_line == finding.line else len(line)
    end = max(min(end, len(line)), start)
    lead = _width(line[:start].expandtabs(TAB_WIDTH))
    span = max(1, _width(line[:end].expandtabs(TAB_WIDTH)) - lead)
    style = _SEVERITY_STYLE[finding.severity]
    return " " * lead + paint("^" * span + " " + finding.code, *style)


def _width(text: str) -> int:
    """Columns a terminal gives `text`: wide East Asian characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)
