"""Checking an edited buffer again without checking what the edit left alone (the language
server, on each change).

A whole check of a 1,000-line model file costs about a second here, most of it parsing and
walking statements the keystroke did not touch. The text is cut where its top-level statements
start; the statements before and after the edit that are unchanged keep their findings from
the last whole check (those after it moved by the lines the edit added or removed), and only
the edited statements are checked again, in the file as it is with every unchanged class and
function left out except those the edited code names, directly or through the definitions it
keeps (a base class, a factory); module-level statements (imports, aliases, constants) are
always kept. The edited statements' findings are moved back to their lines in the file.

What this can miss is what one statement learns from a statement it does not name (a
function's parameter typed from a call elsewhere in the file): the server checks the whole
file again on open and on save.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
from dataclasses import replace
from typing import Callable, List, Optional, Sequence, Set, Tuple

from nnlint.engine import FileResult
from nnlint.finding import Finding
from nnlint.positions import NEWLINE
from nnlint.tree import parse_ast

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Pieces:
    """A text cut at the lines where its top-level statements start: each piece's text, first
    line, and the name it defines when it is a class or function (None otherwise)."""

    def __init__(self, texts: List[str], lines: List[int], names: List[Optional[str]], first_line: int = 1):
        self.texts, self.lines, self.names, self.first_line = texts, lines, names, first_line
        self.offsets = [0, *itertools.accumulate(map(len, texts))]  # piece -> its first character

    @classmethod
    def of(cls, text: str, first_line: int = 1) -> "Pieces":
        """The pieces of `text` (a SyntaxError if it does not parse alone), numbered from `first_line`."""
        tree = parse_ast(text, "<buffer>")  # the engine's gate: the same stack budget
        starts: List[int] = []
        names: List[Optional[str]] = []
        previous_end = 0
        for statement in tree.body:
            first = min([statement, *getattr(statement, "decorator_list", ())], key=lambda n: n.lineno)
            defines = statement.name if isinstance(
                statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) else None
            if first.lineno > previous_end and first.col_offset == 0:
                starts.append(first.lineno)
                names.append(defines)
            elif names:
                names[-1] = None  # two statements on one line: not one definition
            previous_end = max(previous_end, statement.end_lineno or statement.lineno)
        if not starts:
            return cls([text], [first_line], [None], first_line) if text else cls([], [], [], first_line)
        starts[0] = 1  # the lines above the first statement belong to it
        line_starts = [0] + [match.end() for match in NEWLINE.finditer(text)]
        cuts = [line_starts[line - 1] for line in starts] + [len(text)]
        return cls([text[start:end] for start, end in zip(cuts, cuts[1:])],
                   [line + first_line - 1 for line in starts], names, first_line)

    def piece_at(self, offset: int) -> int:
        """The index of the piece holding character `offset` (the last piece for the end)."""
        return min(bisect.bisect_right(self.offsets, offset) - 1, len(self.texts) - 1)

    def end_line(self) -> int:
        """One past the last line."""
        if not self.texts:
            return self.first_line
        return _past(self.lines[-1], self.texts[-1])


def recheck(previous_text: str, previous_pieces: Optional[Pieces], previous: FileResult, text: str,
            check: Callable[[str], FileResult]) -> Optional[Tuple[FileResult, Pieces]]:
    """The findings of `text` from `previous` (a check of `previous_text`, cut into
    `previous_pieces`: None, they are cut here) and a check (`check`) of the statements the
    edit touched only, and the pieces of `text`; None when this cannot be done (the edited
    statements do not parse)."""
    try:
        old = previous_pieces or Pieces.of(previous_text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not old.texts or "".join(old.texts) != previous_text:
        return None
    start = _common_prefix(previous_text, text)
    end = _common_prefix(previous_text[start:][::-1], text[start:][::-1])
    # The pieces the edit touched: from the one before the first changed character (typing at
    # the end of a piece may extend it) to the one holding the last.
    first = old.piece_at(max(start - 1, 0))
    last = old.piece_at(len(previous_text) - end)
    grown = len(text) - len(previous_text)
    region = text[old.offsets[first]:old.offsets[last + 1] + grown]
    try:
        edited = Pieces.of(region, old.lines[first])
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    old_first, old_last = old.lines[first], _past(old.lines[last], old.texts[last])
    shift = edited.end_line() - old_last
    after = range(last + 1, len(old.texts))
    new = Pieces(old.texts[:first] + edited.texts + [old.texts[i] for i in after],
                 old.lines[:first] + edited.lines + [old.lines[i] + shift for i in after],
                 old.names[:first] + edited.names + [old.names[i] for i in after])
    changed = range(first, first + len(edited.texts))
    kept = sorted(_needed(new, changed))
    # The other definitions are left out of the text checked; its lines are mapped back to the
    # file's, piece by piece (a fix may also add an import at the top).
    starts, line = [], 1
    for index in kept:
        starts.append((line, new.lines[index]))
        line += len(NEWLINE.findall(new.texts[index]))
    fresh = check("".join(new.texts[index] for index in kept))
    new_first, new_last = old_first, edited.end_line()
    findings = []
    for finding in fresh.findings:
        placed = _mapped(finding, starts)
        if new_first <= placed.line < new_last:
            findings.append(placed)
        elif finding.code.startswith("NN0"):  # said of the file: at its start
            findings.append(replace(finding, line=1, column=1, end_line=1, end_column=1, fix=None))
    for finding in previous.findings:
        if finding.code.startswith("NN0"):
            continue  # the file's own problems: the fresh check says them again
        if finding.line < old_first:
            findings.append(finding)
        elif finding.line >= old_last:
            findings.append(_moved(finding, shift))
    findings.sort(key=lambda f: f.sort_key)
    result = FileResult(previous.path, findings, errors=fresh.errors,
                        dependencies=sorted(set(previous.dependencies) | set(fresh.dependencies)))
    return result, new


def _past(line: int, text: str) -> int:
    """One past the last line of `text`, which starts on `line`."""
    return line + len(NEWLINE.findall(text)) + (0 if text.endswith(("\n", "\r")) else 1)


def _common_prefix(a: str, b: str) -> int:
    """How many first characters `a` and `b` share (halving: the comparisons run in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _needed(pieces: Pieces, changed: Sequence[int]) -> Set[int]:
    """The pieces the slice keeps: the changed ones, every one that is not a class or function
    definition, and the definitions the kept code names (followed transitively)."""
    kept = set(changed) | {index for index, name in enumerate(pieces.names) if name is None}
    by_name = {}
    for index, name in enumerate(pieces.names):
        if name is not None:
            by_name.setdefault(name, []).append(index)
    todo = [index for index in kept if index in changed]
    seen: Set[str] = set()
    while todo:
        index = todo.pop()
        for word in set(_WORD.findall(pieces.texts[index])) - seen:
            seen.add(word)
            for other in by_name.get(word, ()):
                if other not in kept:
                    kept.add(other)
                    todo.append(other)
    return kept


def _mapped(finding: Finding, starts: List[Tuple[int, int]]) -> Finding:
    """`finding` of the text checked, at its lines in the file (`starts`: each kept piece's
    first line in the text checked, and in the file)."""
    def line(number: int) -> int:
        at = bisect.bisect_right(starts, (number, float("inf"))) - 1
        return number - starts[at][0] + starts[at][1]

    fix = finding.fix
    if fix is not None:
        fix = replace(fix, edits=tuple(replace(e, line=line(e.line), end_line=line(e.end_line))
                                       for e in fix.edits))
    return replace(finding, line=line(finding.line), end_line=line(finding.end_line), fix=fix)


def _moved(finding: Finding, lines: int) -> Finding:
    if not lines:
        return finding
    fix = finding.fix
    if fix is not None:
        fix = replace(fix, edits=tuple(replace(e, line=e.line + lines, end_line=e.end_line + lines)
                                       for e in fix.edits))
    return replace(finding, line=finding.line + lines, end_line=finding.end_line + lines, fix=fix)
