"""SARIF 2.1.0, the format GitHub code scanning ingests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence
from urllib.parse import quote

from nnlint import __version__
from nnlint.finding import Applicability, Finding, Fix, Severity
from nnlint.report.summary import RunSummary
from nnlint.rules import all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.STYLE: "note"}


def _uri(path: str) -> str:
    """A URI relative to the working directory (the repository root in CI), which is what code
    scanning resolves; a file outside it gets an absolute file:// URI."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    if relative == ".." or relative.startswith(".." + os.sep) or os.path.isabs(relative):
        return Path(absolute).as_uri()
    return quote(Path(relative).as_posix())


def _region(line: int, column: int, end_line: int, end_column: int) -> dict:
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def _fix(path: str, fix: Fix) -> dict:
    """A SARIF fix: the edits as replacements (an insertion deletes an empty region)."""
    note = "" if fix.applicability is Applicability.SAFE else f" ({fix.applicability.value} fix: review it)"
    return {
        "description": {"text": fix.description + note},
        "artifactChanges": [{
            "artifactLocation": {"uri": _uri(path)},
            "replacements": [{
                "deletedRegion": _region(edit.line, edit.column, edit.end_line, edit.end_column),
                "insertedContent": {"text": edit.content},
            } for edit in fix.edits],
        }],
    }


def _result(f: Finding, rule_index: int) -> dict:
    """A finding as a SARIF result. A notebook's finding is located where its code is in the
    notebook's JSON text, names its cell, line and column in the cell in the message and in
    `properties` (cell, cellLine, cellColumn), and carries no fix (its edits are on the cell's
    text, not on the JSON's)."""
    if f.cell is None:
        region = _region(f.line, f.column, f.end_line, f.end_column)
        message = f.message
    else:
        region = {"startLine": f.file_line or 1, "startColumn": f.file_column or 1}
        message = f"cell {f.cell}:{f.line}:{f.column}: {f.message}"
    result = {
        "ruleId": f.code,
        "ruleIndex": rule_index,
        "level": LEVELS[f.severity],
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(f.path)}, "region": region}}],
    }
    if f.cell is not None:
        result["properties"] = {"cell": f.cell, "cellLine": f.line, "cellColumn": f.column}
    elif f.fix is not None:
        result["fixes"] = [_fix(f.path, f.fix)]
    return result


def render(findings: Sequence[Finding], summary: RunSummary) -> str:
    rules = all_rules()
    used = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(used)}
    descriptors = []
    for code in used:
        rule = rules.get(code)
        descriptors.append({
            "id": code,
            "name": rule.name if rule else code,
            "shortDescription": {"text": rule.summary if rule else code},
            "fullDescription": {"text": rule.documentation() if rule else code},
            "help": {"text": rule.suggestion if rule else ""},
            "defaultConfiguration": {"level": LEVELS[rule.severity] if rule else "error"},
        })
    results = [_result(f, index[f.code]) for f in findings]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "nnlint", "version": __version__,
                                "informationUri": "https://pypi.org/project/nnlint/",
                                "rules": descriptors}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(document, indent=2) + "\n"
