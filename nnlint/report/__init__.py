"""Findings in, text out: one module per output format."""

from __future__ import annotations

import sys
from typing import Mapping, Optional, Sequence

from nnlint.config import ConfigError
from nnlint.finding import Finding
from nnlint.report.summary import RunSummary

# "text" is "full" on a terminal and "concise" otherwise (the CLI decides which).
FORMATS = ("text", "full", "concise", "json", "github", "sarif")
__all__ = ["FORMATS", "RunSummary", "emit", "render"]


def render(fmt: str, findings: Sequence[Finding], summary: RunSummary, *,
           sources: Optional[Mapping[str, str]] = None, color: bool = False,
           quiet: bool = False) -> str:
    """`sources` (path -> text) feeds full output's source lines; `color` and `quiet` only
    shape the text formats: machine formats are always plain and complete."""
    from importlib import import_module

    if fmt in ("text", "full", "concise"):
        from nnlint.report import text

        return text.render(findings, summary, full=fmt == "full", sources=sources, color=color,
                           quiet=quiet)
    return import_module(f"nnlint.report.{fmt}").render(findings, summary)


def emit(output: str, output_file: Optional[str], flag: str = "--output-file") -> None:
    """Write a rendered report to `output_file` (named by `flag` in the error), else stdout."""
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8") as handle:
                handle.write(output)
        except OSError as exc:
            raise ConfigError(f"{flag} {output_file}: {exc.strerror}") from None
    else:
        sys.stdout.write(output)
