"""The one type every room speaks: a Finding, and the Fix a rule may attach to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional, Tuple

import libcst as cst


class Severity(str, Enum):
    ERROR = "E"  # a definite bug
    WARNING = "W"  # a likely bug or a hazard
    STYLE = "S"  # style, off unless selected

    @property
    def label(self) -> str:
        return {"E": "error", "W": "warning", "S": "style"}[self.value]


@dataclass(frozen=True)
class Fix:
    """Replace `old` (a node of the file's CST, by identity) with `new`.

    A fix with several replacements applies them all or none.
    """

    replacements: Tuple[Tuple[cst.CSTNode, cst.CSTNode], ...]
    description: str = ""

    @classmethod
    def replace(cls, old: cst.CSTNode, new: cst.CSTNode, description: str = "") -> "Fix":
        return cls(((old, new),), description)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int  # 1-based
    column: int  # 1-based
    end_line: int
    end_column: int
    code: str
    name: str
    severity: Severity
    message: str
    fixable: bool = False
    suggestion: str = ""  # the one-line fix advice shown under the finding
    fix: Optional[Fix] = field(default=None, compare=False, repr=False)

    @property
    def sort_key(self):
        return (self.path, self.line, self.column, self.code)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "fixable": self.fixable,
            "suggestion": self.suggestion,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        severity = {"error": Severity.ERROR, "warning": Severity.WARNING, "style": Severity.STYLE}
        return cls(
            path=data["path"], line=data["line"], column=data["column"],
            end_line=data["end_line"], end_column=data["end_column"], code=data["code"],
            name=data["name"], severity=severity[data["severity"]], message=data["message"],
            fixable=data["fixable"], suggestion=data.get("suggestion", ""),
        )
