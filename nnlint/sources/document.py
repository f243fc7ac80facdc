"""What a reader gives the engine: a Document (the program, the map back to the file, the
fixed program put back), made of Units (the stretches of the file that hold Python)."""

from __future__ import annotations

import ast
import bisect
import difflib
import sys
from dataclasses import dataclass
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from nnlint.finding import Edit
from nnlint.positions import NEWLINE

# The line before each unit of a notebook's or Markdown file's program: it marks where the
# units start, so that a fixed program splits back into them.
SEPARATOR = "# nnlint: unit {}"
# What a unit that does not parse gets; the codes are the engine's (rules/nn000, nn002).
SYNTAX_ERROR, TOO_DEEP = "NN000", "NN002"


class Location(NamedTuple):
    cell: Optional[int]  # a notebook's cell, 1-based, every cell counted; None elsewhere
    line: int  # 1-based, in the cell (notebooks) or the file
    column: int  # 1-based


class DocumentError(Exception):
    """The file is not what its suffix says (a notebook that is not nbformat 4 JSON): NN000."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


@dataclass
class Problem:
    """A unit that could not be put in the program, where and why."""

    code: str
    message: str
    location: Location


@dataclass
class Unit:
    """A stretch of the file that holds Python: a code cell, or a Markdown code block."""

    cell: Optional[int]
    first_line: int  # the line of `original[0]`: in the cell (notebooks) or in the file
    original: List[str]  # the unit's lines as written, without line breaks
    python: List[str]  # what the engine sees, line for line (IPython syntax neutralised)
    cuts: List[int]  # per line: characters cut from the original's start (a fence's indentation)
    prefix: Optional[str] = ""  # what a line a fix adds starts with (None: no fix is put back)
    ends_with_break: bool = True  # the last line is followed by a line break (in the cell)

    def is_code(self, index: int) -> bool:
        """Whether line `index` is the unit's own Python, not a line we replaced or blanked."""
        return self.original[index][self.cuts[index]:] == self.python[index]

    def restore(self, fixed: List[str]) -> Optional[List[str]]:
        """The unit's lines as written, with the changes a fix made to its Python lines; None
        when a changed line is one of our own (a magic, a prompt, an option line)."""
        if self.prefix is None:
            return None
        out: List[str] = []
        matcher = difflib.SequenceMatcher(None, self.python, fixed, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                out += self.original[i1:i2]
                continue
            if not all(self.is_code(i) for i in range(i1, i2)):
                return None
            out += [self.prefix + line if line else line for line in fixed[j1:j2]]
        return out


class Document:
    """A file as the engine sees it. This base class is a Python file: its own program."""

    kind = "python"

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.units: List[Unit] = []
        self.problems: List[Problem] = []
        self.python = text
        self._lines = len(NEWLINE.split(text))

    def locate(self, line: int, column: int) -> Optional[Location]:
        return Location(None, line, column) if 1 <= line <= self._lines else None

    def rewrite(self, python: str) -> Optional[str]:
        return python

    def place_edit(self, edit: Edit) -> Optional[Edit]:
        """A fix's edit of the program as an edit of the file (a notebook's: of a cell's text);
        None when it cannot be one."""
        return edit

    def file_position(self, location: Location) -> Optional[Tuple[int, int]]:
        """Where a location of a cell is in the file's own text (a notebook's JSON); None
        where the location's line and column already are the file's."""
        return None

    def sources(self) -> Dict[Optional[int], str]:
        """The text of each cell (None: the whole file), for showing a finding's lines."""
        return {None: self.text}


class UnitDocument(Document):
    """A file whose Python is in units (cells, code blocks): the program is the units in
    order, each after a separator line."""

    def __init__(self, path: str, text: str, units: Sequence[Unit]):
        super().__init__(path, text)
        self.units = []
        for unit in units:
            if not any(line.strip() for line in unit.python):
                continue  # nothing to check (a cell of magics, a block of output)
            problem = _parse_problem(unit)
            if problem is None:
                self.units.append(unit)
            else:
                self.problems.append(problem)
        lines: List[str] = []
        self._starts: List[int] = []  # the program's line of each unit's first line
        for number, unit in enumerate(self.units, start=1):
            lines.append(SEPARATOR.format(number))
            self._starts.append(len(lines) + 1)
            lines += unit.python
        self.python = "".join(line + "\n" for line in lines)

    def locate(self, line: int, column: int) -> Optional[Location]:
        index = bisect.bisect_right(self._starts, line) - 1
        if index < 0:
            return None
        unit = self.units[index]
        offset = line - self._starts[index]
        if offset >= len(unit.python):
            return None
        return Location(unit.cell, unit.first_line + offset, column + unit.cuts[offset])

    def place_edit(self, edit: Edit) -> Optional[Edit]:
        start, end = self._edit_point(edit.line, edit.column), self._edit_point(edit.end_line, edit.end_column)
        if start is None or end is None or start[0] is not end[0] or start[0].prefix is None:
            return None
        unit, first, last = start[0], start[1], end[1] if edit.end_column > 1 else end[1] - 1
        if not all(unit.is_code(i) for i in range(first, min(last, len(unit.python) - 1) + 1)):
            return None
        content = edit.content.replace("\n", "\n" + unit.prefix) if unit.prefix else edit.content
        return Edit(*start[2:], *end[2:], content, unit.cell)

    def _edit_point(self, line: int, column: int):
        """(unit, line index in it, line and column in the file or cell) of a point of the
        program, the start of the line after a unit included; None outside the units."""
        index = bisect.bisect_right(self._starts, line) - 1
        if index < 0:
            return None
        unit = self.units[index]
        offset = line - self._starts[index]
        if offset < len(unit.python):
            return unit, offset, unit.first_line + offset, column + unit.cuts[offset]
        if offset == len(unit.python) and column == 1 and unit.ends_with_break:
            return unit, offset, unit.first_line + offset, 1 + len(unit.prefix or "")
        return None

    def rewrite(self, python: str) -> Optional[str]:
        fixed = self.split(python)
        if fixed is None:
            return None
        changed = {}
        for unit, lines in zip(self.units, fixed):
            if lines != unit.python:
                restored = unit.restore(lines)
                if restored is None:
                    return None
                changed[id(unit)] = restored
        if not changed:
            return self.text
        return self.put_back([(unit, changed[id(unit)]) for unit in self.units if id(unit) in changed])

    def split(self, python: str) -> Optional[List[List[str]]]:
        """The fixed program's lines per unit; None if its separators are not all there, in order."""
        lines = NEWLINE.split(python)
        if lines and lines[-1] == "":
            lines.pop()
        marks = [i for i, line in enumerate(lines) if line.startswith("# nnlint: unit ")]
        if [lines[i] for i in marks] != [SEPARATOR.format(n) for n in range(1, len(self.units) + 1)]:
            return None
        if self.units and marks[0] != 0:
            return None
        ends = marks[1:] + [len(lines)]
        return [lines[start + 1:end] for start, end in zip(marks, ends)]

    def put_back(self, changed: List[Tuple[Unit, List[str]]]) -> Optional[str]:
        raise NotImplementedError


def _parse_problem(unit: Unit) -> Optional[Problem]:
    """Why a unit cannot join the program (it does not parse on its own), or None."""
    depth_allowed = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000)  # as the engine's gate: CPython refuses too-deep trees early
    try:
        ast.parse("".join(line + "\n" for line in unit.python))
    except SyntaxError as error:
        line = min(max(error.lineno or 1, 1), len(unit.python))
        column = (error.offset or 1) + unit.cuts[line - 1]
        return Problem(SYNTAX_ERROR, f"syntax error: {error.msg}",
                       Location(unit.cell, unit.first_line + line - 1, column))
    except (RecursionError, MemoryError):
        return Problem(TOO_DEEP, "too deeply nested to analyse", Location(unit.cell, unit.first_line, 1))
    except ValueError as error:  # a NUL character
        return Problem(SYNTAX_ERROR, f"syntax error: {error}", Location(unit.cell, unit.first_line, 1))
    finally:
        sys.setrecursionlimit(depth_allowed)
    return None


