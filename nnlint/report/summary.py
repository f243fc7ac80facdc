"""What a run did besides its findings, and the words that count it in summary lines."""

from dataclasses import dataclass


@dataclass
class RunSummary:
    files: int = 0
    fixed: int = 0  # findings removed by --fix
    fixed_files: int = 0
    unsafe_fixes: bool = False  # --unsafe-fixes: unsafe fixes count as fixable
    missing: int = 0  # paths given that do not exist (said on stderr; the run exits 2)


def plural(count: int, word: str) -> str:
    """`1 file`, `3 files`."""
    return f"{count} {word}{'s' if count != 1 else ''}"
