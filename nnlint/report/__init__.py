"""Findings in, text out: one module per output format."""

from __future__ import annotations

import sys
from typing import Mapping, Optional, Sequence

from nnlint.config import ConfigError
from nnlint.finding import Finding
from nnlint.report.summary import RunSummary

# "text" is "full" on a terminal and "concise" otherwise (the CLI decides which).
FORMATS = ("text", "full", "concise", "json", "github", "sarif")
__all__ = ["FORMATS", "RunSummary", "emit", "render", "write_stdout"]


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
        write_stdout(output)


def write_stdout(output) -> None:
    """Write text (or bytes) to stdout and flush it. A stdout that cannot take it (a full disk,
    /dev/full, a closed descriptor) is a ConfigError (exit 2, one line), not a traceback; the
    reader leaving (BrokenPipeError) is the caller's to take."""
    import os

    if sys.stdout is None:  # started with its descriptor closed
        raise ConfigError("cannot write the report to stdout: it is closed")
    try:
        if isinstance(output, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(output)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(output)
            sys.stdout.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:  # ValueError: stdout closed
        try:  # what is still buffered goes nowhere, so the exit does not fail a second time
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        raise ConfigError(f"cannot write the report to stdout: {getattr(exc, 'strerror', None) or exc}") from None
