"""Findings in, text out: one module per output format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from nnlint.finding import Finding

FORMATS = ("text", "concise", "json", "github", "sarif")


@dataclass
class RunSummary:
    files: int = 0
    fixed: int = 0  # findings removed by --fix
    fixed_files: int = 0


def render(fmt: str, findings: Sequence[Finding], summary: RunSummary) -> str:
    from importlib import import_module

    module = import_module(f"nnlint.report.{'text' if fmt == 'concise' else fmt}")
    return module.render(findings, summary)
