"""A JSON array of findings."""

from __future__ import annotations

import json
from typing import Sequence

from nnlint.finding import Finding
from nnlint.report.summary import RunSummary


def render(findings: Sequence[Finding], summary: RunSummary) -> str:
    return json.dumps([f.to_dict(summary.unsafe_fixes) for f in findings], indent=2) + "\n"
