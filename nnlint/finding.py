"""The one type every room speaks: a Finding, and the Fix that may come with it.

A Fix is plain data: text edits, how safe they are, and what they do. Rules build fixes on
the syntax tree (nnlint.fix.TreeFix); the engine turns each into edits on the file's text, so
everything downstream (the CLI's --fix, JSON and SARIF output, the cache, an editor's quick
fix, a notebook cell) reads the same edits and needs no syntax tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional, Tuple


class Severity(str, Enum):
    ERROR = "E"  # a definite bug
    WARNING = "W"  # a likely bug or a hazard
    STYLE = "S"  # style, off unless selected

    @property
    def label(self) -> str:
        return {"E": "error", "W": "warning", "S": "style"}[self.value]


class Applicability(str, Enum):
    """How safe a fix is, as in ruff.

    SAFE: the code keeps its meaning, or changes only in what the finding reports and in
    nothing other code could rely on; `--fix` applies it.
    UNSAFE: the fix is what the finding asks for, but it changes behaviour that other code
    may depend on (what a checkpoint holds, what a hook receives, what eval() returns);
    applied only with `--unsafe-fixes`.
    DISPLAY_ONLY: shown as a suggestion, never applied.
    """

    SAFE = "safe"
    UNSAFE = "unsafe"
    DISPLAY_ONLY = "display-only"


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) up to, not including, (end_line, end_column) with
    `content`.

    Lines and columns are 1-based, as a Finding's. A column counts characters (code points,
    not bytes nor UTF-16 units) from the start of its line; lines are split at `\\n`, `\\r\\n`
    and `\\r`, as Python does, so (line + 1, 1) is the start of the next line, just after the
    break. An insertion has its start equal to its end; a deletion has empty `content`.
    `content` uses the file's own line breaks.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    content: str
    cell: Optional[int] = None  # in a notebook, the cell the lines are counted in

    @property
    def start(self) -> Tuple[int, int]:
        return (self.line, self.column)

    @property
    def end(self) -> Tuple[int, int]:
        return (self.end_line, self.end_column)

    def to_dict(self) -> dict:
        cell = {"cell": self.cell} if self.cell is not None else {}
        return {"line": self.line, "column": self.column, "end_line": self.end_line,
                "end_column": self.end_column, "content": self.content, **cell}

    @classmethod
    def from_dict(cls, data: dict) -> "Edit":
        return cls(data["line"], data["column"], data["end_line"], data["end_column"], data["content"],
                   data.get("cell"))


@dataclass(frozen=True)
class Fix:
    """A finding's fix: `edits` (sorted, never overlapping) apply all together or not at all,
    to the text the finding was found in; `description` says what they do
    ("wrap in nn.ModuleList")."""

    description: str
    applicability: Applicability
    edits: Tuple[Edit, ...]

    def applies(self, unsafe_fixes: bool = False) -> bool:
        """Would `--fix` apply it (with `--unsafe-fixes` when `unsafe_fixes`)?"""
        return self.applicability is Applicability.SAFE or (
            unsafe_fixes and self.applicability is Applicability.UNSAFE)

    def to_dict(self) -> dict:
        return {"applicability": self.applicability.value, "message": self.description,
                "edits": [edit.to_dict() for edit in self.edits]}

    @classmethod
    def from_dict(cls, data: dict) -> "Fix":
        return cls(data["message"], Applicability(data["applicability"]),
                   tuple(Edit.from_dict(edit) for edit in data["edits"]))


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
    suggestion: str = ""  # the rule's one-line fix advice shown under the finding
    fix: Optional[Fix] = None
    # In a notebook: the cell (1-based, every cell counted), which line and column are relative
    # to, and where that position is in the file's own text (its JSON), for annotations.
    cell: Optional[int] = None
    file_line: Optional[int] = None
    file_column: Optional[int] = None

    @property
    def sort_key(self):
        return (self.path, self.cell or 0, self.line, self.column, self.code)

    def fixable(self, unsafe_fixes: bool = False) -> bool:
        """Would `--fix` fix it (with `--unsafe-fixes` when `unsafe_fixes`)?"""
        return self.fix is not None and self.fix.applies(unsafe_fixes)

    def to_dict(self, unsafe_fixes: bool = False) -> dict:
        """The JSON shape; `fixable` says whether `--fix` (with `--unsafe-fixes` when
        `unsafe_fixes`) applies the fix."""
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
            "fixable": self.fixable(unsafe_fixes),
            "suggestion": self.suggestion,
            "fix": self.fix.to_dict() if self.fix is not None else None,
            "cell": self.cell,
            **({"file_line": self.file_line, "file_column": self.file_column} if self.cell is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        severity = {"error": Severity.ERROR, "warning": Severity.WARNING, "style": Severity.STYLE}
        fix = data.get("fix")
        return cls(
            path=data["path"], line=data["line"], column=data["column"],
            end_line=data["end_line"], end_column=data["end_column"], code=data["code"],
            name=data["name"], severity=severity[data["severity"]], message=data["message"],
            suggestion=data.get("suggestion", ""), fix=Fix.from_dict(fix) if fix else None,
            cell=data.get("cell"), file_line=data.get("file_line"), file_column=data.get("file_column"),
        )
