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
    lines = []
    for f in findings:
        properties = ",".join([
            f"file={_escape_property(f.path)}", f"line={f.line}", f"col={f.column}",
            f"endLine={f.end_line}", f"endColumn={f.end_column}", f"title={f.code}",
        ])
        lines.append(f"::{LEVELS[f.severity]} {properties}::{_escape_data(f'{f.code} {f.message}')}")
    return "\n".join(lines) + ("\n" if lines else "")
