"""What a run did besides its findings, for the reports' summary lines."""

from dataclasses import dataclass


@dataclass
class RunSummary:
    files: int = 0
    fixed: int = 0  # findings removed by --fix
    fixed_files: int = 0
