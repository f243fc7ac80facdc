"""`nnlint verify --format json`: {"models": [...], "summary": {...}}, one object per model."""

from __future__ import annotations

import json

from nnlint.verify.result import VerifyResult


def render(result: VerifyResult) -> str:
    return json.dumps(result.to_dict(), indent=2) + "\n"
