"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request."""

from __future__ import annotations

from typing import Sequence

from nnlint.finding import Finding, Severity
from nnlint.report.summary import RunSummary

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.STYLE: "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(findings: Sequence[Finding], summary: RunSummary) -> str:
    """One annotation per finding. A notebook's finding is placed where its code is in the
    notebook's JSON text (the line a pull request's diff shows), its cell, line and column in
    the cell named in the message."""
    lines = []
    for f in findings:
        if f.cell is None:
            where = [f"line={f.line}", f"col={f.column}", f"endLine={f.end_line}", f"endColumn={f.end_column}"]
            text = f"{f.code} {f.message}"
        else:
            where = [f"line={f.file_line or 1}", f"col={f.file_column or 1}"]
            text = f"{f.code} cell {f.cell}:{f.line}:{f.column}: {f.message}"
        properties = ",".join([f"file={_escape_property(f.path)}", *where, f"title={f.code}"])
        lines.append(f"::{LEVELS[f.severity]} {properties}::{_escape_data(text)}")
    return "\n".join(lines) + ("\n" if lines else "")
